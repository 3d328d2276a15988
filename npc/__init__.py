"""What drives an NPC: the scripted NPC, the policy networks, checkpoints and game controllers.

- :mod:`npc.scripted`: :class:`~npc.scripted.ScriptedNPC`, the rule-based NPC (numba).
- :mod:`npc.policy`: the :class:`~npc.policy.Policy` interface and masked sampling;
  the networks :mod:`npc.transformer`, :mod:`npc.dense`, :mod:`npc.baseline`,
  :mod:`npc.nav_transformer`.
- :mod:`npc.checkpoint`: safetensors checkpoints with JSON metadata, and the shipped one.
- :mod:`npc.controllers`: what the game asks for every agent's action each turn.
"""
