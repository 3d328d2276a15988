"""Navigator-driven NPC actions: translation to primitive moves, masks, and the pointer-head policy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from game.actions import CORE_ACTIONS, INTERACT, WAIT
from game.batch import BatchedSim
from game.handmade import item, make_level, spawn
from game.spec import ENTITY_FEATURES, MAX_ENTITIES, POS_SCALE
from game.state import FLOOR, HP, X, Y
from levels.tiles import Tile
from npc.nav_transformer import EXPLORE, FLEE, GOTO_FIRST, NAV_ACTIONS, NavTransformer
from training.nav_actions import NavActionSim

HERO, MONSTER = 0, 1
_COL = {name: i for i, (name, _) in enumerate(ENTITY_FEATURES)}
BIG_ROOM = ["#################",
            "#...............#",
            "#...............#",
            "#...............#",
            "#...............#",
            "#...............#",
            "#################"]


def make(rows, agents, items=(), **options) -> NavActionSim:
    level = make_level(rows, agents, items, **options)
    sim = NavActionSim(level.params, 1, 0, "monsters", levels=[level], threads=1)
    sim.reset()
    return sim


def pos(sim: NavActionSim, slot: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in sim.sim.world.ag[0, slot, [FLOOR, Y, X]])


def token_of(sim: NavActionSim, slot: int, want) -> int:
    """Index of the first present token of ``slot`` for which ``want(row)`` holds."""
    obs = sim._obs
    for k in range(MAX_ENTITIES):
        if obs["entity_mask"][0, slot, k] and want(obs["entities"][0, slot, k]):
            return k
    raise AssertionError("no such token")


def play(sim: NavActionSim, monster_action, ticks: int) -> list[np.ndarray]:
    """Step with the hero waiting; returns the primitive actions each tick and checks they were legal."""
    issued = []
    for _ in range(ticks):
        actions = np.zeros((1, sim.num_agents), np.int64)
        actions[0, MONSTER] = monster_action(sim)
        legal = sim._obs["action_mask"][0, MONSTER]
        assert legal[actions[0, MONSTER]], "the policy may only pick legal actions"
        primitive = sim.translate(actions)
        assert primitive[0, MONSTER] < CORE_ACTIONS
        assert legal[primitive[0, MONSTER]], "a translated action must be legal in the game"
        issued.append(primitive[0, MONSTER])
        sim.step(actions)
        if sim.info()["finished"][0]:
            break
    return issued


def test_goto_walks_round_lava_to_an_item_and_picks_it_up() -> None:
    rows = ["#########",
            "#.......#",
            "#..^....#",
            "#..^....#",
            "#########"]
    sim = make(rows, [spawn("hero", 1, 7), spawn("monsters", 3, 1)], [(0, 3, 6, item("potion", heal=5))])

    def potion(s: NavActionSim) -> int:
        try:
            return GOTO_FIRST + token_of(s, MONSTER, lambda t: t[_COL["is_potion"]] > 0.5)
        except AssertionError:
            return WAIT  # picked up: the token is gone

    play(sim, potion, 8)
    assert pos(sim, MONSTER) == (0, 3, 6)
    assert sim.sim.world.ag[0, MONSTER, HP] == 20, "never stepped on lava"


def test_goto_an_enemy_attacks_it() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 1, 7, defense=0), spawn("monsters", 5, 2, atk=5)])
    hp = int(sim.sim.world.ag[0, HERO, HP])
    play(sim, lambda s: GOTO_FIRST + token_of(s, MONSTER, lambda t: t[_COL["enemy"]] > 0.5), 16)
    assert int(sim.sim.world.ag[0, HERO, HP]) < hp


def test_goto_opens_a_closed_door_on_the_way() -> None:
    rows = ["#########",
            "#...+...#",
            "#########"]
    sim = make(rows, [spawn("hero", 1, 7), spawn("monsters", 1, 1)])
    door = token_of(sim, MONSTER, lambda t: t[_COL["is_door"]] > 0.5)
    issued = play(sim, lambda s: GOTO_FIRST + door, 4)
    assert INTERACT in issued
    assert sim.sim.world.tiles[0, 0, 1, 4] == Tile.DOOR_OPEN
    assert pos(sim, MONSTER) == (0, 1, 4)


def test_flee_increases_the_distance_to_the_enemy() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 3, 8), spawn("monsters", 3, 9)])
    before = max(abs(a - b) for a, b in zip(pos(sim, HERO)[1:], pos(sim, MONSTER)[1:], strict=True))
    play(sim, lambda s: FLEE, 5)
    after = max(abs(a - b) for a, b in zip(pos(sim, HERO)[1:], pos(sim, MONSTER)[1:], strict=True))
    assert after >= before + 3


def test_explore_reveals_new_tiles_and_takes_the_stairs() -> None:
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
    known = [int((sim.navs[0][MONSTER]._tile != 255).sum())]
    for _ in range(30):
        if pos(sim, MONSTER)[0] == 1:
            break
        play(sim, lambda s: EXPLORE if s._obs["action_mask"][0, MONSTER, EXPLORE] else WAIT, 1)
        known.append(int((sim.navs[0][MONSTER]._tile != 255).sum()))
    assert known[-1] > known[0]
    assert pos(sim, MONSTER)[0] == 1, "explore leads down the stairs once the first floor is seen"


def test_masks_follow_tokens_enemies_and_frontier() -> None:
    room = ["#########", "#.......#", "#.......#", "#.......#", "#########"]
    sim = make(room, [spawn("hero", 1, 6), spawn("monsters", 3, 2)], [(0, 3, 5, item("potion", heal=5))])
    obs = sim._obs
    mask = obs["action_mask"][0, MONSTER]
    present = obs["entity_mask"][0, MONSTER]
    assert present.sum() >= 2
    assert np.array_equal(mask[GOTO_FIRST:EXPLORE], present)
    assert mask[FLEE] == 1  # the hero is in sight
    # primitive part: exactly the game's own mask
    plain = BatchedSim(sim.sim.params, 1, seed=0, levels=sim.sim.fixed_levels, threads=1, num_actions=NAV_ACTIONS)
    plain.reset()
    assert np.array_equal(mask[:CORE_ACTIONS], plain.action_mask[0, MONSTER, :CORE_ACTIONS])
    # the hero is not a navigating agent: its appended indices stay illegal
    assert obs["action_mask"][0, HERO, GOTO_FIRST:].sum() == 0


def test_explore_turns_illegal_once_everything_is_seen() -> None:
    room = ["#########", "#.......#", "#.......#", "#.......#", "#########"]
    sim = make(room, [spawn("hero", 1, 6), spawn("monsters", 3, 2)])
    assert sim._obs["action_mask"][0, MONSTER, EXPLORE] == 1  # a few wall cells are not in sight yet
    for _ in range(20):
        if not sim._obs["action_mask"][0, MONSTER, EXPLORE]:
            break
        play(sim, lambda s: EXPLORE, 1)
    assert sim._obs["action_mask"][0, MONSTER, EXPLORE] == 0
    known = sim.navs[0][MONSTER]._tile[0, 1:-1, 1:-1]
    # every cell but the four corners (which touch no floor cell) is known when explore stops
    assert (known[1:-1, :] != 255).all() and (known[:, 1:-1] != 255).all()


def test_flee_is_illegal_without_an_enemy_in_sight_and_explore_legal_with_unknown_cells() -> None:
    rows = ["#################",
            "#.....#.........#",
            "#.....#.........#",
            "#...............#",
            "#################"]
    sim = make(rows, [spawn("hero", 1, 15), spawn("monsters", 1, 1)])
    mask = sim._obs["action_mask"][0, MONSTER]
    assert mask[FLEE] == 0
    assert mask[EXPLORE] == 1


def test_primitive_actions_pass_through_unchanged() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 1, 7), spawn("monsters", 5, 2)])
    actions = np.zeros((1, sim.num_agents), np.int64)
    for a in range(CORE_ACTIONS):
        actions[0, MONSTER] = a
        assert sim.translate(actions)[0, MONSTER] == a


def test_go_to_targets_come_from_token_offsets() -> None:
    sim = make(BIG_ROOM, [spawn("hero", 1, 7), spawn("monsters", 5, 2)])
    k = token_of(sim, MONSTER, lambda t: t[_COL["enemy"]] > 0.5)
    t = sim._obs["entities"][0, MONSTER, k]
    me = pos(sim, MONSTER)
    cell = (me[0], me[1] + round(t[_COL["dy"]] * POS_SCALE), me[2] + round(t[_COL["dx"]] * POS_SCALE))
    assert cell == pos(sim, HERO)


def test_nav_transformer_scores_goto_with_the_pointer_head() -> None:
    torch.manual_seed(0)
    net = NavTransformer(NAV_ACTIONS, d=16, layers=1, heads=2, patch_grid=1)
    sim = make(BIG_ROOM, [spawn("hero", 1, 7), spawn("monsters", 5, 2)], [(0, 5, 5, item("potion", heal=5))])
    obs = {k: torch.from_numpy(np.ascontiguousarray(v[0, MONSTER:MONSTER + 1])) for k, v in sim._obs.items()}
    logits, values = net(obs)
    assert logits.shape == (1, NAV_ACTIONS) and values.shape == (1,)
    pointer = net.target_logits(obs)
    present = obs["entity_mask"][0].bool()
    base = net.policy_head(net.encode(obs)[0][:, 0])
    expected = base[0, GOTO_FIRST:EXPLORE][present] + pointer[0][present]
    assert torch.allclose(logits[0, GOTO_FIRST:EXPLORE][present], expected, atol=1e-5)
    with pytest.raises(ValueError):
        NavTransformer(CORE_ACTIONS)


def test_same_seed_same_episode_on_the_dungeon_preset() -> None:
    def run() -> list[np.ndarray]:
        sim = NavActionSim("dungeon", 2, 5, "monsters", pool_size=2, threads=1)
        obs = sim.reset()
        trail = []
        for _ in range(25):
            mask = obs["action_mask"]
            # navigating agents explore when they can, else go to their first token; others wait
            actions = np.where(mask[..., EXPLORE] == 1, EXPLORE, np.where(mask[..., GOTO_FIRST] == 1, GOTO_FIRST, WAIT))
            obs, *_ = sim.step(actions.astype(np.int64))
            trail.append(sim.positions().copy())
        assert sim.translated[GOTO_FIRST:].sum() > 0
        return trail

    first, second = run(), run()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[0], first[-1]), "the monsters moved"
