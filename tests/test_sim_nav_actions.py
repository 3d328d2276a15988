"""Navigator actions inside BatchedSim (game.nav_actions): behaviour, masks, legality, determinism."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from game.actions import CORE_ACTIONS, INTERACT, MOVE_FIRST, WAIT
from game.batch import BatchedSim
from game.handmade import item, make_level, spawn
from game.nav_actions import EXPLORE, FLEE, GOAL, GOTO_FIRST, NAV_ACTIONS, action_names
from game.snapshot import load_sim, save_sim
from game.spec import ENTITY_COLUMN, MAX_ENTITIES, POS_SCALE
from game.state import ALIVE, CAUSES, FLOOR, HP, W_DONE, X, Y
from levels.common.errors import UserError
from levels.tiles import Tile
from npc.nav_transformer import NavTransformer

HERO, MONSTER = 0, 1
BIG_ROOM = ["#################",
            "#...............#",
            "#...............#",
            "#...............#",
            "#...............#",
            "#...............#",
            "#################"]


def make(rows, agents, items=(), nav_actions=("monsters",), **options) -> BatchedSim:
    level = make_level(rows, agents, items, **options)
    sim = BatchedSim(level.params, 1, 0, levels=[level], threads=1, nav_actions=nav_actions)
    sim.reset()
    return sim


def pos(sim: BatchedSim, slot: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in sim.world.ag[0, slot, [FLOOR, Y, X]])


def token_of(sim: BatchedSim, slot: int, column: str) -> int:
    """Index of the first present token of ``slot`` with ``column`` set, or -1."""
    obs = sim.observations()
    for k in range(MAX_ENTITIES):
        if obs["entity_mask"][0, slot, k] and obs["entities"][0, slot, k, ENTITY_COLUMN[column]] > 0.5:
            return k
    return -1


def play(sim: BatchedSim, choose: Callable[[BatchedSim], int], ticks: int) -> list[int]:
    """Step with the hero waiting; the primitive actions the monster's choices became (all checked legal)."""
    issued = []
    for _ in range(ticks):
        actions = np.zeros((1, sim.num_agents), np.int64)
        actions[0, MONSTER] = choose(sim)
        legal = sim.action_mask[0, MONSTER].copy()
        assert legal[actions[0, MONSTER]], "the test may only pick legal actions"
        sim.step(actions)
        primitive = int(sim.nav_actions.primitive[0, MONSTER])
        assert primitive < CORE_ACTIONS and legal[primitive], "a translated action must be legal in the game"
        issued.append(primitive)
        if sim.info()["finished"][0]:
            break
    return issued


def chebyshev(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    return max(abs(a[1] - b[1]), abs(a[2] - b[2]))


# ----------------------------------------------------------------------------- go to token k


def test_goto_routes_through_a_door_in_a_wall_where_a_greedy_step_is_blocked() -> None:
    rows = ["#########",
            "#.......#",
            "####/####",
            "#.......#",
            "#.......#",
            "#.......#",
            "#########"]
    sim = make(rows, [spawn("hero", 1, 7), spawn("monsters", 1, 3)], [(0, 5, 4, item("potion", heal=5))])
    assert token_of(sim, MONSTER, "is_potion") >= 0, "the potion is in sight through the open door"
    # the greedy step (south-east, towards the potion) is a diagonal into the door, south is the wall
    assert sim.action_mask[0, MONSTER, MOVE_FIRST + 3] == 0 and sim.action_mask[0, MONSTER, MOVE_FIRST + 4] == 0
    issued = play(sim, lambda s: GOTO_FIRST + token_of(s, MONSTER, "is_potion")
                  if token_of(s, MONSTER, "is_potion") >= 0 else WAIT, 6)
    assert pos(sim, MONSTER) == (0, 5, 4)
    # east, south through the door, then a shortest way on (five moves in all)
    assert issued[:3] == [MOVE_FIRST + 2, MOVE_FIRST + 4, MOVE_FIRST + 4] and issued[5:] == [WAIT]


def test_goto_walks_round_lava_to_an_item() -> None:
    rows = ["#########",
            "#.......#",
            "#..^....#",
            "#..^....#",
            "#########"]
    sim = make(rows, [spawn("hero", 1, 7), spawn("monsters", 3, 1)], [(0, 3, 6, item("potion", heal=5))])
    play(sim, lambda s: GOTO_FIRST + max(token_of(s, MONSTER, "is_potion"), 0)
         if token_of(s, MONSTER, "is_potion") >= 0 else WAIT, 8)
    assert pos(sim, MONSTER) == (0, 3, 6)
    assert sim.world.ag[0, MONSTER, HP] == 20, "never stepped on lava"


def test_goto_an_enemy_attacks_it() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 1, 7, defense=0), spawn("monsters", 5, 2, atk=5)])
    hp = int(sim.world.ag[0, HERO, HP])
    play(sim, lambda s: GOTO_FIRST + token_of(s, MONSTER, "enemy"), 12)
    assert int(sim.world.ag[0, HERO, HP]) < hp


