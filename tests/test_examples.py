"""Smoke runs of the examples/ scripts: a few thousand steps, then the printed win rate."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RATE = re.compile(r"win rate against the scripted NPC on arena: (\d\.\d+) over (\d+) unseen episodes")


@pytest.mark.parametrize(("script", "options"), [
    ("sb3_maskable_ppo.py", ["--envs", "16", "--warmup-steps", "1000"]),
    ("cleanrl_ppo_multiagent.py", ["--worlds", "32", "--num-steps", "32", "--warmup-steps", "1000"]),
])
def test_example_trains_and_prints_its_win_rate(script, options, tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--steps", "3000",
                          "--eval-episodes", "20", *options],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    match = RATE.search(out.stdout)
    assert match, out.stdout[-2000:]
    assert 0.0 <= float(match.group(1)) <= 1.0 and int(match.group(2)) == 20
    trained = re.search(r"([\d,]+) steps in", out.stdout)
    assert trained and int(trained.group(1).replace(",", "")) >= 3000
