"""Start-up work with a loading screen: each slow step runs while the window says what it is doing.

The first start compiles the simulation's and the renderer's numba kernels (tens of
seconds when nothing is cached); :func:`run_step` runs such a step in a worker thread
while the main thread keeps drawing "what and how long so far" into the window and
pumping its events, so the window is never a silent black rectangle. Without a window
(``screen`` None) the step just runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pygame

from game.ui.render.notebox import wrap

T = TypeVar("T")
FRAME_SECONDS = 0.1
BACKGROUND = (12, 12, 18)
TITLE = (255, 215, 120)
TEXT = (225, 220, 210)
MUTED = (150, 145, 140)


def draw_loading(screen: pygame.Surface, font: pygame.font.Font, done: list[str], current: str,
                 elapsed: float) -> None:
    """The loading screen: finished steps, the current one with its seconds so far, and why."""
    screen.fill(BACKGROUND)
    width, height = screen.get_size()
    line = font.get_linesize()
    y = height // 3
    title = font.render("Mindcrawl is starting", True, TITLE)
    screen.blit(title, ((width - title.get_width()) // 2, y - 2 * line))
    for step in done:
        screen.blit(font.render(f"done: {step}", True, MUTED), (width // 5, y))
        y += line
    dots = "." * (1 + int(elapsed * 3) % 3)
    screen.blit(font.render(f"{current}{dots}  {elapsed:.0f} s", True, TEXT), (width // 5, y))
    y += 2 * line
    note = ("The first start compiles the simulation (about a minute); later starts load it from the cache. "
            "`make play` does this during set-up.")
    for part in wrap(font, note, width * 3 // 5):
        screen.blit(font.render(part, True, MUTED), (width // 5, y))
        y += line


class Loading:
    """The steps shown so far on one window (``screen`` None: no window, steps just run)."""

    def __init__(self, screen: pygame.Surface | None, font: pygame.font.Font) -> None:
        self.screen = screen
        self.font = font
        self.done: list[str] = []
        self.seconds: dict[str, float] = {}

    def run_step(self, label: str, work: Callable[[], T]) -> T:
        """Run ``work()`` (in a thread while a window shows ``label``); returns its result, re-raises its error."""
        start = time.perf_counter()
        if self.screen is None:
            result = work()
        else:
            box: dict[str, object] = {}

            def target() -> None:
                try:
                    box["result"] = work()
                except BaseException as exc:  # handed to the main thread below
                    box["error"] = exc

            worker = threading.Thread(target=target, name=f"loading: {label}", daemon=True)
            worker.start()
            window = pygame.display.get_init() and pygame.display.get_surface() is self.screen
            while worker.is_alive():
                draw_loading(self.screen, self.font, self.done, label, time.perf_counter() - start)
                if window:
                    pygame.event.pump()  # the window stays responsive
                    pygame.display.flip()
                worker.join(FRAME_SECONDS)
            if "error" in box:
                raise box["error"]  # type: ignore[misc]
            result = box["result"]  # type: ignore[assignment]
        self.seconds[label] = time.perf_counter() - start
        self.done.append(f"{label} ({self.seconds[label]:.1f} s)")
        return result  # type: ignore[return-value]
