"""Numba's on-disk kernel cache, dropped whole when any kernel source of the project changes.

numba keys a cached kernel by its own file's timestamp only. A kernel that calls,
inlines or reads constants of another module (``game.kernels.run_range`` calls the
rules, observations and navigator of five other files) keeps running the old compiled
code after that other module changes, until someone deletes the cache by hand. So the
packages with kernels call :func:`refresh_kernel_cache` when imported: it hashes the
source of every module that uses numba and, when the hash differs from the one stored
beside the cache, deletes the cached kernels (``*.nbi``, ``*.nbc``) so they compile
afresh. An installed, unchanged tree never recompiles; a developer's edit costs one
compile. With ``$NUMBA_CACHE_DIR`` set, the cache is the user's to manage and is left alone.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from levels.common.files import atomic_write_text

ROOT = Path(__file__).resolve().parents[2]
#: The packages whose modules may hold numba kernels.
KERNEL_PACKAGES = ("levels", "search", "game", "npc")
STAMP_NAME = "numba-kernel-sources.sha256"

_refreshed: set[Path] = set()  # roots already checked by this process


def kernel_sources(root: Path = ROOT) -> list[Path]:
    """The project's modules that use numba, sorted."""
    found = []
    for package in KERNEL_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "numba" in path.read_text(encoding="utf-8"):
                found.append(path)
    return found


def sources_digest(paths: list[Path], root: Path = ROOT) -> str:
    """SHA-256 over the paths (relative to ``root``) and contents of ``paths``."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def refresh_kernel_cache(root: Path = ROOT) -> bool:
    """Delete the cached kernels if any kernel source changed since they were cached.

    Returns True when the stamp was stale (and the cache dropped). Runs once per root
    and process; concurrent processes (pytest workers) take turns through a lock file, so
    the second finds the stamp current. Failures to write (a read-only install) leave
    the cache as it is.
    """
    if root in _refreshed or os.environ.get("NUMBA_CACHE_DIR"):
        return False
    _refreshed.add(root)
    stamp_dir = root / "game" / "__pycache__"
    try:
        stamp_dir.mkdir(exist_ok=True)
        with open(stamp_dir / (STAMP_NAME + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            stamp = stamp_dir / STAMP_NAME
            want = sources_digest(kernel_sources(root), root)
            if stamp.exists() and stamp.read_text(encoding="utf-8").strip() == want:
                return False
            for package in KERNEL_PACKAGES:
                for cached in (root / package).rglob("__pycache__/*.nb[ic]"):
                    cached.unlink(missing_ok=True)
            atomic_write_text(stamp, want + "\n")
            return True
    except OSError:
        return False
