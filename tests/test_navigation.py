"""The compiled Hebbian navigator: kernels (search.grid_nav), the benchmark wrapper, and the game's use of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.actions import MOVE_FIRST
from game.batch import BatchedSim
from game.handmade import make_level, spawn
from game.navigate import K_ENEMY, K_MEMORY, K_NONE, K_TARGET, NAV_ACTION, NAV_KIND, NAV_TARGET
from game.snapshot import load_sim, save_sim
from game.state import FLOOR, X, Y
from npc.scripted import ScriptedNPC
from search.bench import TrueMaps, run
from search.compiled import CompiledHebbianNavigator, CompiledOptions
from search.dstar_lite import DStarLiteNavigator
from search.grid_learn import sense_cell
from search.grid_nav import (
    F_GAME,
    NavParams,
    distance_field,
    enter_cost,
    field_value,
    nearest_target,
    new_scratch,
    route_to,
)
from search.scenario import load_scenarios

SCENARIOS = Path(__file__).resolve().parents[1] / "search" / "scenarios"


def _suite(kind: str) -> list:
    return [s for s in load_scenarios(SCENARIOS) if s.kind == kind]


def test_with_d_star_lites_model_it_takes_d_star_lites_steps() -> None:
    """Direction-order ties, unseen cells at cost 1 and no learning: D* Lite's steps exactly."""
    maps = TrueMaps()
    same_model = lambda shape: CompiledHebbianNavigator(  # noqa: E731
        shape, CompiledOptions(params=NavParams(unknown=1.0), learning=False, follow_goal=False))
    for scenario in _suite("static"):
        ours = run(scenario, "hebbian", same_model, maps)
        theirs = run(scenario, "dstar_lite", DStarLiteNavigator, maps)
        assert ours.success == theirs.success
        assert ours.steps == theirs.steps, scenario.name


@pytest.mark.parametrize("kind", ["door_reopens", "intermittent"])
def test_learning_beats_d_star_lite_where_passages_change(kind: str) -> None:
    maps = TrueMaps()
    ours = [run(s, "hebbian", CompiledHebbianNavigator, maps) for s in _suite(kind)]
    theirs = [run(s, "dstar_lite", DStarLiteNavigator, maps) for s in _suite(kind)]
    assert all(r.success for r in ours)
    assert sum(r.steps for r in ours) < sum(r.steps for r in theirs)


def test_a_door_learns_how_often_it_is_open_and_backs_off() -> None:
    P = NavParams().vector()
    known = np.zeros(1, np.uint8)
    conf = np.full(1, 0.5, np.float32)
    fails = np.zeros(1, np.uint8)
    cut = np.zeros(1, np.int32)
    closed, opened = 1 + 3, 1 + 2
    sense_cell(known, conf, fails, cut, 0, closed, 0, P)
    first_cut = int(cut[0])
    assert first_cut == int(P[8]) and conf[0] < 0.5  # cut for the back-off, trusted less
    sense_cell(known, conf, fails, cut, 0, closed, 5, P)  # still cut: no new failure
    assert cut[0] == first_cut and fails[0] == 1
    sense_cell(known, conf, fails, cut, 0, closed, first_cut, P)  # seen shut again after it
    assert cut[0] == first_cut + 2 * first_cut and fails[0] == 2  # the back-off doubles
    low = float(conf[0])
    sense_cell(known, conf, fails, cut, 0, opened, 40, P)
    assert conf[0] > low and cut[0] == 0 and fails[0] == 0


def _open_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    known = np.full(h * w, 1 + 1, np.uint8)  # floor everywhere
    return known, np.ones(h * w, np.float32), np.zeros(h * w, np.int32), np.zeros(h * w, np.float32)


def test_route_to_breaks_ties_in_direction_order() -> None:
    known, conf, cut, extra = _open_grid(5, 5)
    S = new_scratch(25)
    P = NavParams().vector()
    goal = np.array([0 * 5 + 4], np.int64)  # (0, 4) from (2, 2): NE is the only shortest first move
    move, cost = route_to(known, conf, cut, extra, 25, 5, 2 * 5 + 2, goal, np.zeros(1), 0, P, 0, S)
    assert (move, cost) == (1, 2.0)
    goal = np.array([2 * 5 + 4], np.int64)  # due east: NE, E and SE tie; direction order picks NE
    move, _ = route_to(known, conf, cut, extra, 25, 5, 2 * 5 + 2, goal, np.zeros(1), 0, P, 0, S)
    assert move == 1
    known[1 * 5 + 3] = 1 + 0  # a wall at (1, 3): now E is first among the shortest
    move, _ = route_to(known, conf, cut, extra, 25, 5, 2 * 5 + 2, goal, np.zeros(1), 0, P, 0, S)
    assert move == 2


