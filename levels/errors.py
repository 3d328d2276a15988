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


class LevelFileError(UserError, ValueError):
    """A level JSON file that cannot be read back (truncated, foreign or inconsistent)."""
