"""A scripted play-through in a real window: Xvfb, keys sent with xdotool, screenshots checked.

Run from anywhere (needs ``Xvfb``, ``xdotool`` and ImageMagick's ``import``)::

    .venv/bin/python bench/playthrough.py [--out DIR] [--json OUT]

It writes a small two-floor level, starts ``main.py play --level`` on a virtual X
display and plays it key by key: start, move, pick up a sword, a potion, fight the rat
that comes (F strikes it), drink, walk to the stairs and take them, step towards the
lava below (the game asks first), walk in and burn, read the death screen, start a new
run, quit (Esc, Y). After each
step it captures the window and compares it, with a tolerance, with the frame an
identical off-screen game (same level, same keys, the same App) draws at that step,
and checks that step's state in that game: what the player should see is there (the
sword held, the rat slain, floor 2, the lava warning, the death screen naming the lava
as the cause).
It fails (exit 1) on the first step whose screen or state is wrong, and saves every
capture in ``--out``. Prints one line per step and the start-up time of the window.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402

SIZE = (960, 600)
DISPLAY = ""  # the virtual display Xvfb picked (set by start_xvfb)
SETTLE = 1.8  # seconds after a key: animations and hit markers are over
#: A step's capture matches its off-screen frame when at most this share of pixels differ by more than 48.
TOLERANCE = 0.02

FLOOR0 = ["############",
          "#........>.#",
          "#..........#",
          "############"]
FLOOR1 = ["############",
          "#.#####^^<^#",
          "#######^^^^#",
          "############"]


def scenario():
    """The level: hero at (1, 1) facing east, a sword at (1, 2) and a potion at (1, 3), a weak rat,
    stairs down at (1, 9); below, the arrival ringed by lava (8 HP a turn) and an ogre walled in
    far away (the run goes on: an enemy is left)."""
    import dataclasses

    from game.handmade import item, make_level, scenario_params, spawn
    from levels.params import SpawnGroup

    floors = [f + ["#" * 12] * 7 for f in (FLOOR0, FLOOR1)]
    params = dataclasses.replace(
        scenario_params((2, 11, 12), lava_damage=8),
        spawns=[SpawnGroup(faction="hero", count=(1, 1), floors=[0]),
                SpawnGroup(faction="monsters", name="rat", floors=[0], hp=(3, 3), atk=(0, 0), defense=(0, 0)),
                SpawnGroup(faction="monsters", name="ogre", floors=[1], hp=(40, 40), atk=(40, 40),
                           defense=(9, 9))])
    return make_level(floors, params=params,
                      agents=[spawn("hero", 1, 1, hp=20), spawn("monsters", 2, 8, hp=3, atk=0, defense=0),
                              spawn("monsters", 1, 1, floor=1, hp=40, atk=40, defense=9)],
                      items=[(0, 1, 2, item("melee", damage_min=3, damage_max=4)),
                             (0, 1, 3, item("potion", heal=5))], max_turns=300)


class Twin:
    """The same game off-screen: the reference frame and state of every step."""

    def __init__(self, level_path: Path, data_dir: Path) -> None:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        import pygame

        from game.ui.app import App, GameOptions
        from levels.level import Level

        level = Level.load(level_path)
        self.pygame = pygame
        self.app = App(GameOptions(level.params, 0, level=level, checkpoint="scripted", data_dir=data_dir),
                       surface=pygame.Surface(SIZE))

    def press(self, name: str) -> None:
        """One key, then the animations settle."""
        self.app.handle_key(self.pygame.key.key_code(name))
        self.app.update(SETTLE)

    def frame(self) -> np.ndarray:
        """The current frame, ``(H, W, 3)``."""
        surface = self.pygame.Surface(SIZE)
        self.app.draw(surface)
        return self.pygame.surfarray.array3d(surface).transpose(1, 0, 2).astype(np.int16)


def capture(path: Path) -> np.ndarray:
    """The X display's root window as ``(H, W, 3)``, also saved as ``path``."""
    subprocess.run(["import", "-display", DISPLAY, "-window", "root", str(path)], check=True,
                   capture_output=True)
    import pygame

    image = pygame.image.load(str(path))
    return pygame.surfarray.array3d(image).transpose(1, 0, 2).astype(np.int16)[:SIZE[1], :SIZE[0]]


