"""The play-through in a real window (bench/playthrough.py): Xvfb, xdotool keys, screenshots checked.

Start, move, pick up, fight, drink, take the stairs, the lava question, death, the
death screen with its cause, a new run and the quit question, each step's capture
compared with the frame the same game draws off-screen. Needs Xvfb, xdotool and
ImageMagick's ``import`` (``apt-get install xvfb xdotool imagemagick``); without them
the test is skipped and says why.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("Xvfb", "xdotool", "import")


@pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                    reason="needs Xvfb, xdotool and ImageMagick (apt-get install xvfb xdotool imagemagick)")
def test_a_scripted_run_in_a_real_window_shows_each_step(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("playthrough", ROOT / "bench" / "playthrough.py")
    assert spec is not None and spec.loader is not None
    playthrough = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(playthrough)
    report = tmp_path / "report.json"
    code = playthrough.main(["--out", str(tmp_path / "shots"), "--json", str(report)])
    steps = json.loads(report.read_text())["steps"]
    failed = [f"{s['step']}: {s['problem']}" for s in steps if not s["ok"]]
    assert code == 0 and not failed, failed
    assert [s["step"] for s in steps][-1] == "quit asks first"
    assert all(Path(s["screenshot"]).exists() for s in steps)