def test_goto_opens_a_closed_door_on_the_way() -> None:
    rows = ["#########",
            "#...+...#",
            "#########"]
    sim = make(rows, [spawn("hero", 1, 7), spawn("monsters", 1, 1)])
    door = token_of(sim, MONSTER, "is_door")
    issued = play(sim, lambda s: GOTO_FIRST + door, 4)
    assert INTERACT in issued
    assert sim.world.tiles[0, 0, 1, 4] == Tile.DOOR_OPEN
    assert pos(sim, MONSTER) == (0, 1, 4)


def test_goto_targets_are_the_token_cells() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 1, 7), spawn("monsters", 5, 2)])
    k = token_of(sim, MONSTER, "enemy")
    t = sim.observations()["entities"][0, MONSTER, k]
    me = pos(sim, MONSTER)
    cell = (me[0], me[1] + round(t[ENTITY_COLUMN["dy"]] * POS_SCALE), me[2] + round(t[ENTITY_COLUMN["dx"]] * POS_SCALE))
    assert cell == pos(sim, HERO)


# ----------------------------------------------------------------------------- explore, flee, goal


def test_explore_uncovers_new_cells_and_takes_the_stairs() -> None:
    floor0 = ["##########",
              "#........#",
              "#.######.#",
              "#.#....#>#",
              "##########"]
    floor1 = ["##########",
              "#........#",
              "#........#",
              "#.......<#",
              "##########"]
    sim = make([floor0, floor1], [spawn("hero", 3, 3), spawn("monsters", 1, 1)])
    known = [int((sim.world.memory[0, MONSTER] != 0).sum())]
    for _ in range(30):
        if pos(sim, MONSTER)[0] == 1:
            break
        assert sim.action_mask[0, MONSTER, EXPLORE] == 1
        play(sim, lambda s: EXPLORE, 1)
        known.append(int((sim.world.memory[0, MONSTER] != 0).sum()))
    assert known[-1] > known[0]
    assert all(b >= a for a, b in zip(known, known[1:], strict=False))
    assert pos(sim, MONSTER)[0] == 1, "explore leads down the stairs once the first floor is seen"


def test_flee_increases_the_distance_to_the_enemy() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 3, 8), spawn("monsters", 3, 9)])
    before = chebyshev(pos(sim, HERO), pos(sim, MONSTER))
    play(sim, lambda s: FLEE, 5)
    assert chebyshev(pos(sim, HERO), pos(sim, MONSTER)) >= before + 4


def test_goal_walks_to_the_exit_and_escapes() -> None:
    rows = ["##########",
            "#........#",
            "#.####...#",
            "#.#..#..E#",
            "##########"]
    sim = make(rows, [spawn("hero", 3, 3), spawn("monsters", 1, 1)], goals={"monsters": "escape"})
    assert sim.action_mask[0, MONSTER, GOAL] == 0, "no exit seen yet, no stairs"
    play(sim, lambda s: GOAL if s.action_mask[0, MONSTER, GOAL] else EXPLORE, 30)
    info = sim.info()
    assert info["finished"][0] and CAUSES[int(info["cause"][0])] == "escaped"


def test_goal_without_a_goal_cell_takes_the_nearest_known_stairs() -> None:
    floor0 = ["##########",
              "#........#",
              "#......>.#",
              "#........#",
              "##########"]
    floor1 = ["##########",
              "#........#",
              "#......<.#",
              "#........#",
              "##########"]
    sim = make([floor0, floor1], [spawn("hero", 1, 1, floor=1), spawn("monsters", 3, 1)])
    assert sim.action_mask[0, MONSTER, GOAL] == 1
    issued = []
    for _ in range(10):
        issued += play(sim, lambda s: GOAL, 1)
        if pos(sim, MONSTER)[0] == 1:
            break
    assert issued[-1] == INTERACT and pos(sim, MONSTER) == (1, 2, 7)
    assert len(issued) == 7  # six steps to the stairs (the route, not a detour), then take them


# ----------------------------------------------------------------------------- masks


