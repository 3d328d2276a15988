"""Compile and cache everything the first frame needs, before the first start (``make play``'s set-up).

``python -m game.ui.warmup`` runs the game's own start-up path off-screen: it builds
the one-world simulator of the default level, plays a few turns and draws a frame in
every view, so numba compiles the simulation and renderer kernels and writes them to
its on-disk cache. Later starts load them from there. Prints one progress line per step
and the seconds it took (``--json`` for the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def warm_up(preset: str = "dungeon", out=sys.stdout) -> dict[str, float]:
    """Run the start-up steps off-screen, printing progress to ``out``; returns seconds per step."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    seconds: dict[str, float] = {}

    def step(label: str, work):
        print(f"  {label} ...", end="", flush=True, file=out)
        start = time.perf_counter()
        result = work()
        seconds[label] = round(time.perf_counter() - start, 2)
        print(f" {seconds[label]:.1f} s", flush=True, file=out)
        return result

    print("Preparing Mindcrawl (compiles the simulation once; later starts use the cache):", file=out, flush=True)
    import pygame

    from game.ui.animation import TURN_SECONDS
    from game.ui.app import App, GameOptions
    from game.ui.view_state import ViewMode
    from levels.params import load_preset

    def start() -> App:
        options = GameOptions(load_preset(preset), 0, checkpoint="scripted", data_dir=_scratch())
        return App(options, surface=pygame.Surface(options.size))

    app = step("compiling the simulation (level, rules, observations)", start)

    def play() -> None:
        for key in (pygame.K_z, pygame.K_z, pygame.K_x, pygame.K_f):
            app.handle_key(key)

    step("compiling a turn (actions, field of view, messages)", play)

    def draw() -> None:
        for mode in ViewMode:
            app.mode = mode
            app.update(TURN_SECONDS)
            app.draw()

    step("compiling the renderer (first person, top-down, isometric)", draw)
    app.close()
    print(f"Ready in {sum(seconds.values()):.1f} s.", file=out, flush=True)
    return seconds


def _scratch():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="mindcrawl-warmup-"))


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m game.ui.warmup [--preset NAME] [--json OUT]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="dungeon", help="level preset to start on (default: dungeon)")
    parser.add_argument("--json", metavar="OUT", help="write the seconds per step as JSON")
    args = parser.parse_args(argv)
    seconds = warm_up(args.preset)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"seconds": seconds, "total": round(sum(seconds.values()), 2)}, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
