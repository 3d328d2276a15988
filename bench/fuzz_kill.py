"""Kill -9 during writes: a killed writer never leaves a file that does not load.

    .venv/bin/python bench/fuzz_kill.py [--trials 20] [--json out.json]

For each kind of file (a policy checkpoint, a game save, a training-state file), a
child process rewrites the same path in a loop, alternating between two different
contents; the parent kills it with SIGKILL at a random moment. Afterwards the file
must load (and equal one of the two versions), and the next write must remove the
temporary file the killed writer left behind. Prints the counts; exits 1 if any trial
leaves an unloadable file or a stray temporary after the next write.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from levels.common.files import atomic_write_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Child programs: build two versions, print "ready", then write them to argv[1] forever.
WRITERS = {
    "checkpoint": """
import sys, torch
sys.path.insert(0, {root!r})
from npc.checkpoint import build_policy, save_checkpoint
nets = []
for seed in (0, 1):
    torch.manual_seed(seed); nets.append(build_policy("transformer", 19, {{"d": 64, "layers": 2}}))
save_checkpoint(sys.argv[1], nets[0]); print("ready", flush=True)
i = 0
while True:
    save_checkpoint(sys.argv[1], nets[i % 2], {{"i": i}}); i += 1
""",
    "game_save": """
import sys
sys.path.insert(0, {root!r})
from tests.test_ui_saves import started
from game.ui.saved_game import save_game
versions = [started(turns=2), started(turns=6)]
save_game(sys.argv[1], *versions[0][:1], {{"run_id": "0"}}, versions[0][1]); print("ready", flush=True)
i = 0
while True:
    sim, rec = versions[i % 2]; save_game(sys.argv[1], sim, {{"run_id": str(i)}}, rec); i += 1
""",
    "training_state": """
import sys, json, torch
sys.path.insert(0, {root!r})
from safetensors.torch import save
from levels.common.files import atomic_write_bytes
blobs = [save({{"w": torch.full((256, 1024), float(k))}}, metadata={{"mindcrawl-state": json.dumps({{"k": k}})}})
         for k in (0, 1)]
atomic_write_bytes(sys.argv[1], blobs[0]); print("ready", flush=True)
i = 0
while True:
    atomic_write_bytes(sys.argv[1], blobs[i % 2]); i += 1
""",
}


def _loads(kind: str, path: Path) -> bool:
    """Whether ``path`` loads as a file of ``kind`` (the project's own loaders)."""
    try:
        if kind == "checkpoint":
            from npc.checkpoint import load_checkpoint

            load_checkpoint(path)
        elif kind == "game_save":
            from game.ui.saved_game import load_game

            load_game(path)
        else:
            from safetensors.torch import load

            load(path.read_bytes())
    except Exception:  # noqa: BLE001 - any failure to load is what this counts
        return False
    return True


def trial(kind: str, directory: Path, rng: random.Random) -> dict[str, bool]:
    """One kill: start a writer, kill it at a random moment, check the file and the clean-up."""
    from levels.common.files import atomic_write_bytes

    path = directory / f"{kind}.bin"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    child = subprocess.Popen([sys.executable, "-c", WRITERS[kind].format(root=str(ROOT)), str(path)],
                             stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None
    child.stdout.readline()  # "ready": the first version is on disk
    time.sleep(rng.uniform(0.0, 0.5))
    child.send_signal(signal.SIGKILL)
    child.wait()
    loadable = _loads(kind, path)
    stray = [p for p in directory.iterdir() if p.name.endswith(".tmp")]
    atomic_write_bytes(path, path.read_bytes())  # the next write cleans up after the killed one
    left = [p for p in directory.iterdir() if p.name.endswith(".tmp")]
    return {"loadable": loadable, "stray_after_kill": bool(stray), "stray_after_next_write": bool(left)}


def main() -> int:
    """Run the trials; print and optionally write the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20, help="kills per kind of file (default: 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the counts here")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results = {}
    failed = False
    for kind in WRITERS:
        with tempfile.TemporaryDirectory(prefix=f"fuzz-kill-{kind}-") as tmp:
            runs = [trial(kind, Path(tmp), rng) for _ in range(args.trials)]
        counts = {key: sum(r[key] for r in runs) for key in runs[0]}
        results[kind] = {"trials": len(runs), **counts}
        failed |= counts["loadable"] < len(runs) or counts["stray_after_next_write"] > 0
        print(f"{kind:15s} {len(runs)} kills: {counts['loadable']} loadable afterwards, "
              f"{counts['stray_after_kill']} left a temporary file, "
              f"{counts['stray_after_next_write']} still had one after the next write", flush=True)
    if args.json:
        atomic_write_text(args.json, json.dumps(results, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
