"""Frame-time benchmark of the renderers: median and p99 per view mode at 960x600.

Run from anywhere::

    .venv/bin/python bench/frame_time.py [--frames N] [--downscale K] [--policy] [--json OUT|-]
                                         [--screenshots DIR [--shot FRAME]]

A camera walks from the entry of ``levels.generate("dungeon", 0)``, floor 0, towards
the stairs down (animated: several frames per move and per turn, doors on the way
opened), with 16 wandering agents and a few items; only sprites on visible cells are
passed, as the app does. Each frame is drawn whole (view, HUD text, minimap) on a
plain 960x600 surface, with no window. The first frames (numba compilation, caches)
are excluded.

``--game`` times the real game loop in each view (:func:`game_frames`): 16 NPCs acting
through a transformer checkpoint, with the live learner running in its own process.

``--policy`` adds a "first-person+policy" series: the same frames, with one batched
step of the transformer policy (``npc.transformer.EntityTransformer``, random weights,
one thread) for 16 agents inside every sixth frame, one turn per move animation.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The repo root goes first, ahead of this script's own folder.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

import levels  # noqa: E402
from game.ui.render import Renderer  # noqa: E402
from game.ui.view_state import Hud, Sprite, ViewMode, ViewState  # noqa: E402
from levels.tiles import OPAQUE, PASSABLE, WALKABLE, Tile  # noqa: E402

SIZE = (960, 600)
SIGHT = 8  # radius of the bench's field of view
FRAMES_PER_STEP = 6  # animation frames per move or quarter turn
AGENTS = 16
FACTION_COLOURS = ((200, 40, 40), (200, 60, 200), (230, 200, 40), (40, 200, 200))


def line_of_sight(tiles: np.ndarray, y: int, x: int, radius: int) -> np.ndarray:
    """``(H, W)`` bool: cells within ``radius`` seen from the centre of ``(y, x)``.

    A simple sampled ray test (bench only; the game has its own field of view): a
    cell is visible when the segment to its centre, or to a point near one of its
    corners, crosses no opaque cell on the way.
    """
    height, width = tiles.shape
    dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    keep = dy * dy + dx * dx <= radius * radius + radius
    ty, tx = y + dy[keep], x + dx[keep]
    inside = (ty >= 0) & (ty < height) & (tx >= 0) & (tx < width)
    ty, tx = ty[inside], tx[inside]
    t = np.linspace(0.0, 1.0, 6 * radius + 2)[1:-1]
    seen = np.zeros(ty.shape, bool)
    for oy, ox in ((0.0, 0.0), (-0.45, -0.45), (-0.45, 0.45), (0.45, -0.45), (0.45, 0.45)):
        sy = np.floor(y + 0.5 + np.outer(ty + oy - y, t)).astype(int)
        sx = np.floor(x + 0.5 + np.outer(tx + ox - x, t)).astype(int)
        between = (sy != ty[:, None]) | (sx != tx[:, None])
        seen |= ~(OPAQUE[tiles[sy, sx]] & between).any(axis=1)
    visible = np.zeros_like(tiles, dtype=bool)
    visible[ty[seen], tx[seen]] = True
    return visible


def shortest_path(tiles: np.ndarray, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]]:
    """4-connected BFS path from ``start`` to ``goal`` through passable cells (doors count)."""
    prev = {start: start}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        if cell == goal:
            break
        y, x = cell
        for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
            if (ny, nx) not in prev and PASSABLE[tiles[ny, nx]]:
                prev[ny, nx] = cell
                queue.append((ny, nx))
    path = [goal]
    while path[-1] != start:
        path.append(prev[path[-1]])
    return path[::-1]


def camera_poses(path: list[tuple[int, int]]) -> Iterator[tuple[float, float, float, int]]:
    """Animated ``(y, x, facing, cell index)`` along ``path``: turn on the spot, then move."""
    facing = 0.0
    for i in range(len(path) - 1):
        (y0, x0), (y1, x1) = path[i], path[i + 1]
        target = math.atan2(y1 - y0, x1 - x0)
        turn = (target - facing + math.pi) % (2 * math.pi) - math.pi
        if abs(turn) > 1e-6:
            for k in range(1, FRAMES_PER_STEP + 1):
                yield y0, x0, facing + turn * k / FRAMES_PER_STEP, i
            facing = target
        for k in range(1, FRAMES_PER_STEP + 1):
            f = k / FRAMES_PER_STEP
            yield y0 + (y1 - y0) * f, x0 + (x1 - x0) * f, facing, i + (k == FRAMES_PER_STEP)


def wanderers(tiles: np.ndarray, rng: np.random.Generator, count: int) -> list[tuple[int, int, int, int]]:
    """``count`` agents, each pacing between a walkable cell and a walkable neighbour: (y0, x0, y1, x1)."""
    cells = np.argwhere(WALKABLE[tiles])
    out = []
    for y, x in cells[rng.choice(len(cells), count, replace=False)]:
        steps = [(y + dy, x + dx) for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)) if WALKABLE[tiles[y + dy, x + dx]]]
        ny, nx = steps[rng.integers(len(steps))] if steps else (y, x)
        out.append((int(y), int(x), int(ny), int(nx)))
    return out


def walk_views(frames: int, seed: int = 0) -> list[ViewState]:
    """``frames`` ViewStates of a camera walking floor 0 of the dungeon preset with 16 agents."""
    level = levels.generate("dungeon", 0)
    tiles = level.tiles[0].copy()
    rng = np.random.default_rng(seed)
    _, ey, ex = level.entry
    goal = next((y, x) for f, y, x in level.stairs_down() if f == 0)
    path = shortest_path(tiles, (ey, ex), goal)
    for y, x in path:  # the walker opens the doors on its way
        if tiles[y, x] in (Tile.DOOR_CLOSED, Tile.DOOR_LOCKED):
            tiles[y, x] = Tile.DOOR_OPEN
    agents = wanderers(tiles, rng, AGENTS)
    items = [(p.y, p.x, p.item.category) for p in level.items if p.floor == 0]
    explored = np.zeros(tiles.shape, bool)
    views: list[ViewState] = []
    messages: deque[str] = deque(maxlen=8)
    poses = camera_poses(path)
    for n in range(frames):
        pose = next(poses, None)
        if pose is None:
            poses = camera_poses(path[::-1])
            pose = next(poses)
        y, x, facing, cell = pose
        visible = line_of_sight(tiles, int(round(y)), int(round(x)), SIGHT)
        explored |= visible
        sprites = [Sprite(y, x, "agent", "hero", is_player=True, colour=(40, 200, 60))]
        phase = 0.5 - 0.5 * math.cos(n * 0.07)
        for i, (y0, x0, y1, x1) in enumerate(agents):
            if visible[y0, x0] or visible[y1, x1]:
                sprites.append(Sprite(y0 + (y1 - y0) * phase, x0 + (x1 - x0) * phase, "agent", f"monsters_{i % 4}",
                                      hp_frac=(i + 1) / AGENTS, label=f"attack v{i % 3}" if i % 5 == 0 else "",
                                      colour=FACTION_COLOURS[i % 4]))
        sprites += [Sprite(iy, ix, category) for iy, ix, category in items if visible[iy, ix]]
        if n % 40 == 0:
            messages.append(f"Turn {n // FRAMES_PER_STEP}: the goblin hits you for {n % 7} damage.")
        hud = Hud(hp=20 - n % 15, max_hp=20, atk=3, defense=2, dex=1, melee="long sword 3-6",
                  ranged="bow 0-3, reach 3", potion="health potion +5", keys=1, buff="+2 ATK, 2 turns",
                  floor=0, floors=level.floor_count, turn=n // FRAMES_PER_STEP, messages=tuple(messages),
                  title="Mindcrawl - bench")
        views.append(ViewState(tiles, explored.copy(), visible, float(y), float(x), facing, tuple(sprites), hud,
                               paths=(tuple(path[cell:cell + 12]),)))
    return views


def time_frames(renderer: Renderer, views: list[ViewState], mode: ViewMode, warmup: int,
                turn: Callable[[], object] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Wall and CPU milliseconds per frame after ``warmup`` untimed frames.

    With ``turn``, it is called inside every ``FRAMES_PER_STEP``-th timed frame (one game
    turn per move animation), as the NPCs' policy runs in the frame where a turn happens.
    """
    surface = pygame.Surface(SIZE)
    for view in views[:warmup]:
        renderer.draw(surface, view, mode)
    wall, cpu = [], []
    for n, view in enumerate(views):
        start, start_cpu = time.perf_counter(), time.process_time()
        if turn is not None and n % FRAMES_PER_STEP == 0:
            turn()
        renderer.draw(surface, view, mode)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return np.array(wall), np.array(cpu)


