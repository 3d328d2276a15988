"""Stable-Baselines3's ``VecEnv`` interface over a Gymnasium vector env (Mindcrawl's native ones).

SB3 has its own vector API (``reset() -> obs``, ``step_async``/``step_wait``,
``info["terminal_observation"]`` with the next episode's first observation already
returned), which is Gymnasium's *same-step* autoreset. Give this adapter a
:class:`game.envs.vector.MindcrawlVectorEnv` (or the multi-agent one) built with
``autoreset_mode="same_step"``::

    env = SB3VecEnv(MindcrawlVectorEnv(64, "arena", obs_layout="flat", autoreset_mode="same_step"))
    model = sb3_contrib.MaskablePPO("MlpPolicy", env)

``env_method("action_masks")`` answers from the vector env's batched ``action_masks()``
(what sb3-contrib's MaskablePPO calls), and finished episodes carry SB3's ``episode``
info (``r``, ``l``) so its logger reports returns. Needs ``stable-baselines3`` (the dev extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import VecEnv


class SB3VecEnv(VecEnv):
    """Adapts a same-step-autoreset Gymnasium ``VectorEnv`` to SB3's ``VecEnv``."""

    def __init__(self, env: gym.vector.VectorEnv) -> None:
        if env.metadata.get("autoreset_mode") != AutoresetMode.SAME_STEP:
            raise ValueError("SB3VecEnv needs a vector env with autoreset_mode='same_step'")
        self.env = env
        self._actions: np.ndarray | None = None
        self._seed: int | None = None
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)

    def reset(self) -> Any:
        """Reset every env (using the seed given to :meth:`seed`, once)."""
        obs, _ = self.env.reset(seed=self._seed)
        self._seed = None
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions for :meth:`step_wait`."""
        self._actions = np.asarray(actions)

    def step_wait(self) -> tuple[Any, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        """Step every env; ended episodes carry ``terminal_observation`` and ``episode``."""
        obs, reward, term, trunc, info = self.env.step(self._actions)
        done = term | trunc
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        stats = info.get("episode_stats")
        for i in np.flatnonzero(done):
            infos[i]["terminal_observation"] = info["final_obs"][i]
            infos[i]["TimeLimit.truncated"] = bool(trunc[i] and not term[i])
            if stats is not None and info["_episode_stats"][i]:
                infos[i]["episode"] = {"r": float(stats["r"][i]), "l": int(stats["l"][i]),
                                       "won": bool(stats["won"][i])}
        return obs, reward, done, infos

    def close(self) -> None:
        """Close the vector env."""
        self.env.close()

    def _indices(self, indices: Any) -> Sequence[int]:
        if indices is None:
            return range(self.num_envs)
        return [indices] if isinstance(indices, int) else list(indices)

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        """The vector env's attribute, once per requested env."""
        value = getattr(self.env, attr_name)
        return [value for _ in self._indices(indices)]

    def has_attr(self, attr_name: str) -> bool:
        """Whether the vector env has ``attr_name``."""
        return hasattr(self.env, attr_name)

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        """Set an attribute on the vector env (shared by every row)."""
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
        """``action_masks`` per env from the batched call; other methods once, per env."""
        rows = self._indices(indices)
        result = getattr(self.env, method_name)(*args, **kwargs)
        if method_name == "action_masks":
            return [result[i] for i in rows]
        return [result for _ in rows]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        """No row is wrapped by a Gymnasium wrapper."""
        return [False for _ in self._indices(indices)]

    def seed(self, seed: int | None = None) -> Sequence[None]:
        """Seed the next :meth:`reset` (one seed for the whole batch)."""
        self._seed = seed
        return [None] * self.num_envs
