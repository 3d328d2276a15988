"""First start on a fresh clone: the set-up step's compile time and the time to the first frame after it.

Run from anywhere::

    .venv/bin/python bench/first_start.py [--repo DIR] [--no-setup] [--json OUT]

It clones the repository's committed HEAD into a temporary folder (nothing compiled,
no numba cache), then, with this interpreter (the packages ``make play`` installs):

1. the set-up step's compile, ``python -m game.ui.warmup`` (what ``make play`` runs after
   installing the packages), timed;
2. a first start, ``python main.py play --headless --frames 1``, timed from launch to
   its exit after drawing the first frame.

With ``--no-setup`` step 1 is skipped, which shows what a first start costs without
it (the compile then happens behind the loading screen). Package installation (the
rest of ``make play``'s set-up) is not part of these figures. Prints both times and
checks them against issue 22's bounds (first frame <= 10 s, set-up <= 180 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_FRAME_BOUND, SETUP_BOUND = 10.0, 180.0


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU (user + system) seconds of ``command`` run in ``cwd``, and its output.

    CPU seconds do not grow when other processes share the cores, so they are the
    figure that carries over to an idle machine; a failure ends the bench.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds, cpu, done.stdout


def main(argv: list[str] | None = None) -> int:
    """Clone, set up, start; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="the repository to clone (default: this one)")
    parser.add_argument("--no-setup", action="store_true", help="start without the set-up step's compile")
    parser.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mindcrawl-fresh-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(args.repo), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH")}
        env.update({"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYTHONPATH": str(clone),
                    "MINDCRAWL_HOME": str(Path(tmp) / "home")})
        where = subprocess.run([sys.executable, "-c", "import game; print(game.__file__)"], cwd=clone, env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
        if not where.startswith(str(clone)):
            raise SystemExit(f"the clone's packages are not the ones imported ({where})")
        result: dict[str, object] = {"commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone,
                                                              capture_output=True, text=True).stdout.strip()}
        if not args.no_setup:
            setup, cpu, output = timed([sys.executable, "-m", "game.ui.warmup"], clone, env)
            print(output, end="")
            result["setup_compile_s"], result["setup_compile_cpu_s"] = round(setup, 1), round(cpu, 1)
        first, cpu, _ = timed([sys.executable, "main.py", "play", "--headless", "--frames", "1", "--preset", "dungeon",
                          "--seed", "1"], clone, env)
        result["first_frame_s"], result["first_frame_cpu_s"] = round(first, 1), round(cpu, 1)
    result["load_average"] = round(os.getloadavg()[0], 1)
    print(f"first start on a fresh clone of {result['commit']} (load average {result['load_average']}):")
    if "setup_compile_s" in result:
        ok = result["setup_compile_s"] <= SETUP_BOUND
        print(f"  set-up compile (python -m game.ui.warmup): {result['setup_compile_s']:6.1f} s, "
              f"CPU {result['setup_compile_cpu_s']:.1f} s  (bound {SETUP_BOUND:.0f} s: {'met' if ok else 'NOT met'})")
    ok = result["first_frame_s"] <= FIRST_FRAME_BOUND
    label = "first frame after set-up" if "setup_compile_s" in result else "first frame without set-up"
    print(f"  {label} (play --headless --frames 1): {result['first_frame_s']:6.1f} s, "
          f"CPU {result['first_frame_cpu_s']:.1f} s  (bound {FIRST_FRAME_BOUND:.0f} s: {'met' if ok else 'NOT met'})")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
