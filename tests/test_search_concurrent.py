"""Concurrent nav-bench scenarios: the ``agents`` field and agents moving at the same time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.bench import NAVIGATORS, TrueMaps, run
from search.scenario import MAX_AGENTS, ScenarioError, load_scenario, load_scenarios, parse_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "search" / "scenarios"

# Two agents in a corridor walking the same way: B, ahead, must not be walked through.
_CORRIDOR = {"format": "mindcrawl-nav-scenario", "version": 1, "name": "queue", "kind": "concurrent",
             "sensing_radius": 2, "budget": 50, "events": [],
             "floors": [["#########", "#S.....G#", "#########"]],
             "agents": [{"start": [0, 1, 2], "goal": [0, 1, 6]}]}


def _data(**changes: object) -> dict:
    data = json.loads(json.dumps(_CORRIDOR))
    data.update(changes)
    return data


@pytest.mark.parametrize(("agents", "message"), [
    ("x", "agents: expected a list"),
    ([[0, 1, 2]], "agents[0]: expected an object"),
    ([{"goal": [0, 1, 3]}], "agents[0].start: missing"),
    ([{"start": [0, 1, 2], "speed": 2}], "agents[0]: unknown field speed"),
    ([{"start": [0, 0, 2]}], "agents[0].start: [0, 0, 2] is not a walkable cell"),
    ([{"start": [0, 1, 1]}], "agents[0].start: [0, 1, 1] is already the start 'S'"),
    ([{"start": [0, 1, 2]}, {"start": [0, 1, 2]}], "agents[1].start: [0, 1, 2] is already agents[0].start"),
    ([{"start": [0, 1, 9]}], "agents[0].start: [0, 1, 9] is off the map"),
    ([{"start": [0, 1, 2], "goal": [0, 2, 2]}], "agents[0].goal: [0, 2, 2] is not a walkable cell"),
    ([{"start": [0, 1, 2]}] * MAX_AGENTS, f"agents: {MAX_AGENTS} team-mates; at most {MAX_AGENTS - 1}"),
])
def test_bad_agents_fields_name_the_field(agents: object, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_data(agents=agents), source="team.json")
    assert str(err.value).startswith("team.json: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_agents_round_trip_through_json() -> None:
    scenario = parse_scenario(_data())
    again = parse_scenario(json.loads(scenario.to_json()))
    assert again.agents == scenario.agents
    assert again.agents[0].start == (0, 1, 2) and again.agents[0].goal == (0, 1, 6)


@pytest.mark.parametrize("name", ["astar_oracle", "dstar_lite", "hebbian"])
def test_an_agent_cannot_walk_through_the_one_ahead(name: str) -> None:
    """S (at column 1) follows B (column 2) east; B stops at column 6, S goes on to G at 7.

    S moves first: its first move is into B (a bump, or for the oracle a wait), then B is one
    cell ahead and S follows, 6 moves: 7 ticks. B needs 4. Agents sharing a cell would give 6.
    """
    scenario = parse_scenario(_data())
    result = run(scenario, name, NAVIGATORS[name], TrueMaps())
    assert result.success
    assert result.team_steps == [7, 4]
    assert result.steps == 11


def test_a_blocked_move_is_a_bump_and_the_team_result_is_deterministic() -> None:
    """Head-on in a corridor with no way round: neither gets through, every failed move counts."""
    data = _data(floors=[["#######", "#S...G#", "#######"]], budget=20,
                 agents=[{"start": [0, 1, 5], "goal": [0, 1, 1]}])
    scenario = parse_scenario(data)
    first = run(scenario, "dstar_lite", NAVIGATORS["dstar_lite"], TrueMaps())
    again = run(scenario, "dstar_lite", NAVIGATORS["dstar_lite"], TrueMaps())
    assert not first.success
    assert first.team_steps == [20, 20]
    assert first.bumps > 0
    assert (again.steps, again.bumps, again.team_steps) == (first.steps, first.bumps, first.team_steps)


def test_hunters_share_the_catch() -> None:
    """Two hunters of the shared goal are both done when the nearer one stands on it."""
    data = _data(floors=[["#########", "#S.....G#", "#########"]], agents=[{"start": [0, 1, 5]}])
    result = run(parse_scenario(data), "hebbian", NAVIGATORS["hebbian"], TrueMaps())
    assert result.success
    assert result.team_steps == [2, 2]


def test_the_shipped_concurrent_scenarios_load_and_have_teams() -> None:
    team = [s for s in load_scenarios(SCENARIOS) if s.kind == "concurrent"]
    assert len(team) >= 6
    assert all(s.agents for s in team)
    assert load_scenario(SCENARIOS / "concurrent_hand_crossing.json").agents[0].goal == (0, 1, 1)


def test_hebbian_agents_step_aside_where_d_star_lite_deadlocks() -> None:
    """Head-on in a corridor with a loop: the learned back-off sends one round; D* Lite pushes on."""
    scenario = load_scenario(SCENARIOS / "concurrent_hand_crossing.json")
    hebbian = run(scenario, "hebbian", NAVIGATORS["hebbian"], TrueMaps())
    dstar = run(scenario, "dstar_lite", NAVIGATORS["dstar_lite"], TrueMaps())
    assert hebbian.success and max(hebbian.team_steps) < 30
    assert not dstar.success