def policy_turn() -> Callable[[], object] | None:
    """A function that runs one batched transformer policy step for 16 agents, or None if unavailable.

    Random weights and observations sampled from the observation space: the cost of
    a forward pass does not depend on the values.
    """
    try:
        import torch

        from game.actions import CORE_ACTIONS
        from game.spec import observation_space
        from npc.transformer import EntityTransformer
    except ImportError as err:
        print(f"policy timing skipped: {err}", file=sys.stderr)
        return None
    torch.set_num_threads(1)  # the game's process shares 2 cores with the renderer
    torch.manual_seed(0)
    net = EntityTransformer(CORE_ACTIONS).eval()
    space = observation_space(CORE_ACTIONS)
    space.seed(0)
    obs = {k: np.stack([space[k].sample() for _ in range(AGENTS)]) for k in space}

    def turn() -> object:
        return net.act(obs, deterministic=True)  # masked forward and action choice, as the game does per turn

    for _ in range(5):
        turn()
    return turn


def save_screenshots(renderer: Renderer, view: ViewState, folder: Path, modes: list[str]) -> None:
    """Save ``view`` drawn in each mode (with text) as ``folder/<mode>.png``, plus the help overlay."""
    folder.mkdir(parents=True, exist_ok=True)
    surface = pygame.Surface(SIZE)
    for name in modes:
        renderer.draw(surface, view, ViewMode(name))
        pygame.image.save(surface, str(folder / f"{name}.png"))
    keys = (("W / Up / Keypad 8", "step forward (into an enemy: melee attack)"), ("A / D", "strafe"),
            ("Q / E", "turn 45 degrees"), ("F", "fire the ranged weapon ahead (else at the first enemy in line)"),
            ("R", "drink the carried potion"),
            ("Space / Enter", "open/close/unlock an adjacent door, or take the stairs you stand on"),
            ("V", "switch view: first-person, top-down, isometric"), ("F1 / H", "show / hide this help"))
    renderer.draw(surface, view, ViewMode(modes[0]), help_keys=keys)
    pygame.image.save(surface, str(folder / "help.png"))


