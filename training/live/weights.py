"""Policy weights in shared memory: one writer (the learner), readers that never block.

The block holds a small header and two weight buffers (double buffering). The writer
always fills the buffer readers are *not* pointed at, then flips the ``active`` index;
a sequence counter, odd while a publish is under way, lets a reader tell whether the
buffer it copied could have been overwritten during the copy::

    header (uint64): magic, seq, active, version[0], version[1], numel
    buffers: float32 [2, numel]

A publish writes into ``1 - active``; the buffer a reader copies is only rewritten by
the publish *after* the one that flips away from it, so a copy is consistent when at
most one publish completed meanwhile (``seq`` moved by at most 2 from an even start,
at most 1 from an odd start). A torn copy is simply dropped: the reader keeps what it
has and tries again next turn, so neither side ever waits for the other.

The flat vector is :func:`torch.nn.utils.parameters_to_vector` of the network: its
parameters in order, float32. The policy networks hold no buffers, so that is their
whole ``state_dict``; both sides build the same architecture and agree on the layout.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np
import torch
from torch.nn.utils import parameters_to_vector, vector_to_parameters

MAGIC = 0x4D43_4C49_5645_0001  # "MCLIVE" + format 1
_MAGIC, _SEQ, _ACTIVE, _VERSION0, _VERSION1, _NUMEL = range(6)
HEADER_WORDS = 8  # room for two more fields; keeps the buffers 64-byte aligned


def state_numel(net: torch.nn.Module) -> int:
    """Number of float values in ``net``'s parameters (what one buffer holds)."""
    return sum(p.numel() for p in net.parameters())


def flatten(net: torch.nn.Module) -> np.ndarray:
    """``net``'s parameters as one new float32 vector (in parameter order)."""
    return parameters_to_vector(net.parameters()).detach().numpy()


def unflatten_into(net: torch.nn.Module, flat: np.ndarray) -> None:
    """Load a vector made by :func:`flatten` into ``net`` (same architecture)."""
    Loader(net).load(flat)


class Loader:
    """Loads :func:`flatten` vectors into one network, its size worked out once (the game's swap)."""

    def __init__(self, net: torch.nn.Module) -> None:
        self.net = net
        self.numel = state_numel(net)

    def load(self, flat: np.ndarray) -> None:
        """Make ``flat`` the network's parameters (copied: the network never shares ``flat``'s memory)."""
        if flat.size != self.numel:
            raise ValueError(f"weight vector has {flat.size} values, the network {self.numel}")
        vector_to_parameters(torch.tensor(flat, dtype=torch.float32), self.net.parameters())


@dataclass(frozen=True)
class Published:
    """A consistent copy of published weights."""

    version: int
    weights: np.ndarray  # float32 [numel], owned by the caller


class SharedWeights:
    """The shared block: :meth:`create` it in the game, :meth:`attach` to it in the learner."""

    def __init__(self, shm: shared_memory.SharedMemory, owner: bool) -> None:
        self.shm = shm
        self.owner = owner
        self.header = np.ndarray((HEADER_WORDS,), np.uint64, buffer=shm.buf)
        numel = int(self.header[_NUMEL])
        self.buffers = np.ndarray((2, numel), np.float32, buffer=shm.buf, offset=HEADER_WORDS * 8)
        self._scratch = np.empty(numel, np.float32)

    @property
    def name(self) -> str:
        """The shared-memory name to hand to the other process."""
        return self.shm.name

    @property
    def numel(self) -> int:
        """Values per weight vector."""
        return int(self.buffers.shape[1])

    @classmethod
    def create(cls, numel: int, initial: np.ndarray, version: int = 0) -> SharedWeights:
        """A new block holding ``initial`` as ``version`` (the creator owns and unlinks it)."""
        name = f"mindcrawl-live-{os.getpid()}-{secrets.token_hex(4)}"
        size = HEADER_WORDS * 8 + 2 * numel * 4
        shm = shared_memory.SharedMemory(name=name, create=True, size=size)
        header = np.ndarray((HEADER_WORDS,), np.uint64, buffer=shm.buf)
        header[:] = 0
        header[_NUMEL] = numel
        header[_MAGIC] = MAGIC
        block = cls(shm, owner=True)
        block.buffers[0] = initial
        block.header[_VERSION0] = version
        block.header[_ACTIVE] = 0
        return block

    @classmethod
    def attach(cls, name: str) -> SharedWeights:
        """Open an existing block by name (a learner process)."""
        shm = shared_memory.SharedMemory(name=name, create=False)
        header = np.ndarray((HEADER_WORDS,), np.uint64, buffer=shm.buf)
        if int(header[_MAGIC]) != MAGIC:
            shm.close()
            raise ValueError(f"shared memory {name!r} is not a Mindcrawl weight block")
        return cls(shm, owner=False)

    # ------------------------------------------------------------------ writer

    def publish(self, weights: np.ndarray, version: int) -> None:
        """Make ``weights`` the current weights as ``version`` (single writer only)."""
        if version <= self.version():
            raise ValueError(f"version {version} does not follow the published {self.version()}")
        h = self.header
        target = 1 - int(h[_ACTIVE])
        h[_SEQ] += np.uint64(1)  # odd: a publish is under way
        self.buffers[target] = weights
        h[_VERSION0 + target] = version
        h[_ACTIVE] = target
        h[_SEQ] += np.uint64(1)  # even: done

    # ------------------------------------------------------------------ readers

    def version(self) -> int:
        """The version readers would get now (cheap: one header read)."""
        return int(self.header[_VERSION0 + int(self.header[_ACTIVE])])

    def read(self, newer_than: int = -1) -> Published | None:
        """A consistent copy of the current weights, or None when there is nothing newer
        than ``newer_than`` or the copy was torn by concurrent publishes (try again later).
        """
        h = self.header
        start = int(h[_SEQ])
        active = int(h[_ACTIVE])
        version = int(h[_VERSION0 + active])
        if version <= newer_than:
            return None
        np.copyto(self._scratch, self.buffers[active])
        end = int(h[_SEQ])
        if end - start > (1 if start % 2 else 2):
            return None
        out = self._scratch
        self._scratch = np.empty_like(out)
        return Published(version, out)

    def close(self) -> None:
        """Detach; the owner also removes the block."""
        self.header = np.zeros(HEADER_WORDS, np.uint64)  # drop views before closing the mapping
        self.buffers = np.zeros((2, 0), np.float32)
        self._scratch = np.zeros(0, np.float32)
        with contextlib.suppress(BufferError):
            self.shm.close()
        if self.owner:
            with contextlib.suppress(FileNotFoundError):
                self.shm.unlink()
