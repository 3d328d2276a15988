"""The standard APIs over the simulation core: PettingZoo, Gymnasium and vector envs.

These adapters sit above :mod:`npc` in the dependency order (docs/architecture.md): the
single-agent and vector views drive the agents the learner does not control with an
NPC (the scripted one by default), and the human render mode opens a pygame window.

- :func:`game.envs.pettingzoo_env.parallel_env` / :func:`game.envs.pettingzoo_env.env`:
  PettingZoo Parallel and AEC.
- ``gymnasium.make("game:Mindcrawl-v0")``: one learning agent
  (:class:`game.envs.gym_env.MindcrawlGymEnv`).
- ``gymnasium.make_vec("game:Mindcrawl-v0", num_envs=N)``: the native vector env
  (:class:`game.envs.vector.MindcrawlVectorEnv`);
  :class:`game.envs.vector.MindcrawlMultiAgentVectorEnv` has every agent as a row.
- :mod:`game.envs.obs_layout`: the observation layouts (dict, flat ``Box``, masked dict);
  :mod:`game.envs.render`: pictures of a world; :mod:`game.envs.window`: the human window.
"""
