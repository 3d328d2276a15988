"""Reading the files users name and writing the files they ask for, safely.

Every loader and writer of the project goes through these helpers, so one rule holds
for every file format (docs/reliability.md):

- reads are bounded: a file larger than its format's limit (``/dev/zero`` included) is
  refused before it is read whole;
- JSON and TOML are parsed by :func:`parse_json` / :func:`parse_toml`, which refuse
  documents nested deeper than :data:`MAX_NESTING`, JSON's ``NaN``/``Infinity``, and
  integers of more digits than Python converts, with the caller's one-line error;
- writes are atomic (temporary file in the same directory, fsync, rename); a failed
  write raises :class:`~levels.common.errors.OutputError` naming the path, the old file is
  untouched, and temporary files a killed writer left behind are removed next time.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import stat
import tempfile
import threading
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from levels.common.errors import OutputError

#: Default read limit for a user-named file (saves, checkpoints, recordings).
MAX_FILE_BYTES = 512 * 2**20
#: Read limit for small text documents (parameter files, configs, scenarios).
MAX_TEXT_BYTES = 4 * 2**20
#: Deepest nesting of lists/tables any of our JSON or TOML formats needs is about 6.
MAX_NESTING = 32

ErrorFactory = Callable[[str], Exception]


def read_user_bytes(path: str | os.PathLike[str], error: ErrorFactory,
                    missing: str = "file not found", limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a file the user named; a missing, unreadable or too large one raises ``error(reason)``.

    ``reason`` is ``missing``, ``"cannot read (...)"`` or ``"larger than ..."``; callers
    put the file name and their own error type around it, so every loader words these
    failures alike. At most ``limit + 1`` bytes are ever read.
    """
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise error("is a directory, not a file")
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
                raise error("is a device, not a file")
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise error(f"larger than the {_size(limit)} limit ({_size(info.st_size)})")
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise error(missing) from None
    except IsADirectoryError:
        raise error("is a directory, not a file") from None
    except OSError as exc:
        raise error(f"cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise error(f"larger than the {_size(limit)} limit (not a regular file, or still growing)")
    return data


def read_user_text(path: str | os.PathLike[str], error: ErrorFactory,
                   missing: str = "file not found", limit: int = MAX_FILE_BYTES) -> str:
    """Like :func:`read_user_bytes`, decoded as UTF-8 (other bytes raise ``error``)."""
    data = read_user_bytes(path, error, missing, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


# ----------------------------------------------------------------------------- parsing


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number this format accepts")


def parse_json(text: str | bytes, error: ErrorFactory) -> Any:
    """Parse JSON; bad syntax, ``NaN``/``Infinity``, huge integers or deep nesting raise ``error``."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise error(f"nested deeper than {MAX_NESTING} levels") from None
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON ({exc})") from None
    except (ValueError, UnicodeDecodeError) as exc:  # constants, ints beyond the digit limit
        raise error(f"not valid JSON ({exc})") from None
    check_nesting(data, error)
    return data


def parse_toml(text: str, error: ErrorFactory) -> dict[str, Any]:
    """Parse TOML; bad syntax, ``nan``/``inf`` values or deep nesting raise ``error``."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise error(f"nested deeper than {MAX_NESTING} levels") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"not valid TOML: {exc}") from None
    except ValueError as exc:  # integers beyond the digit limit
        raise error(f"not valid TOML: {exc}") from None
    check_nesting(data, error)
    _refuse_non_finite(data, error)
    return data


def check_nesting(data: Any, error: ErrorFactory, limit: int = MAX_NESTING) -> None:
    """Refuse containers nested deeper than ``limit`` (checked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            raise error(f"nested deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children)


def _refuse_non_finite(data: Any, error: ErrorFactory) -> None:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise error(f"{value} is not a finite number")


# ----------------------------------------------------------------------------- writing

#: Temporary files are ``.<name>.<pid>.<random>.tmp`` beside their target.
_TMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> None:
    """Create or replace ``path`` with what ``write(handle)`` writes: temporary file, fsync, rename.

    Either the old content or the new content is at ``path`` afterwards, never a mix,
    even if the process is killed during the write. Missing parent directories are
    created. Any failure (disk full, read-only, the path is a directory, a parent is a
    file) raises :class:`OutputError` naming ``path``; the old file stays as it was.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    tmp_name: str | None = None
    try:
        if target.is_dir():
            raise OutputError(target, "it is a directory")
        if target.exists() and not target.is_file():
            # Renaming over a device node or a FIFO would replace it: write into it never.
            raise OutputError(target, "it exists and is not a regular file")
        directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                        dir=directory)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(target, _reason(exc)) from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    _fsync_directory(directory)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block ends, then deliver it: a save is never cut short.

    Outside the main thread (where signal handlers cannot be set) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received and callable(previous):
        previous(signal.SIGINT, None)


def write_via_buffer(path: str | os.PathLike[str], write: Callable[[io.BytesIO], Any]) -> None:
    """Atomically write what ``write(buffer)`` puts into an in-memory buffer.

    For writers that need a seekable file (image encoders): nothing touches ``path``
    unless encoding succeeded.
    """
    buffer = io.BytesIO()
    write(buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return "a parent of the path is a file, not a directory"
    return exc.strerror or str(exc)


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Delete temporary files a killed writer of ``target`` left behind; returns them.

    Only our own names (``.<name>.<pid>.<random>.tmp``) whose writer process is gone
    are removed, so a concurrent writer's file is never touched.
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    removed = []
    try:
        candidates = list(directory.glob(f".{glob_escape(target.name)}.*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        match = _TMP_PATTERN.match(candidate.name)
        if match is None or match["name"] != target.name or _process_alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob wildcards escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


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
