"""Atomic file writes: a crash mid-write never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_user_bytes(path: str | os.PathLike[str], error: Callable[[str], Exception],
                    missing: str = "file not found") -> bytes:
    """Read a file the user named; a missing or unreadable one raises ``error(reason)``.

    ``reason`` is ``missing`` or ``"cannot read (...)"``; callers put the file name and
    their own error type around it, so every loader words these failures alike.
    """
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise error(missing) from None
    except OSError as exc:
        raise error(f"cannot read ({exc.strerror or exc})") from None


def read_user_text(path: str | os.PathLike[str], error: Callable[[str], Exception],
                   missing: str = "file not found") -> str:
    """Like :func:`read_user_bytes`, decoded as UTF-8 (other bytes raise ``error``)."""
    data = read_user_bytes(path, error, missing)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"cannot read ({exc})") from None


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temporary file, fsync, rename.

    Either the old content or the new content is at ``path`` afterwards, never a mix,
    even if the process is killed during the write.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(directory)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; a no-op where directories cannot be opened."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
