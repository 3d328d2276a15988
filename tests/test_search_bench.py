"""nav-bench end to end on a few small scenarios: metrics, JSON, PNG and the CLI wiring."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from search.bench import NAVIGATORS, TrueMaps, run
from search.cli import add_parser
from search.cli import run as cli_run
from search.scenario import load_scenario

SUITE = Path(__file__).resolve().parent.parent / "search" / "scenarios"
SMALL = ["hand_reopen_shortcut.json", "hand_moving_goal.json", "hand_two_floors.json", "hand_unsolvable.json"]


def test_metrics_of_a_reopening_door() -> None:
    s = load_scenario(SUITE / "hand_reopen_shortcut.json")
    maps = TrueMaps()
    oracle = run(s, "astar_oracle", NAVIGATORS["astar_oracle"], maps)
    heb = run(s, "hebbian", NAVIGATORS["hebbian"], maps)
    assert oracle.success and heb.success
    assert len(heb.event_extra) == 1 and heb.event_extra[0] is not None and heb.event_extra[0] >= 0
    assert len(heb.reopen_latency) == 1
    assert heb.plan_seconds and len(heb.plan_seconds) == heb.steps
    assert heb.graph_nodes > 0


def test_cli_writes_table_json_and_png(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    for name in SMALL:
        shutil.copy(SUITE / name, tmp_path / name)
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    out_json, out_png = tmp_path / "out.json", tmp_path / "out.png"
    args = parser.parse_args(["nav-bench", "--scenarios", str(tmp_path), "--json", str(out_json),
                              "--png", str(out_png), "--team", "2"])
    code = cli_run(args)
    assert code in (0, 1)
    text = capsys.readouterr().out
    assert "steps/oracle" in text and "checks" in text
    data = json.loads(out_json.read_text())
    assert len(data["runs"]) == len(SMALL) * len(NAVIGATORS)
    assert {"success", "ratio", "event_extra", "reopen_latency", "plan_ms_median", "plan_ms_p95",
            "graph_nodes"} <= set(data["runs"][0])
    unsolvable = [r for r in data["runs"] if r["scenario"] == "hand_unsolvable"]
    assert all(not r["success"] and r["oracle_steps"] is None for r in unsolvable)
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    team = data["summary"]["team"]
    assert team["agents"] == 2 and {r["mode"] for r in team["rows"]} == {
        "dstar_lite_own", "dstar_lite_shared", "hebbian_own", "hebbian_shared"}
    assert "team memory" in text


def test_bad_options_are_user_errors() -> None:
    import pytest

    from levels.common.errors import UserError

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    one = str(SUITE / "hand_two_floors.json")
    for argv, message in ((["--navigators", "bogus"], "unknown navigator 'bogus'"),
                          (["--team", "1"], "a team needs at least 2"),
                          (["--kind", "maze64"], "no scenario of kind maze64")):
        args = parser.parse_args(["nav-bench", "--scenarios", one, *argv])
        with pytest.raises(UserError, match=message):
            cli_run(args)
