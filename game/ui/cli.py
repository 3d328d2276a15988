"""The ``play`` and ``replay`` commands (``add_parser(subparsers)``, as main.py expects).

``play`` opens the game window (or, with ``--headless``, draws N frames off-screen on a
fixed clock and can write a screenshot); ``replay`` plays a recording back in a window,
to an animated GIF, or headless to a screenshot.
"""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from game.ui.view_state import ViewMode
from levels.cli import positive_int, seed_value
from levels.common.errors import UserError
from levels.limits import MAX_WINDOW_SIDE
from levels.params import DEFAULT_PRESET, load_params, load_preset, preset_names

DEFAULT_HEADLESS_FRAMES = 60
GIF_SIZE = (640, 400)


def _size(text: str) -> tuple[int, int]:
    """argparse type: ``WIDTHxHEIGHT``."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 960x600, got {text!r}") from None
    if width < 320 or height < 200:
        raise argparse.ArgumentTypeError("the window must be at least 320x200")
    if width > MAX_WINDOW_SIDE or height > MAX_WINDOW_SIDE:
        raise argparse.ArgumentTypeError(f"the window must be at most {MAX_WINDOW_SIDE}x{MAX_WINDOW_SIDE}")
    return width, height


def _add_display_options(p: argparse.ArgumentParser) -> None:
    """Options ``play`` and ``replay`` share."""
    p.add_argument("--view", choices=[m.value for m in ViewMode], default=ViewMode.FIRST_PERSON.value,
                   help="the view to start in (V switches; default: first-person)")
    p.add_argument("--size", type=_size, default=None, metavar="WxH", help="window size (default: 960x600)")
    p.add_argument("--headless", action="store_true",
                   help="no window: draw --frames frames off-screen on a fixed clock (demos, CI)")
    p.add_argument("--frames", type=positive_int, default=None, metavar="N",
                   help=f"frames to run (default with --headless: {DEFAULT_HEADLESS_FRAMES})")
    p.add_argument("--screenshot", metavar="OUT.png", help="write the last frame as a PNG")
    p.add_argument("--keys", metavar="K1,K2,...",
                   help="press these keys (pygame names: w,a,space,f1,...) one every 12 frames")


def add_parser(subparsers: Any) -> None:
    """Register ``play`` and ``replay`` on the top-level ``subparsers``."""
    p = subparsers.add_parser(
        "play", help="play the game (or watch NPCs with --spectate)",
        description="Play Mindcrawl: a turn-based first-person dungeon crawl. F1 in the game lists the keys.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--params", metavar="FILE", help="level parameter TOML file")
    source.add_argument("--level", metavar="FILE.json", type=Path,
                        help="play a level file (written by `levels generate --out`) instead of generating one")
    source.add_argument("--preset", metavar="NAME",
                        help=f"shipped level preset (default: {DEFAULT_PRESET}; presets: {', '.join(preset_names())})")
    p.add_argument("--seed", type=seed_value, default=None, help="level seed (default: random; 0 with --headless)")
    p.add_argument("--checkpoint", metavar="FILE",
                   help="NPC policy checkpoint, or 'scripted' for the scripted NPC "
                        "(default: the shipped checkpoint)")
    p.add_argument("--spectate", action="store_true",
                   help="watch: the hero is driven by the NPC policy too; pause, speed and camera keys")
    p.add_argument("--continue", dest="load", action="store_true", help="continue the saved game")
    p.add_argument("--turn", type=int, choices=(90, 45), default=90,
                   help="degrees Q/E turn in first person (default: 90, grid-crawler turns)")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="where saves and recordings go (default: $MINDCRAWL_HOME or ~/.mindcrawl)")
    _add_display_options(p)
    p.set_defaults(run=cmd_play)

    r = subparsers.add_parser(
        "replay", help="replay a recorded run (window or animated GIF)",
        description="Replay a run recorded by `play` bit-identically, in a window or to an animated GIF.")
    r.add_argument("file", metavar="FILE", type=Path, help="a recording (.json) written by play")
    r.add_argument("--gif", metavar="OUT", help="write an animated GIF (one frame per turn) instead")
    r.add_argument("--frame-ms", type=positive_int, default=150, help="GIF frame duration (default: 150 ms)")
    _add_display_options(r)
    r.set_defaults(run=cmd_replay)


def _prepare_display(headless: bool) -> None:
    """Use SDL's dummy drivers when headless (before pygame initialises)."""
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ["SDL_AUDIODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def _key_codes(text: str | None) -> list[int]:
    """``"w,w,space"`` as pygame key codes."""
    import pygame

    codes = []
    for name in (text or "").split(","):
        if not name.strip():
            continue
        try:
            codes.append(pygame.key.key_code(name.strip()))
        except ValueError:
            raise UserError(f"--keys: unknown key name {name.strip()!r}") from None
    return codes


def _run_app(app: Any, args: argparse.Namespace) -> int:
    """Run the loop as the display options ask; write the screenshot."""
    from game.ui.app import screenshot

    frames = args.frames or (DEFAULT_HEADLESS_FRAMES if args.headless else None)
    app.run(frames=frames, headless=args.headless, script=_key_codes(args.keys))
    if args.screenshot:
        screenshot(app, args.screenshot)
        print(f"wrote {args.screenshot}")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    """``play``: open the game (see :func:`add_parser`)."""
    level = None
    if args.level is not None:
        from levels.level import Level

        level = Level.load(args.level)
        params = level.params
    else:
        params = load_params(args.params) if args.params else load_preset(args.preset or DEFAULT_PRESET)
    seed = args.seed if args.seed is not None else (0 if args.headless else random.SystemRandom().randrange(1_000_000))
    _prepare_display(args.headless)
    from game.ui.app import App, GameOptions, default_data_dir

    options = GameOptions(params, seed, checkpoint=args.checkpoint, view=ViewMode(args.view),
                          spectate=args.spectate, data_dir=args.data_dir or default_data_dir(), load=args.load,
                          turn_degrees=args.turn, level=level)
    if args.size:
        options.size = args.size
    return _run_app(_open(App, options), args)


def _open(app_class: Any, options: Any) -> Any:
    """The app with its window; no display is a one-line user error, not a traceback."""
    import pygame

    try:
        return app_class(options)
    except pygame.error as exc:
        raise UserError(f"cannot open the game window ({exc}); without a display, use --headless") from None


def _replay_frames(app: Any) -> Iterator[Any]:
    """The app's frame after the start and after every replayed turn (animations settled)."""
    from game.ui.animation import TURN_SECONDS

    app.paused = True  # turns come from this loop only
    while True:
        app.update(TURN_SECONDS)
        app.draw()
        yield app.screen.copy()
        if app.session.finished:
            return
        app.take_turn()


def cmd_replay(args: argparse.Namespace) -> int:
    """``replay``: play a recording back (see :func:`add_parser`)."""
    from game.ui.recording import Recording, write_gif

    rec = Recording.load(args.file)
    _prepare_display(args.headless or bool(args.gif))
    import pygame

    from game.ui.app import App, GameOptions

    size = args.size or (GIF_SIZE if args.gif else None)
    options = GameOptions(rec.level.params, rec.seed, view=ViewMode(args.view), replay=rec)
    if size:
        options.size = size
    if args.gif:
        app = App(options, surface=pygame.Surface(options.size))
        count = write_gif(_replay_frames(app), args.gif, args.frame_ms)
        if app.session.outcome.startswith("The replay diverged"):
            raise UserError(f"{args.file}: {app.session.outcome}")
        print(f"wrote {args.gif}: {count} frames ({rec.turns} turns)")
        return 0
    return _run_app(_open(App, options), args)