def test_nearest_target_weighs_distance_and_offsets() -> None:
    known, conf, cut, extra = _open_grid(1, 9)
    S = new_scratch(9)
    P = NavParams().vector()
    value = np.full(9, np.inf)
    value[0] = 0.0  # 4 steps west of the start
    value[6] = 0.0  # 2 steps east
    no_floors = np.full(1, np.inf)
    targets = np.array([0, 6])
    move, best, total = nearest_target(known, conf, cut, extra, 9, 9, 4, value, 0, P, 1, 100.0, S, np.inf,
                                       no_floors, targets)
    assert (move, best, total) == (2, 6, 2.0)
    value[0] = -3.0  # the far one is worth more: 4 - 3 < 2
    move, best, total = nearest_target(known, conf, cut, extra, 9, 9, 4, value, 0, P, 1, 100.0, S, np.inf,
                                       no_floors, targets)
    assert (move, best, total) == (6, 0, 1.0)


def test_unreliable_cells_cost_more() -> None:
    known, conf, cut, extra = _open_grid(1, 3)
    P = NavParams().vector()
    assert enter_cost(known, conf, cut, extra, 1, 0, P, 1) == 1.0
    conf[1] = 0.5
    assert enter_cost(known, conf, cut, extra, 1, 0, P, 1) == 1.0 + P[0] * 0.5


def _scripted_run(sim: BatchedSim, steps: int) -> list[dict[str, np.ndarray]]:
    policy = ScriptedNPC()
    obs = sim.reset()
    seen = []
    for _ in range(steps):
        obs, *_ = sim.step(policy(obs))
        seen.append({k: v.copy() for k, v in obs.items()})
    return seen


def test_navigation_is_deterministic_and_its_actions_legal() -> None:
    runs = [_scripted_run(BatchedSim("dungeon", 4, seed=7, pool_size=4, threads=1), 80) for _ in range(2)]
    legal = total = 0
    for a, b in zip(*runs, strict=True):
        assert np.array_equal(a["nav"], b["nav"])
        go = a["nav"][..., NAV_ACTION]
        routed = a["nav"][..., NAV_KIND] != K_NONE
        ok = np.take_along_axis(a["action_mask"], go[..., None].astype(np.int64), axis=-1)[..., 0] != 0
        legal += int((ok & routed).sum())
        total += int(routed.sum())
    assert total > 0 and legal >= 0.9 * total


def test_a_saved_game_navigates_on_bit_identically(tmp_path: Path) -> None:
    sim = BatchedSim("dungeon", 2, seed=3, pool_size=2, threads=1)
    policy = ScriptedNPC()
    obs = sim.reset()
    for _ in range(40):
        obs, *_ = sim.step(policy(obs))
    save_sim(sim, tmp_path / "s.npz")
    loaded = load_sim(tmp_path / "s.npz", threads=1)
    obs2 = loaded.observations()
    assert np.array_equal(obs["nav"], obs2["nav"])
    for _ in range(40):
        obs, *_ = sim.step(policy(obs))
        obs2, *_ = loaded.step(policy(obs2))
        for key in obs:
            assert np.array_equal(obs[key], obs2[key]), key


def _draws(nav: bool, worlds: int = 16) -> int:
    sim = BatchedSim("dungeon", worlds, seed=11, pool_size=8, nav=nav)
    policy = ScriptedNPC()
    obs = sim.reset()
    winner = np.full(worlds, -2)
    while (winner == -2).any():
        obs, _, _, _, info = sim.step(policy(obs))
        finished = info["finished"] & (winner == -2)
        winner[finished] = info["winner"][finished]
    sim.close()
    return int((winner == -1).sum())


def test_the_navigating_scripted_npc_ends_dungeon_episodes() -> None:
    """With the navigator few episodes run out of time; the patch-only NPC mostly never meets."""
    assert _draws(nav=True) <= 3
    assert _draws(nav=False) >= 10


def test_hunters_go_where_they_last_saw_an_enemy() -> None:
    """A hero that turns a corner out of sight is hunted at its last known place."""
    rows = ["###########",
            "#.........#",
            "#########.#",
            "#########.#",
            "#########.#",
            "#########.#",
            "###########"]
    level = make_level(rows, [spawn("hero", 1, 6), spawn("monsters", 1, 1)])
    sim = BatchedSim(level.params, 1, 0, levels=[level], threads=1)
    obs = sim.reset()
    policy = ScriptedNPC()
    kinds = []
    for d in (2, 2, 2, 4, 4, 4):  # east to the corner, then south out of the monster's view
        actions = np.asarray(policy(obs)).copy()
        actions[0, 0] = MOVE_FIRST + d
        obs, *_ = sim.step(actions)
        kind, target = obs["nav"][0, 1, NAV_KIND], obs["nav"][0, 1, NAV_TARGET]
        kinds.append(int(kind))
        if kind == K_MEMORY:  # the route leads to where the hero was last seen (or hid from there)
            assert target == sim.navigation.state.seen_agent[0, 1, 0]
            hy, hx = divmod(int(target), len(rows[0]))
            assert (hy, hx) != tuple(sim.world.ag[0, 1, [Y, X]])
    assert kinds[:3] == [K_ENEMY] * 3  # in view along the corridor
    assert K_MEMORY in kinds[3:]  # then out of view: hunted by memory, not given up


