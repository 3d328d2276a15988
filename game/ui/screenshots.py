"""Regenerate the README's and docs/screenshots/ pictures from the game itself.

``python -m game.ui.screenshots --out docs/screenshots`` (``make screenshots``) plays the
scene in :data:`SCENE` off-screen, exactly as ``main.py play --headless --keys ...
--screenshot`` would (same App, same keys, same fixed clock), and writes one PNG per
view. Each picture is therefore what the game shows at that preset, seed and turn;
:func:`play_command` prints the command that reproduces one.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Scene:
    """What the pictures show: a preset, a level seed, keys pressed in order, frames drawn."""

    preset: str = "dungeon"
    seed: int = 3
    keys: tuple[str, ...] = ("w", "w", "w", "w", "e", "e", "d", "d", "d")  # to the bow, face north, step east
    frames: int = 150  # a key every 12 frames, then the animations settle
    size: tuple[int, int] = (960, 600)


SCENE = Scene()
VIEWS = ("first-person", "top-down", "isometric")
#: Pictures of single moments besides the three views: ``name: (scene, view)``. The HUD's
#: goal and turns-left badges show in every view; the end screen needs a run that ends
#: (here the hero waits on the arena until the monster kills it).
MOMENTS: dict[str, tuple[Scene, str]] = {
    "end-screen": (Scene(preset="arena", seed=0, keys=("z",) * 45, frames=600), "top-down"),
}


def play_command(scene: Scene, view: str, out: str) -> str:
    """The ``main.py play`` command line that draws the same picture."""
    return (f"python main.py play --headless --preset {scene.preset} --seed {scene.seed} --view {view} "
            f"--frames {scene.frames} --keys {','.join(scene.keys)} --screenshot {out}")


def shoot(scene: Scene, view: str, out: Path, data_dir: Path) -> Path:
    """Play ``scene`` off-screen in ``view`` and write the last frame to ``out``."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from game.ui.app import App, GameOptions, screenshot
    from game.ui.view_state import ViewMode
    from levels.params import load_preset

    options = GameOptions(load_preset(scene.preset), scene.seed, view=ViewMode(view), data_dir=data_dir,
                          size=scene.size)
    app = App(options)  # a (dummy) window, as `main.py play --headless` opens
    app.run(frames=scene.frames, headless=True, script=[pygame.key.key_code(k) for k in scene.keys])
    out.parent.mkdir(parents=True, exist_ok=True)
    screenshot(app, out)
    app.close()
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: write ``<out>/<view>.png`` for every view."""
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="folder for the PNGs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mindcrawl-shots-") as data:
        for view in VIEWS:
            path = shoot(SCENE, view, args.out / f"{view}.png", Path(data))
            print(f"wrote {path}  (= {play_command(SCENE, view, str(path))})")
        for name, (scene, view) in MOMENTS.items():
            path = shoot(scene, view, args.out / f"{name}.png", Path(data))
            print(f"wrote {path}  (= {play_command(scene, view, str(path))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