def summary(wall: np.ndarray, cpu: np.ndarray) -> dict[str, float]:
    """Median, p99 and mean wall-clock milliseconds, and the median process CPU milliseconds."""
    return {"median_ms": round(float(np.median(wall)), 3), "p99_ms": round(float(np.percentile(wall, 99)), 3),
            "mean_ms": round(float(wall.mean()), 3), "cpu_median_ms": round(float(np.median(cpu)), 3),
            "cpu_p99_ms": round(float(np.percentile(cpu, 99)), 3), "frames": int(wall.size)}


def game_checkpoint(folder: Path) -> tuple[Path, str]:
    """The shipped checkpoint when it loads, else a random-weight transformer of the current spec.

    A forward pass costs the same whatever the weights, so frame times hold either way;
    the note says which one ran.
    """
    from levels.common.errors import UserError
    from npc.checkpoint import SHIPPED_CHECKPOINT
    from npc.controllers import PolicyController

    try:
        PolicyController.from_checkpoint(SHIPPED_CHECKPOINT)
        return SHIPPED_CHECKPOINT, f"shipped checkpoint {SHIPPED_CHECKPOINT.name}"
    except UserError as exc:
        import torch

        from game.actions import CORE_ACTIONS
        from npc.checkpoint import build_policy, save_checkpoint

        torch.manual_seed(0)
        path = folder / "random-transformer.safetensors"
        save_checkpoint(path, build_policy("transformer", CORE_ACTIONS))
        return path, f"random-weight transformer (the shipped checkpoint did not load: {exc})"