def test_the_target_hook_sends_agents_to_cells() -> None:
    """Each agent is sent to the inner corner of the arena nearest to it, and gets there."""
    sim = BatchedSim("arena", 1, seed=0, pool_size=1, threads=1)
    sim.reset()
    F, H, W = sim.shape
    goals = []
    for a in range(sim.num_agents):
        ag = sim.world.ag[0, a]
        goal = (int(ag[FLOOR]), 1 if ag[Y] < H // 2 else H - 2, 1 if ag[X] < W // 2 else W - 2)
        goals.append(goal)
        sim.navigation.target[0, a] = goal[0] * H * W + goal[1] * W + goal[2]
    sim.navigation.update(np.zeros((1, sim.num_agents), np.int32))
    obs = sim.observations()
    arrived = set()
    for _ in range(40):
        for a, goal in enumerate(goals):
            here = sim.world.ag[0, a]
            if (here[FLOOR], here[Y], here[X]) == goal:
                arrived.add(a)
            else:
                assert obs["nav"][0, a, NAV_KIND] == K_TARGET
        if len(arrived) == len(goals):
            break
        obs, *_ = sim.step(obs["nav"][..., NAV_ACTION].astype(np.int64))
    assert arrived == set(range(len(goals)))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_nearest_target_finds_the_least_total_of_an_exhaustive_search(seed: int) -> None:
    """Stopping early never misses a better target: the total is the least of route cost + offset.

    On random one-floor maps (walls, water, doors, unseen cells, unreliable cells) with
    random targets and offsets, checked against :func:`distance_field` from the start, an
    exhaustive wavefront over the same moves and costs.
    """
    rng = np.random.default_rng(seed)
    H = W = 9
    N = H * W
    tiles = rng.choice([1, 1, 1, 1, 0, 7, 2, 3], size=N).astype(np.uint8)  # floor, wall, water, doors
    known = (tiles + 1).astype(np.uint8)
    known[rng.random(N) < 0.25] = 0  # unseen
    start = int(rng.integers(N))
    known[start] = 2  # the agent stands on floor it knows
    conf = np.where(rng.random(N) < 0.2, rng.uniform(0.2, 1.0, N), 1.0).astype(np.float32)
    cut = np.zeros(N, np.int32)
    extra = np.zeros(N, np.float32)
    P = NavParams(water=2.0).vector()
    value = np.full(N, np.inf)
    targets = rng.choice(N, size=int(rng.integers(0, 6)), replace=False).astype(np.int64)
    value[targets] = rng.uniform(-5.0, 5.0, len(targets))
    unknown_value = float(rng.choice([3.0, np.inf]))
    S = new_scratch(N)
    move, best, total = nearest_target(known, conf, cut, extra, N, W, start, value, 0, P, F_GAME, 400.0, S,
                                       unknown_value, np.full(1, np.inf), targets)
    distance_field(known, conf, cut, extra, N, W, np.array([start]), 0, P, F_GAME, 1e9, S)
    route = np.array([field_value(S, n) for n in range(N)])
    offsets = np.where(known == 0, np.minimum(value, unknown_value), value)
    want = np.min(route + offsets)
    if not np.isfinite(want):
        assert best == -1 and total == np.inf
        return
    assert total == pytest.approx(want)
    assert route[best] + offsets[best] == pytest.approx(total)


def test_a_negative_extra_discounts_in_the_benchmark_and_only_marks_key_doors_in_the_game() -> None:
    """The benchmark's trail discount lowers a cell's cost; the game's key mark never does."""
    known, conf, cut, extra = _open_grid(1, 3)
    P = NavParams().vector()
    extra[1] = -0.2  # a cell a moving goal was seen walking on
    assert enter_cost(known, conf, cut, extra, 1, 0, P, 0) == pytest.approx(0.8)
    assert enter_cost(known, conf, cut, extra, 1, 0, P, F_GAME) == 1.0  # a mark only
    known[2] = 4 + 1  # a locked door, marked: the agent holds its key
    extra[2] = -0.5
    assert enter_cost(known, conf, cut, extra, 2, 0, P, F_GAME) == 1.0 + P[3]
