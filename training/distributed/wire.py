"""Rollout batches and network weights as plain numpy arrays, the form Ray ships cheaply.

Ray stores numpy arrays in its shared-memory object store and hands them to readers
without copying, so weights go out and batches come back as ``dict[str, ndarray]``
rather than as tensors or modules. The learner joins the workers' batches along the
agent axis: every column of a :class:`~training.rollout.Batch` is an independent
trajectory, so GAE and the PPO update see exactly what one large local rollout of the
same worlds would give them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np
import torch

from npc.policy import OBS_KEYS
from training.rollout import Batch, EpisodeStats

Arrays = dict[str, np.ndarray]


def batch_to_arrays(batch: Batch) -> Arrays:
    """``batch`` flattened to named arrays (observations as ``obs.<key>``)."""
    out: Arrays = {}
    for f in fields(Batch):
        value = getattr(batch, f.name)
        if f.name == "obs":
            out.update({f"obs.{k}": v.numpy() for k, v in value.items()})
        else:
            out[f.name] = value.numpy()
    return out


def join_batches(parts: Sequence[Arrays]) -> Batch:
    """One :class:`Batch` from several workers' arrays, concatenated along the agent axis (1)."""
    if not parts:
        raise ValueError("no batches to join")

    def joined(name: str) -> torch.Tensor:
        # np.concatenate copies, so the result is writable even though Ray's arrays are not.
        return torch.from_numpy(np.concatenate([p[name] for p in parts], axis=1))

    obs = {k: joined(f"obs.{k}") for k in OBS_KEYS}
    return Batch(obs=obs, **{f.name: joined(f.name) for f in fields(Batch) if f.name != "obs"})


def weights_to_arrays(net: torch.nn.Module) -> Arrays:
    """A detached numpy copy of ``net``'s state dict."""
    return {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}


def load_arrays(net: torch.nn.Module, arrays: Arrays) -> None:
    """Load weights made by :func:`weights_to_arrays` (copied: Ray's arrays are read-only)."""
    net.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in arrays.items()})


def stats_to_tuple(stats: EpisodeStats) -> tuple[int, int, list[float], list[int]]:
    """Episode counts as plain data."""
    return stats.wins, stats.episodes, list(stats.returns), list(stats.lengths)


def merge_stats(into: EpisodeStats, parts: Sequence[tuple[int, int, list[float], list[int]]]) -> None:
    """Add the episodes of several workers (from :func:`stats_to_tuple`) to ``into``."""
    for wins, episodes, returns, lengths in parts:
        into.wins += wins
        into.episodes += episodes
        into.returns.extend(returns)
        into.lengths.extend(lengths)