def test_masks_follow_tokens_reachability_enemies_frontier_and_goal() -> None:
    room = ["###########",
            "#.........#",
            "#.......^^#",
            "#.......^.#",
            "###########"]
    # a potion on (3, 9) is in sight but ringed by lava and walls: no route reaches it
    sim = make(room, [spawn("hero", 1, 6), spawn("monsters", 3, 4)],
               [(0, 3, 6, item("potion", heal=5)), (0, 3, 9, item("potion", heal=3))])
    obs = sim.observations()
    mask = obs["action_mask"][0, MONSTER]
    present = obs["entity_mask"][0, MONSTER]
    dx = obs["entities"][0, MONSTER, :, ENTITY_COLUMN["dx"]] * POS_SCALE
    walled = np.flatnonzero((present == 1) & (np.round(dx) == 5))
    assert walled.size == 1 and mask[GOTO_FIRST + walled[0]] == 0
    others = [k for k in np.flatnonzero(present) if k != walled[0]]
    assert len(others) >= 2 and all(mask[GOTO_FIRST + k] == 1 for k in others)
    assert (mask[GOTO_FIRST:EXPLORE][present == 0] == 0).all()
    assert mask[FLEE] == 1  # the hero is in sight
    assert mask[GOAL] == 0  # eliminate: no goal cell, and no stairs on the level
    # the hero's faction has no navigator actions: its new indices stay illegal
    assert obs["action_mask"][0, HERO, GOTO_FIRST:].sum() == 0
    # the primitive part is the game's own mask
    plain = BatchedSim(sim.params, 1, seed=0, levels=sim.fixed_levels, threads=1)
    plain.reset()
    assert np.array_equal(mask[:CORE_ACTIONS], plain.action_mask[0, MONSTER])


def test_flee_is_illegal_without_an_enemy_in_sight_and_explore_legal_with_unknown_cells() -> None:
    rows = ["#################",
            "#.....#.........#",
            "#.....#.........#",
            "#...............#",
            "#################"]
    sim = make(rows, [spawn("hero", 1, 15), spawn("monsters", 1, 1)])
    mask = sim.action_mask[0, MONSTER]
    assert mask[FLEE] == 0 and mask[EXPLORE] == 1


def test_explore_turns_illegal_once_everything_is_seen() -> None:
    room = ["#########", "#.......#", "#.......#", "#.......#", "#########"]
    sim = make(room, [spawn("hero", 1, 6), spawn("monsters", 3, 2)])
    for _ in range(20):
        if not sim.action_mask[0, MONSTER, EXPLORE]:
            break
        play(sim, lambda s: EXPLORE, 1)
    assert sim.action_mask[0, MONSTER, EXPLORE] == 0
    known = sim.world.memory[0, MONSTER, 0]
    # every cell next to a floor cell is known once explore stops (the four corners need not be)
    assert (known[1:-1, :] != 0).all() and (known[:, 1:-1] != 0).all()


def test_dead_agents_and_every_faction_option() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 1, 7), spawn("monsters", 5, 2)], nav_actions=True)
    assert sim.action_mask[0, HERO, GOTO_FIRST:].sum() > 0  # every faction navigates now
    sim.world.ag[0, HERO, ALIVE] = 0
    sim.refresh_observations()
    assert sim.action_mask[0, HERO, GOTO_FIRST:].sum() == 0


def test_an_illegal_navigator_action_is_the_rules_illegal_action() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 1, 7), spawn("monsters", 5, 2)])
    actions = np.zeros((1, sim.num_agents), np.int64)
    actions[0, HERO] = EXPLORE  # the hero's faction has no navigator actions
    sim.step(actions)
    assert sim.nav_actions.primitive[0, HERO] == EXPLORE  # passed on, the rules refuse it
    assert pos(sim, HERO) == (0, 1, 7)


def test_options_are_checked() -> None:
    level = make_level(BIG_ROOM, [spawn("hero", 1, 7), spawn("monsters", 5, 2)])
    with pytest.raises(UserError):
        BatchedSim(level.params, 1, 0, levels=[level], nav=False, nav_actions=True)
    with pytest.raises(UserError):
        BatchedSim(level.params, 1, 0, levels=[level], nav_actions=["dragons"])
    with pytest.raises(UserError):
        BatchedSim(level.params, 1, 0, levels=[level], nav_actions=True, num_actions=CORE_ACTIONS)
    assert BatchedSim(level.params, 1, 0, levels=[level], nav_actions=True).num_actions == NAV_ACTIONS
    plain = BatchedSim(level.params, 1, 0, levels=[level])
    assert plain.num_actions == CORE_ACTIONS and plain.nav_actions is None
    names = action_names()
    assert len(names) == NAV_ACTIONS and names[GOTO_FIRST] == "goto_0" and names[GOAL] == "goal"


# ----------------------------------------------------------------------------- whole batches


