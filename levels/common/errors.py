"""Errors that name what the user got wrong: a field path, a file, and the reason."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from a user (a file, a parameter, a command-line value).

    The CLI prints ``str(error)`` as one line and exits with code 2; no traceback.
    """


class ParamError(UserError, ValueError):
    """An invalid level parameter, named by its dotted field path (``floors.width``)."""

    def __init__(self, path: str, reason: str, source: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.path}: {self.reason}" if self.path else f"{where}{self.reason}"

    def in_file(self, source: str) -> ParamError:
        """Return the same error, attributed to the file ``source``."""
        return ParamError(self.path, self.reason, source)


class ParamsTypeError(UserError, TypeError):
    """A level-parameters argument of the wrong type (not a preset name, path or LevelParams)."""


class LevelFileError(UserError, ValueError):
    """A level JSON file that cannot be read back (truncated, foreign or inconsistent)."""


class OutputError(UserError, OSError):
    """A file the user asked for that cannot be written (full disk, read-only, a directory).

    It is an :class:`OSError` too, so code that guards a write with ``except OSError``
    keeps working; the message names the path and the reason.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: cannot write ({reason})")

    def __str__(self) -> str:
        return f"{self.path}: cannot write ({self.reason})"


def write_failure(exc: Exception) -> str:
    """The reason a write failed, without the path (for messages in the game's log)."""
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, str) else str(exc)


class InputTooLargeError(UserError, ValueError):
    """Input that would need more memory or time than the documented budget allows."""


def os_error_message(exc: OSError, path: object | None = None) -> str:
    """``"<path>: <reason>"`` for an :class:`OSError` (the path from ``exc`` if not given)."""
    where = path if path is not None else (exc.filename if exc.filename is not None else "")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{where}: {reason}" if where != "" else reason
