"""``main.py eval --suite``: the measurements, the intervals, the command end to end, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import main
from game.actions import INTERACT, MOVE_FIRST, WAIT
from game.batch import BatchedSim
from game.handmade import make_level, spawn
from levels.params import PRESET_DIR
from npc.scripted import ScriptedNPC
from training.episode_stats import EpisodeMeter
from training.evaluate import play, play_episodes
from training.suite_report import markdown_table
from training.suite_stats import (
    mean_interval,
    median,
    median_interval,
    ratio_interval,
    share_interval,
    wilson_interval,
)

EAST, WEST = MOVE_FIRST + 2, MOVE_FIRST + 6


# ----------------------------------------------------------------------------- intervals


def test_wilson_interval_matches_the_closed_form() -> None:
    lo, hi = wilson_interval(5, 10)
    z = 1.959963984540054
    centre, half = (0.5 + z * z / 20) / (1 + z * z / 10), z / (1 + z * z / 10) * math.sqrt(0.25 / 10 + z * z / 400)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(0, 20)[1] == pytest.approx(0.1611, abs=1e-4)


def test_mean_interval_is_students_t() -> None:
    lo, hi = mean_interval([1, 2, 3, 4, 5])  # mean 3, sd sqrt(2.5), t(4, 0.975) = 2.7764
    assert (lo, hi) == pytest.approx((3 - 2.776445 * math.sqrt(0.5), 3 + 2.776445 * math.sqrt(0.5)))
    assert mean_interval([7, 7, 7]) == (7.0, 7.0)
    assert mean_interval([1.0]) == (-math.inf, math.inf)


def test_median_interval_is_two_order_statistics() -> None:
    # n = 10: ranks 2 and 9 cover the median with 1 - 2 * P(Bin(10, 1/2) <= 1) = 0.979 >= 0.95.
    assert median_interval(list(range(1, 11))) == (2.0, 9.0)
    assert median_interval([6, 1, 5, 2, 4, 3]) == (1.0, 6.0)  # 1 - 2/64 = 0.969
    assert median_interval([1, 2, 3, 4, 5]) == (-math.inf, math.inf)  # 1 - 2/32 < 0.95
    # Events that never happened rank above every observed one.
    assert median([1, 2, 3, math.inf]) == 2.5
    assert median([1, 2, math.inf, math.inf]) == math.inf
    assert median_interval([1, 2, 3, 4, 5, 6, 7] + [math.inf] * 3) == (2.0, math.inf)


def test_ratio_interval_clusters_by_episode() -> None:
    # r = 4 / 4 = 1, residuals -1 and 1, se = sqrt(2 / (2 * 1)) / 2 = 0.5, t(1, 0.975) = 12.706.
    lo, hi = ratio_interval([1, 3], [2, 2], bounds=(-math.inf, math.inf))
    assert (lo, hi) == pytest.approx((1 - 12.7062 * 0.5, 1 + 12.7062 * 0.5), abs=1e-3)
    assert ratio_interval([1, 3], [2, 2]) == (0.0, 1.0)  # clipped to a share's range
    assert ratio_interval([1, 2, 3], [10, 20, 30]) == pytest.approx((0.1, 0.1))  # every episode alike
    assert ratio_interval([0, 0], [0, 0]) == (0.0, 1.0)
    # A long episode weighs more than a short one: the interval is around the pooled ratio.
    lo, hi = ratio_interval([0, 10, 1, 9], [10, 100, 10, 100])
    assert lo < 20 / 220 < hi


def test_share_interval_keeps_an_upper_end_for_a_share_of_zero() -> None:
    assert ratio_interval([0, 0, 0], [50, 50, 100]) == (0.0, 0.0)  # no spread between episodes
    assert share_interval([0, 0, 0], [50, 50, 100]) == pytest.approx(wilson_interval(0, 200))
    clustered = ratio_interval([0, 30, 0, 30], [30, 30, 30, 30])  # all or nothing per episode
    assert share_interval([0, 30, 0, 30], [30, 30, 30, 30]) == clustered
    assert clustered[1] - clustered[0] > 2 * (wilson_interval(60, 120)[1] - 0.5)


# ----------------------------------------------------------------------------- measurements


def _corridor_sim(rows: list[str], agents: list) -> BatchedSim:
    level = make_level(rows, agents=agents)
    return BatchedSim(level.params, 1, seed=0, levels=[level], nav=False)


def _act(sim: BatchedSim, hero: int, monster: int = WAIT) -> dict:
    actions = np.zeros((1, sim.num_agents), np.int64)
    actions[0, 0], actions[0, 1] = hero, monster
    return sim.step(actions).info


def test_undo_moves_and_explored_cells_on_a_hand_made_walk() -> None:
    sim = _corridor_sim(["##########", "#........#", "##########"],
                        [spawn("hero", 1, 1), spawn("monsters", 1, 8)])
    assert sim.layout.factions[0] == "hero"
    meter = EpisodeMeter(sim)
    sim.reset()
    meter.begin()
    # x: 1 -> 2 -> 1 -> (wait) 2 -> 3 -> 2. The 2nd, 3rd and 5th moves return to the cell
    # the previous move left (A B A B: each step back undoes the one before); the 4th does not.
    for action in (EAST, WEST, WAIT, EAST, EAST, WEST):
        meter.observe(_act(sim, action))
    assert meter.moving[0].tolist() == [5, 0]
    assert meter.undo[0].tolist() == [3, 0]
    assert meter.explored[0].tolist() == [3, 1]  # cells 1, 2, 3; the monster's start cell
    assert meter.cells[0] == 8  # the corridor's floor cells


def test_first_contact_when_a_door_opens() -> None:
    sim = _corridor_sim(["#########", "#..+....#", "#########"],
                        [spawn("hero", 1, 2), spawn("monsters", 1, 5)])
    meter = EpisodeMeter(sim)
    sim.reset()
    meter.begin()
    assert (meter.contact[0] == -1).all()
    for _ in range(2):
        meter.observe(_act(sim, WAIT))
    assert (meter.contact[0] == -1).all()  # the closed door hides them from each other
    meter.observe(_act(sim, INTERACT))  # turn 3: the hero opens the door
    meter.observe(_act(sim, WAIT))
    assert meter.contact[0].tolist() == [[-1, 3], [3, -1]]


def test_a_finished_episode_gives_a_record_and_the_next_one_starts_over() -> None:
    sim = _corridor_sim(["######", "#....#", "######"], [spawn("hero", 1, 1, atk=30), spawn("monsters", 1, 2, hp=1)])
    meter = EpisodeMeter(sim)
    sim.reset()
    meter.begin()
    records = meter.observe(_act(sim, EAST))  # melee: the monster dies, the hero wins
    assert len(records) == 1
    r = records[0]
    assert (r.winner, r.length, r.alive_end, r.moving) == (0, 1, [1, 0], [0, 0])
    assert r.contact == [[-1, 0], [0, -1]]  # in view from the start
    assert r.first_contact(0) == 0 and r.first_contact(1) == 0
    assert meter.observe(_act(sim, WAIT)) == []  # the auto-reset step
    assert meter.explored[0].tolist() == [1, 1] and meter.moving[0].tolist() == [0, 0]


def test_the_meter_does_not_change_the_episodes() -> None:
    def run(meter: bool) -> list:
        sim = BatchedSim("arena", 4, seed=11, pool_size=8)
        episodes = play_episodes(sim, ScriptedNPC(), ScriptedNPC(), "hero", 8, torch.Generator().manual_seed(0),
                                 meter=EpisodeMeter(sim) if meter else None, scripted_nav=True)
        return [(e.world, e.winner, e.length, e.cause, e.learner_return) for e in episodes]

    assert run(True) == run(False)
    sim = BatchedSim("arena", 4, seed=11, pool_size=8)
    result = play(sim, ScriptedNPC(), ScriptedNPC(), "hero", 8, torch.Generator().manual_seed(0))
    sim = BatchedSim("arena", 4, seed=11, pool_size=8)
    plain = play_episodes(sim, ScriptedNPC(), ScriptedNPC(), "hero", 8, torch.Generator().manual_seed(0))
    assert result.wins == sum(e.winner == 0 for e in plain) and result.episodes == 8


# ----------------------------------------------------------------------------- the command


def test_suite_end_to_end_writes_json_and_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = tmp_path / "my-arena.toml"
    params.write_text((PRESET_DIR / "arena.toml").read_text())
    out, png = tmp_path / "suite.json", tmp_path / "suite.png"
    code = main.main(["eval", "--suite", "--presets", "arena", "--params", str(params), "scripted",
                      "--episodes", "6", "--seed", "4", "--json", str(out), "--png", str(png)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "first contact" in printed and "undo share" in printed
    data = json.loads(out.read_text())
    games = data["games"]
    assert [(g["level"], g["role"]) for g in games] == [
        ("arena", "hero"), ("arena", "monsters"), (str(params), "hero"), (str(params), "monsters")]
    for g in games:
        assert g["episodes"] == 6
        o = g["outcomes"]
        assert o["wins"]["count"] + o["losses"]["count"] + o["draws"]["count"] == 6
        assert sum(sum(c.values()) for c in g["by_cause"].values()) == 6
        assert 0.0 <= g["undo_share"]["ci"][0] <= g["undo_share"]["ci"][1] <= 1.0
        assert 0.0 < g["explored_share"]["mean"] <= 1.0
        assert g["turns_to_win"]["n"] == o["wins"]["count"]
    # The scripted NPC on both sides, the same levels in both roles: one game seen from each side.
    hero, monsters = games[0]["outcomes"], games[1]["outcomes"]
    assert hero["wins"]["count"] == monsters["losses"]["count"]
    assert hero["losses"]["count"] == monsters["wins"]["count"]
    # A copy of the preset plays the same episodes.
    assert games[2]["outcomes"] == games[0]["outcomes"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-arena.toml", "suite.json", "suite.png"]
    assert "| arena | hero | 6 |" in markdown_table(games)


def test_option_before_the_checkpoint_parses() -> None:
    from training.cli import _learner_spec

    parser = main.build_parser()
    args = parser.parse_args(["eval", "--params", "x.toml", "run/policy.safetensors"])
    assert _learner_spec(args) == "run/policy.safetensors" and args.params == ["x.toml"]
    args = parser.parse_args(["eval", "--suite", "--params", "a.toml", "--presets", "arena", "caves", "scripted"])
    assert _learner_spec(args) == "scripted" and args.presets == ["arena", "caves"] and args.params == ["a.toml"]
    args = parser.parse_args(["eval", "scripted", "--suite", "--roles", "hero"])
    assert _learner_spec(args) == "scripted" and args.roles == ["hero"]


@pytest.mark.parametrize(("argv", "names"), [
    (["--presets", "nowhere"], "--presets"),
    (["--roles", "dragons"], "--roles"),
    (["--params", "missing-file.toml"], "--params"),
    (["--episodes", "0"], "--episodes"),
    (["--episodes", "-3"], "--episodes"),
    (["--presets"], "--presets/--params"),
])
def test_bad_suite_input_is_one_line_exit_2(argv: list[str], names: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main.main(["eval", "scripted", "--suite", "--episodes", "2", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and names in err and "Traceback" not in err


def test_plain_eval_refuses_suite_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["eval", "scripted", "--png", "x.png"]) == 2
    assert "--png only applies to --suite" in capsys.readouterr().err
    assert main.main(["eval", "--params", "a.toml", "b.toml", "scripted"]) == 2
    assert "--params" in capsys.readouterr().err
    assert main.main(["eval"]) == 2
    assert "checkpoint" in capsys.readouterr().err