def differing(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels whose largest channel difference exceeds 48."""
    return float(np.mean(np.abs(a - b).max(axis=2) > 48))


def send(name: str) -> None:
    """Press and release one key in the game window."""
    key = {"space": "space", "return": "Return", "escape": "Escape"}.get(name, name)
    subprocess.run(["xdotool", "key", "--delay", "60", key], check=True, env={**os.environ, "DISPLAY": DISPLAY})


def wait_for(reference: np.ndarray, path: Path, timeout: float) -> tuple[float, float]:
    """Capture until the screen matches ``reference`` (or ``timeout``); returns (diff, seconds waited)."""
    start = time.perf_counter()
    while True:
        diff = differing(capture(path), reference)
        waited = time.perf_counter() - start
        if diff <= TOLERANCE or waited > timeout:
            return diff, waited
        time.sleep(0.3)


def steps(app: Any) -> list[tuple[str, list[str], Callable[[], str]]]:
    """``(name, keys, check)``: each check returns "" when the twin's state shows what it should."""
    from game.state import ALIVE, EQ_MELEE, EQ_POTION, FLOOR, X

    s = lambda: app.session  # noqa: E731 (the session changes on a new run)
    hero = lambda: s().sim.world.ag[0, s().player]  # noqa: E731
    log = lambda: " | ".join(list(s().log)[-6:])  # noqa: E731

    def expect(ok: bool, what: str) -> str:
        return "" if ok else f"{what}; log: {log()}"

    return [
        ("start", [], lambda: expect(s().turn == 0 and bool(hero()[ALIVE]), "a new run at turn 0")),
        ("move and pick up the sword", ["w"], lambda: expect(hero()[EQ_MELEE] >= 0 and "pick up" in log(),
                                                             "the sword held")),
        ("pick up the potion", ["w"], lambda: expect(hero()[EQ_POTION] >= 0, "the potion carried")),
        ("fight the rat", ["z", "z", "f", "f"],
         lambda: expect(not s().sim.world.ag[0, 1, ALIVE] and "Rat" in log(), "the rat slain, named")),
        ("drink", ["r"], lambda: expect(hero()[EQ_POTION] < 0 and "drink" in log(), "the potion drunk")),
        ("walk to the stairs", ["w"] * 6, lambda: expect(int(hero()[X]) == 9, "on the stairs")),
        ("take the stairs", ["space"], lambda: expect(int(hero()[FLOOR]) == 1 and "floor 2" in log(),
                                                      "on floor 2")),
        ("lava asks first", ["w"], lambda: expect(int(hero()[FLOOR]) == 1 and "Lava ahead" in log(),
                                                  "the lava warning, no step taken")),
        ("die in the lava", ["w", "z", "z", "z"],
         lambda: expect(s().finished and "lava" in " ".join(s().summary()), "burned in the lava")),
        ("death screen", [], lambda: expect(s().summary()[1].startswith("Burned to death in lava")
                                            and "F9" not in _prompt(app), "the cause, no F9 offer")),
        ("restart", ["return"], lambda: expect(not s().finished and s().turn == 0, "a new run")),
        ("quit asks first", ["escape"], lambda: expect(app.confirm_quit and app.running, "the quit question")),
    ]


def _prompt(app: Any) -> str:
    from game.ui.endscreen import end_prompt

    s = app.session
    return end_prompt(s.level.seed + 1, app.save_path.exists(), s.replay_of is not None)


def start_xvfb() -> subprocess.Popen:
    """Start Xvfb on a free display number (``-displayfd``); sets :data:`DISPLAY`."""
    global DISPLAY
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    DISPLAY = f":{number}"
    return xvfb


def main(argv: list[str] | None = None) -> int:
    """Run the play-through; 0 when every step's screen and state are right."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "mindcrawl-playthrough")
    parser.add_argument("--json", metavar="OUT", help="write the steps' results as JSON")
    parser.add_argument("--start-timeout", type=float, default=180.0, help="seconds the window may take to open")
    args = parser.parse_args(argv)
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            print(f"playthrough: {tool} is not installed (apt-get install xvfb xdotool imagemagick)")
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mindcrawl-play-"))
    level_path = work / "level.json"
    scenario().save(level_path)
    twin = Twin(level_path, work / "twin")
    xvfb = start_xvfb()
    game = None
    results: list[dict[str, Any]] = []
    try:
        env = {**os.environ, "DISPLAY": DISPLAY, "SDL_VIDEODRIVER": "x11"}
        started = time.perf_counter()
        game = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "play", "--level", str(level_path),
                                 "--checkpoint", "scripted", "--data-dir", str(work / "game")],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for n, (name, keys, check) in enumerate(steps(twin.app)):
            for key in keys:
                if n:
                    send(key)
                    time.sleep(SETTLE)
                twin.press(key)
            shot = args.out / f"{n:02d}-{name.replace(' ', '-')}.png"
            timeout = args.start_timeout if n == 0 else 10.0
            diff, waited = wait_for(twin.frame(), shot, timeout)
            problem = check()
            if diff > TOLERANCE:
                problem = f"the window differs from the expected frame in {diff:.1%} of pixels ({shot})"
            row = {"step": name, "keys": keys, "differing": round(diff, 4), "screenshot": str(shot),
                   "ok": not problem, "problem": problem}
            if n == 0:
                row["window_ready_seconds"] = round(time.perf_counter() - started, 2)
            results.append(row)
            extra = f"  (window ready after {row['window_ready_seconds']} s)" if n == 0 else ""
            print(f"{'ok  ' if not problem else 'FAIL'} {name:28s} differing {diff:6.2%}{extra}"
                  + (f"\n     {problem}" if problem else ""), flush=True)
            if problem:
                break
        if all(r["ok"] for r in results) and len(results) == len(steps(twin.app)):
            send("y")  # confirm the quit
            try:
                game.wait(20)
            except subprocess.TimeoutExpired:
                results.append({"step": "quit", "ok": False, "problem": "the game did not quit after Y"})
    finally:
        if game is not None and game.poll() is None:
            game.terminate()
            game.wait(10)
        xvfb.terminate()
        xvfb.wait(10)
        twin.app.close()
    ok = bool(results) and all(r["ok"] for r in results)
    if args.json:
        Path(args.json).write_text(json.dumps({"ok": ok, "steps": results}, indent=2) + "\n")
    print("play-through passed" if ok else "play-through FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
