"""The message log: repeated lines collapsed ("x6") and a scrollback the player can page through.

:class:`MessageLog` behaves like the deque of strings it replaces (``append``,
``extend``, iteration, ``len``, indexing), so saves keep storing plain lines; a line
equal to the newest one bumps that entry's count instead of adding a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

KEEP = 500  # entries kept (oldest dropped)


class MessageLog:
    """Log entries ``[text, count]``, newest last, and a scroll position (0 = newest at the bottom)."""

    def __init__(self, lines: Iterable[str] = (), keep: int = KEEP) -> None:
        self.keep = keep
        self._entries: list[list] = []
        self.scroll = 0
        self.extend(lines)

    @staticmethod
    def render(text: str, count: int) -> str:
        """An entry as shown: ``"A wall blocks the way. (x6)"``."""
        return f"{text} (x{count})" if count > 1 else text

    def append(self, line: str) -> None:
        """Add ``line`` (empty lines are ignored); the same text as the newest entry counts up."""
        if not line:
            return
        if self._entries and self._entries[-1][0] == line:
            self._entries[-1][1] += 1
        else:
            self._entries.append([line, 1])
            if self.scroll:
                self.scroll += 1  # a reader scrolled back keeps their place
            del self._entries[:-self.keep]
        self.scroll = min(self.scroll, max(0, len(self._entries) - 1))

    def extend(self, lines: Iterable[str]) -> None:
        """Append each of ``lines``."""
        for line in lines:
            self.append(line)

    def __iter__(self) -> Iterator[str]:
        return (self.render(text, count) for text, count in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> str:
        text, count = self._entries[index]
        return self.render(text, count)

    def page(self, rows: int, direction: int) -> None:
        """Scroll back (``direction`` +1, PgUp) or forward (-1, PgDn) by ``rows`` entries."""
        self.scroll = max(0, min(self.scroll + direction * max(1, rows), max(0, len(self._entries) - 1)))

    def window(self, rows: int) -> tuple[str, ...]:
        """The ``rows`` entries ending at the scroll position (the newest ones when not scrolled)."""
        end = len(self._entries) - self.scroll
        return tuple(self.render(t, c) for t, c in self._entries[max(0, end - rows):end])

    def position(self) -> str:
        """``""`` at the bottom, else ``"older messages: 12 more below (PgDn)"``-style text."""
        return f"scrolled back: {self.scroll} newer below (PgDn)" if self.scroll else ""
