"""Frame time of the headless game loop with and without the live learner; weight swaps; a soak.

Run from anywhere::

    .venv/bin/python bench/live_retrain.py [--frames N] [--warmup N] [--json OUT|-]
    .venv/bin/python bench/live_retrain.py --soak SECONDS [--json OUT|-]

Frame-time mode, in one run: the real game loop (``App.update`` + ``App.draw``,
first person, 960x600, no window) spectating 16 agents (one hero, 15 NPCs) on one
floor of the ``dungeon`` preset at 8 turns per second, driven by the shipped
checkpoint -- first without the learner, then with the learner training every NPC
(live weights swapped in between turns). Frames run back to back. Reported: median
and p99 frame milliseconds of both, the weight-swap milliseconds (copy of the new
version into the live network), and the versions published meanwhile.

Soak mode: the same game with the learner for SECONDS, paced at 60 frames per
second, a new run whenever one ends. Every 10 s it samples the resident memory of the
game and the learner (``/proc/PID/status``); after a warm-up (a fifth of the time, at
least 60 s) both must grow by less than 10%, and the weight versions the game sees
must never go backwards. Exit code 1 if the soak fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

SIZE = (960, 600)
AGENTS = 16
TURNS_PER_SECOND = 8
BARS = {"median_ms": 16.7, "p99_ms": 33.0, "swap_ms": 5.0}


def make_app(data: Path) -> Any:
    """The game, spectating 15 NPCs and a hero on a 48x32 floor of ``dungeon``."""
    from game.ui import app as game_app
    from game.ui.view_state import ViewMode
    from levels.params import FloorsParams, SpawnGroup, load_preset

    base = load_preset("dungeon")
    params = dataclasses.replace(
        base, floors=FloorsParams(count=1, width=48, height=32),
        spawns=[SpawnGroup(faction="hero", count=(1, 1), floors=[0]),
                SpawnGroup(faction="monsters", count=(AGENTS - 1, AGENTS - 1), hp=(10, 20))])
    options = game_app.GameOptions(params=params, seed=0, spectate=True, data_dir=data, view=ViewMode.FIRST_PERSON)
    app = game_app.App(options, surface=pygame.Surface(SIZE))
    app.speed = int(np.argmin(np.abs(np.asarray(game_app.SPEEDS) - TURNS_PER_SECOND)))
    return app


def frame(app: Any) -> tuple[float, float]:
    """One frame (a turn when due): wall-clock and game-process CPU milliseconds.

    A finished run is replaced by a new one on the same level (the soak goes on).
    """
    start, start_cpu = time.perf_counter(), time.process_time()
    app.update(1 / 60)
    app.draw()
    elapsed, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000
    if app.session.finished:
        app.new_run(app.session.level, app.session.level.seed)
    return elapsed, cpu


def summary(wall: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    """Median, p99, mean and max of wall-clock milliseconds (and the CPU median and p99)."""
    a = np.asarray(wall)
    out = {"median_ms": round(float(np.median(a)), 3), "p99_ms": round(float(np.percentile(a, 99)), 3),
           "mean_ms": round(float(a.mean()), 3), "max_ms": round(float(a.max()), 3), "frames": int(a.size)}
    if cpu:
        out["cpu_median_ms"] = round(float(np.median(cpu)), 3)
        out["cpu_p99_ms"] = round(float(np.percentile(cpu, 99)), 3)
    return out


def series(app: Any, frames: int, warmup: int) -> dict[str, float]:
    """Time ``frames`` frames after ``warmup`` untimed ones."""
    for _ in range(warmup):
        frame(app)
    timed = [frame(app) for _ in range(frames)]
    return summary([w for w, _ in timed], [c for _, c in timed])


def wait_for_version(app: Any, version: int, timeout: float) -> bool:
    """Keep polling (no frames) until the learner published ``version``."""
    deadline = time.monotonic() + timeout
    client = app.live.client
    while time.monotonic() < deadline:
        client.poll()
        if client.error:
            raise RuntimeError(f"learner failed: {client.error}")
        if client.version >= version:
            return True
        time.sleep(0.1)
    return False


def frame_times(frames: int, warmup: int) -> dict[str, Any]:
    """Both series and the swaps, in one run."""
    with tempfile.TemporaryDirectory() as data:
        app = make_app(Path(data))
        try:
            without = series(app, frames, warmup)
            if not app.start_live():
                raise RuntimeError(app.live.message)
            if not wait_for_version(app, 1, timeout=180):
                raise RuntimeError("the learner published nothing in 180 s")
            first = app.live.client.version
            with_learner = series(app, frames, warmup)
            controller = app.live.controller
            swaps, swaps_cpu = list(controller.swap_ms), list(controller.swap_cpu_ms)
            result = {
                "without_learner": without, "with_learner": with_learner,
                "swaps": summary(swaps, swaps_cpu) if swaps else {"frames": 0},
                "versions_published_during_run": app.live.client.version - first,
                "turns": app.session.turn, "agents": AGENTS, "turns_per_second": TURNS_PER_SECOND,
                "learner_pid": app.live.client.pid, "controller": controller.name,
            }
        finally:
            app.close()
    return result


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def soak(seconds: float) -> dict[str, Any]:
    """Run the game with the learner for ``seconds``; memory and version checks."""
    warm = max(60.0, seconds / 5)
    samples: list[dict[str, float]] = []
    backwards = 0
    seen = -1
    with tempfile.TemporaryDirectory() as data:
        app = make_app(Path(data))
        try:
            if not app.start_live():
                raise RuntimeError(app.live.message)
            if not wait_for_version(app, 1, timeout=180):
                raise RuntimeError("the learner published nothing in 180 s")
            start = time.monotonic()
            next_sample = start
            while (now := time.monotonic()) - start < seconds:
                frame(app)
                version = app.live.controller.version
                backwards += version < seen
                seen = max(seen, version)
                if app.live.client.error:
                    raise RuntimeError(f"learner failed: {app.live.client.error}")
                if now >= next_sample:
                    next_sample += 10
                    samples.append({"t": round(now - start, 1), "game_mb": round(rss_mb(os.getpid()), 1),
                                    "learner_mb": round(rss_mb(app.live.client.pid), 1), "version": version})
                time.sleep(max(0.0, 1 / 60 - (time.monotonic() - now)))
            curve_versions = [p.version for p in app.live.client.curve]
        finally:
            app.close()
    after = [s for s in samples if s["t"] >= warm]
    growth = {}
    for key in ("game_mb", "learner_mb"):
        growth[key] = round(after[-1][key] / after[0][key] - 1, 4) if len(after) >= 2 and after[0][key] else None
    monotonic = all(b > a for a, b in zip(curve_versions, curve_versions[1:], strict=False))
    passed = (backwards == 0 and monotonic and all(g is not None and g < 0.10 for g in growth.values()))
    return {"seconds": seconds, "warmup_s": warm, "samples": samples, "growth_after_warmup": growth,
            "versions_backwards": backwards, "learner_versions_increasing": monotonic,
            "last_version": seen, "passed": passed}


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=2400, help="timed frames per series (default 2400)")
    parser.add_argument("--warmup", type=int, default=120, help="untimed frames first (default 120)")
    parser.add_argument("--soak", type=float, metavar="SECONDS", help="run the soak instead (10 min: 600)")
    parser.add_argument("--json", help="write the results as JSON to this file ('-': stdout)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    pygame.display.init()
    pygame.font.init()
    if args.soak:
        result = soak(args.soak)
        ok = result["passed"]
        if args.json != "-":
            for s in result["samples"]:
                print(f"t={s['t']:7.1f}s game {s['game_mb']:7.1f} MB  learner {s['learner_mb']:7.1f} MB  "
                      f"version {s['version']}")
            print(f"growth after {result['warmup_s']:.0f} s warm-up: {result['growth_after_warmup']}; "
                  f"versions backwards: {result['versions_backwards']}: {'PASS' if ok else 'FAIL'}")
    else:
        result = frame_times(args.frames, args.warmup)
        w, lw, sw = result["without_learner"], result["with_learner"], result["swaps"]
        ok = lw["median_ms"] < BARS["median_ms"] and lw["p99_ms"] < BARS["p99_ms"] and \
            sw.get("max_ms", 0.0) < BARS["swap_ms"]
        result["bars"] = BARS
        result["passed"] = ok
        if args.json != "-":
            print(f"game loop, {AGENTS} agents, {TURNS_PER_SECOND} turns/s, first person {SIZE[0]}x{SIZE[1]}:")
            for label, s in (("without learner", w), ("with learner:  ", lw)):
                print(f"  {label}: median {s['median_ms']:.2f} ms  p99 {s['p99_ms']:.2f} ms  (game CPU median "
                      f"{s['cpu_median_ms']:.2f}, p99 {s['cpu_p99_ms']:.2f} ms; {s['frames']} frames)")
            if sw.get("frames"):
                print(f"  weight swaps: {sw['frames']}, median {sw['median_ms']:.3f} ms, max {sw['max_ms']:.3f} ms "
                      f"(CPU median {sw['cpu_median_ms']:.3f}, p99 {sw['cpu_p99_ms']:.3f} ms)")
            print(f"  versions published during the timed run: {result['versions_published_during_run']}")
            print(f"  bars: median < {BARS['median_ms']} ms, p99 < {BARS['p99_ms']} ms, swaps < {BARS['swap_ms']} ms: "
                  f"{'PASS' if ok else 'FAIL'}")
    if args.json == "-":
        print(json.dumps(result, indent=2))
    elif args.json:
        from levels.common.files import atomic_write_text

        atomic_write_text(args.json, json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