def game_frames(frames: int, warmup: int, turns_per_second: int, view: ViewMode = ViewMode.FIRST_PERSON,
                live: bool = False, learner_wait: float = 120.0) -> dict[str, Any]:
    """Frame times of the real game loop: spectating 16 agents that all act through a transformer
    checkpoint (:func:`game_checkpoint`), on one floor of the dungeon preset, drawn in ``view``.

    Each frame is ``App.update`` (a turn when due: policy forward for every agent, the
    simulation step, animation) plus ``App.draw`` at 960x600. With ``live`` the live
    learner (F5, Enter) runs in its own process meanwhile, training on every NPC
    faction, and its weights are swapped in between turns; timing starts once it has
    published its first update (or after ``learner_wait`` seconds).
    """
    import dataclasses
    import tempfile

    from game.ui import app as game_app
    from levels.params import FloorsParams, SpawnGroup, load_preset

    base = load_preset("dungeon")
    params = dataclasses.replace(
        base, floors=FloorsParams(count=1, width=48, height=32),
        spawns=[SpawnGroup(faction="hero", count=(1, 1), floors=[0]),
                SpawnGroup(faction="monsters", count=(AGENTS - 1, AGENTS - 1), hp=(10, 20))])
    with tempfile.TemporaryDirectory() as data:
        checkpoint, note = game_checkpoint(Path(data))
        options = game_app.GameOptions(params=params, seed=0, spectate=True, data_dir=Path(data),
                                       view=view, checkpoint=checkpoint)
        app = game_app.App(options, surface=pygame.Surface(SIZE))
        try:
            app.speed = int(np.argmin(np.abs(np.asarray(game_app.SPEEDS) - turns_per_second)))
            agents = int(app.session.sim.world.ag[0, :, 0].size)
            waited = 0.0
            if live:
                app.live.learner_options = {"num_worlds": 16, "rollout_steps": 16}
                if not app.start_live():
                    raise RuntimeError(f"the live learner did not start: {app.live.message}")
                start = time.perf_counter()
                while time.perf_counter() - start < learner_wait:
                    app.update(1 / 60)
                    app.draw()
                    client = app.live.client
                    if client is not None and (client.curve or client.error):
                        break
                waited = time.perf_counter() - start
            wall, cpu = [], []
            version0 = app.live.client.version if app.live.client is not None else 0
            for i in range(warmup + frames):
                start, start_cpu = time.perf_counter(), time.process_time()
                app.update(1 / 60)
                app.draw()
                if i >= warmup:
                    wall.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.process_time() - start_cpu) * 1000)
            result = summary(np.array(wall), np.array(cpu))
            result.update({"agent_slots": agents, "turns": app.session.turn, "view": view.value,
                           "turns_per_second": game_app.SPEEDS[app.speed], "controller": app.controller.name,
                           "checkpoint": note, "live_learner": live})
            if live:
                client = app.live.client
                result.update({"learner_state": client.state if client else "none",
                               "learner_wait_s": round(waited, 1),
                               "weight_versions_during_timing": (client.version - version0) if client else 0,
                               "learner_error": (client.error or "") if client else ""})
        finally:
            app.close()
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a table (or JSON); returns the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=300, help="timed frames per view mode")
    parser.add_argument("--warmup", type=int, default=20, help="untimed frames first")
    parser.add_argument("--downscale", type=int, default=2, help="first-person internal resolution divisor")
    parser.add_argument("--modes", default="first-person,top-down,isometric")
    parser.add_argument("--policy", action="store_true",
                        help="also time first-person frames with a 16-agent transformer step every turn")
    parser.add_argument("--game", action="store_true",
                        help="also time the real game loop in every view: 16 NPCs spectated, driven by the "
                             "shipped checkpoint, with the live learner running (see --no-live)")
    parser.add_argument("--no-live", action="store_true", help="--game without the live learner")
    parser.add_argument("--turns-per-second", type=float, default=8, help="--game: spectator speed")
    parser.add_argument("--json", metavar="OUT", help="write JSON results to OUT ('-' for stdout)")
    parser.add_argument("--screenshots", metavar="DIR", help="also save frame --shot of each mode as DIR/<mode>.png")
    parser.add_argument("--shot", type=int, default=418, help="which frame --screenshots saves")
    args = parser.parse_args(argv)
    pygame.display.init()
    pygame.font.init()
    modes = args.modes.split(",")
    views = walk_views(max(args.frames, args.shot + 1 if args.screenshots else 0))
    renderer = Renderer(downscale=args.downscale)
    if args.screenshots:
        save_screenshots(renderer, views[args.shot], Path(args.screenshots), modes)
    views = views[:args.frames]
    results: dict[str, Any] = {"size": list(SIZE), "downscale": args.downscale, "agents": AGENTS,
                               "frames_per_turn": FRAMES_PER_STEP, "modes": {}}
    for name in modes:
        results["modes"][name] = summary(*time_frames(renderer, views, ViewMode(name), args.warmup))
    turn = policy_turn() if args.policy else None
    if turn is not None:
        name = "first-person+policy"
        results["modes"][name] = summary(*time_frames(renderer, views, ViewMode.FIRST_PERSON, args.warmup, turn))
    if args.game:
        for name in modes:
            label = f"game {name}" + ("" if args.no_live else " +learner")
            results["modes"][label] = game_frames(args.frames, args.warmup, args.turns_per_second,
                                                  ViewMode(name), live=not args.no_live)
    if args.json:
        text = json.dumps(results, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    if args.json != "-":
        print(f"frame time at {SIZE[0]}x{SIZE[1]}, {AGENTS} agents, first-person downscale {args.downscale}"
              f" (wall clock; CPU = this process's CPU time)")
        for name, r in results["modes"].items():
            print(f"  {name:27s} median {r['median_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms"
                  f"  | CPU median {r['cpu_median_ms']:6.2f} ms  p99 {r['cpu_p99_ms']:6.2f} ms  ({r['frames']} frames)")
    return results


if __name__ == "__main__":
    main()