def _policy(obs: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """A legal action for every agent, navigator actions three times as likely as primitives."""
    mask = obs["action_mask"].astype(np.float64)
    weight = mask.copy()
    weight[..., GOTO_FIRST:] *= 3.0
    u = rng.random(mask.shape[:2])[..., None]
    cum = np.cumsum(weight, axis=-1)
    return (cum < u * cum[..., -1:]).sum(axis=-1).astype(np.int64)


def _run(threads: int, ticks: int = 40, seed: int = 3) -> tuple[list[np.ndarray], np.ndarray]:
    sim = BatchedSim("dungeon", num_worlds=4, seed=seed, pool_size=2, threads=threads, nav_actions=True)
    rng = np.random.default_rng(0)
    obs = sim.reset()
    trail = []
    counts = np.zeros(NAV_ACTIONS, np.int64)
    for _ in range(ticks):
        actions = _policy(obs, rng)
        legal = obs["action_mask"].copy()
        done = sim.world.wi[:, W_DONE].astype(bool)  # these worlds reset, ignoring actions
        obs, reward, *_ = sim.step(actions)
        primitive = sim.nav_actions.primitive
        assert (primitive < CORE_ACTIONS).all()
        chosen = np.take_along_axis(legal, primitive[..., None].astype(np.int64), -1)[..., 0]
        assert (chosen[~done] == 1).all(), "every translated action is legal"
        np.add.at(counts, actions[~done].ravel(), 1)
        trail.append(np.concatenate([sim.world.ag[:, :, [FLOOR, Y, X, HP]].ravel(), reward.view(np.int32).ravel()]))
    sim.close()
    return trail, counts


def test_translated_actions_are_legal_and_episodes_are_deterministic() -> None:
    first, counts = _run(threads=1)
    second, _ = _run(threads=1)
    threaded, _ = _run(threads=2)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(first, threaded, strict=True))
    assert counts[GOTO_FIRST:EXPLORE].sum() > 0 and counts[EXPLORE] > 0 and counts[GOAL] > 0
    assert not np.array_equal(first[0], first[-1]), "agents moved"


def test_primitive_actions_play_exactly_as_without_navigator_actions() -> None:
    plain = BatchedSim("dungeon", num_worlds=3, seed=1, pool_size=2, threads=1)
    nav = BatchedSim("dungeon", num_worlds=3, seed=1, pool_size=2, threads=1, nav_actions=True)
    rng = np.random.default_rng(1)
    a, b = plain.reset(), nav.reset()
    for _ in range(60):
        assert np.array_equal(a["action_mask"], b["action_mask"][..., :CORE_ACTIONS])
        for key in ("patch", "entities", "entity_mask", "self", "nav"):
            assert np.array_equal(a[key], b[key]), key
        actions = _policy(a, rng)
        a, ra, *_ = plain.step(actions)
        b, rb, *_ = nav.step(actions)
        assert np.array_equal(ra, rb)
        assert np.array_equal(nav.nav_actions.primitive, actions)


def test_a_saved_game_with_navigator_actions_resumes_bit_identically(tmp_path) -> None:
    sim = BatchedSim("dungeon", num_worlds=2, seed=4, pool_size=2, threads=1, nav_actions=["monsters"])
    rng = np.random.default_rng(2)
    obs = sim.reset()
    for _ in range(10):
        obs, *_ = sim.step(_policy(obs, rng))
    save_sim(sim, tmp_path / "game.npz")
    loaded = load_sim(tmp_path / "game.npz", threads=1)
    assert loaded.nav_actions is not None and loaded.nav_actions.factions == ("monsters",)
    other = loaded.observations()
    assert np.array_equal(obs["action_mask"], other["action_mask"])
    for _ in range(15):
        actions = _policy(obs, rng)
        obs, r1, *_ = sim.step(actions)
        other, r2, *_ = loaded.step(actions)
        assert np.array_equal(r1, r2) and np.array_equal(obs["action_mask"], other["action_mask"])
        assert np.array_equal(sim.world.ag, loaded.world.ag)


# ----------------------------------------------------------------------------- the policy


def test_nav_transformer_scores_goto_with_the_pointer_head() -> None:
    torch.manual_seed(0)
    net = NavTransformer(NAV_ACTIONS, d=16, layers=1, heads=2, patch_grid=1)
    sim = make(BIG_ROOM, [spawn("hero", 1, 7), spawn("monsters", 5, 2)], [(0, 5, 5, item("potion", heal=5))])
    obs = {k: torch.from_numpy(np.ascontiguousarray(v[0, MONSTER:MONSTER + 1]))
           for k, v in sim.observations().items() if k != "nav"}
    logits, values = net(obs)
    assert logits.shape == (1, NAV_ACTIONS) and values.shape == (1,)
    pointer = net.target_logits(obs)
    present = obs["entity_mask"][0].bool()
    base = net.policy_head(net.encode(obs)[0][:, 0])
    expected = base[0, GOTO_FIRST:EXPLORE][present] + pointer[0][present]
    assert torch.allclose(logits[0, GOTO_FIRST:EXPLORE][present], expected, atol=1e-5)
    assert torch.allclose(logits[0, EXPLORE:], base[0, EXPLORE:])  # explore, flee, goal: the policy head
    with pytest.raises(ValueError):
        NavTransformer(CORE_ACTIONS)
