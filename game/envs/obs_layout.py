"""Observation layouts: the spec's dict, one flat ``Box``, or ``{"observation", "action_mask"}``.

Every env view (:mod:`game.envs.gym_env`, :mod:`game.envs.pettingzoo_env`, :mod:`game.envs.vector`) takes
``obs_layout``, one of :data:`OBS_LAYOUTS`:

``"dict"`` (default)
    The spec's ``Dict`` of arrays, as :func:`game.spec.observation_space` describes.
``"flat"``
    One float32 ``Box`` of ``D`` values: every key of the dict space, in the space's
    key order (Gymnasium's ``Dict`` sorts keys: ``action_mask``, ``entities``,
    ``entity_mask``, ``patch``, ``self`` at ``OBS_VERSION`` 1), each flattened row-major
    and cast to float32. This is exactly ``gymnasium.spaces.utils.flatten(space, obs)``;
    :func:`flat_segments` gives each key's ``[start, stop)`` columns and shape, so
    ``obs[..., start:stop].reshape(shape)`` recovers it. For tools that only take a Box.
``"masked"``
    ``{"observation": Box, "action_mask": Box}``: the flat layout of every key but
    ``action_mask`` under ``"observation"``, and the int8 legal-action mask beside it
    (the layout tianshou, AgileRL and other masking tools expect).

Sizes are derived from the spec's space, never written out, so a new observation field
(and an ``OBS_VERSION`` bump) flows into every layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import gymnasium as gym
import numpy as np

from levels.common.errors import UserError

OBS_LAYOUTS = ("dict", "flat", "masked")
MASK_KEY = "action_mask"


class Segment(NamedTuple):
    """Where one dict key lives in a flat observation."""

    key: str
    start: int
    stop: int
    shape: tuple[int, ...]


def check_layout(layout: str) -> str:
    """``layout`` if it is one of :data:`OBS_LAYOUTS`, else a one-line UserError."""
    if layout not in OBS_LAYOUTS:
        raise UserError(f"obs_layout must be one of {', '.join(OBS_LAYOUTS)}, got {layout!r}")
    return layout


def flat_segments(space: gym.spaces.Dict, exclude: tuple[str, ...] = ()) -> tuple[Segment, ...]:
    """The columns of each key of ``space`` (minus ``exclude``) in the flat layout."""
    out, start = [], 0
    for key, sub in space.spaces.items():
        if key in exclude:
            continue
        if not isinstance(sub, gym.spaces.Box):
            raise TypeError(f"observation key {key!r} is not a Box ({sub}); it cannot be flattened")
        size = int(np.prod(sub.shape))
        out.append(Segment(key, start, start + size, tuple(sub.shape)))
        start += size
    return tuple(out)


def _flat_box(space: gym.spaces.Dict, exclude: tuple[str, ...]) -> gym.spaces.Box:
    subs = [space.spaces[s.key] for s in flat_segments(space, exclude)]
    low = np.concatenate([np.asarray(b.low, np.float32).ravel() for b in subs])
    high = np.concatenate([np.asarray(b.high, np.float32).ravel() for b in subs])
    return gym.spaces.Box(low, high, dtype=np.float32)


def layout_space(space: gym.spaces.Dict, layout: str) -> gym.spaces.Space:
    """The space of one agent's observation in ``layout`` (``space``: the spec's dict)."""
    check_layout(layout)
    if layout == "dict":
        return space
    if layout == "flat":
        return _flat_box(space, ())
    return gym.spaces.Dict({"observation": _flat_box(space, (MASK_KEY,)),
                            MASK_KEY: space.spaces[MASK_KEY]})


def flatten_batch(obs: Mapping[str, np.ndarray], segments: tuple[Segment, ...],
                  lead: int) -> np.ndarray:
    """Flat float32 ``[lead, D]`` from dict arrays with ``lead`` leading rows (any leading shape)."""
    width = segments[-1].stop if segments else 0
    out = np.empty((lead, width), np.float32)
    for s in segments:
        out[:, s.start:s.stop] = obs[s.key].reshape(lead, s.stop - s.start)
    return out


class Layout:
    """Turns batched spec dicts into one layout, for rows of any leading shape."""

    def __init__(self, space: gym.spaces.Dict, layout: str = "dict") -> None:
        self.name = check_layout(layout)
        self.dict_space = space
        self.space = layout_space(space, layout)
        self._exclude = (MASK_KEY,) if layout == "masked" else ()
        self.segments = flat_segments(space, self._exclude) if layout != "dict" else ()

    def apply(self, obs: Mapping[str, np.ndarray], lead: tuple[int, ...], copy: bool = True) -> object:
        """``obs`` (arrays ``[*lead, ...]`` keyed as the spec) in this layout (copied unless
        ``copy`` is False and the layout is ``dict``: then reshaped views of ``obs``)."""
        n = int(np.prod(lead))
        if self.name == "dict":
            return {k: (np.array if copy else np.asarray)(obs[k]).reshape(lead + self.dict_space[k].shape)
                    for k in self.dict_space.spaces}
        flat = flatten_batch(obs, self.segments, n).reshape(*lead, -1)
        if self.name == "flat":
            return flat
        mask = np.array(obs[MASK_KEY], copy=True).reshape(lead + self.dict_space[MASK_KEY].shape)
        return {"observation": flat, MASK_KEY: mask}
