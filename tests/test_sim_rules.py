"""Rules of the simulation, pinned on small hand-built levels."""

from __future__ import annotations

import numpy as np
import pytest

from game.actions import INTERACT, MOVE_FIRST, SHOOT_FIRST, USE_POTION, WAIT
from game.batch import BatchedSim
from game.handmade import item, make_level, spawn
from game.state import (
    BUFF_ATK,
    BUFF_DEF,
    BUFF_TURNS,
    CAUSES,
    EQ_MELEE,
    EQ_POTION,
    FLOOR,
    HP,
    I_CAT,
    I_LOC,
    I_X,
    I_Y,
    KEYS,
    LOC_CONSUMED,
    LOC_FLOOR,
    LOC_HELD,
    WAIT_LEFT,
    X,
    Y,
)
from levels.tiles import Tile

N, NE, E, SE, S, SW, W, NW = range(8)
ROOM = ["#########", "#.......#", "#.......#", "#.......#", "#########"]


def move(d: int) -> int:
    return MOVE_FIRST + d


def shoot(d: int) -> int:
    return SHOOT_FIRST + d


def make(rows, agents, items=(), **options) -> BatchedSim:
    level = make_level(rows, agents, items, **options)
    sim = BatchedSim(level.params, 1, seed=0, levels=[level], threads=1)
    sim.reset()
    return sim


def step(sim: BatchedSim, *actions: int):
    return sim.step(np.array([actions]))


def ag(sim: BatchedSim, slot: int) -> np.ndarray:
    return sim.world.ag[0, slot]


def sword(lo: int, hi: int | None = None):
    return item("melee", damage_min=lo, damage_max=hi if hi is not None else lo)


def bow(lo: int, hi: int | None = None, rng: int = 2):
    return item("ranged", damage_min=lo, damage_max=hi if hi is not None else lo, range=rng)


# ----------------------------------------------------------------------------- combat


def test_melee_damage_is_weapon_roll_plus_atk_minus_def():
    sim = make(ROOM, [spawn("hero", 2, 2, atk=3, dex=5, items=[sword(2)]),
                      spawn("monsters", 2, 3, defense=1)])
    step(sim, move(E), WAIT)
    assert ag(sim, 1)[HP] == 20 - (2 + 3 - 1)
    assert ag(sim, 0)[X] == 2  # attacking does not move


def test_unarmed_melee_rolls_zero_or_one():
    sim = make(ROOM, [spawn("hero", 2, 2, atk=3, dex=5), spawn("monsters", 2, 3, hp=200, defense=0)])
    seen = set()
    for _ in range(12):
        before = ag(sim, 1)[HP]
        step(sim, move(E), WAIT)
        seen.add(int(before - ag(sim, 1)[HP]))
    assert seen == {3, 4}


def test_defense_floors_damage_at_zero():
    sim = make(ROOM, [spawn("hero", 2, 2, atk=1, dex=5, items=[sword(1)]),
                      spawn("monsters", 2, 3, defense=10)])
    step(sim, move(E), WAIT)
    assert ag(sim, 1)[HP] == 20


def test_ranged_reach_blocking_and_adjacency():
    # DEX 3, bow range 2: reach max(2, 2 + 3 - 2) = 3.
    sim = make(ROOM, [spawn("hero", 2, 1, dex=3, items=[bow(1)]), spawn("monsters", 2, 4, defense=0)])
    mask = sim.action_mask[0, 0]
    assert mask[shoot(E)] == 1 and mask[shoot(W)] == 0
    step(sim, shoot(E), WAIT)
    assert ag(sim, 1)[HP] == 20 - (1 + 3)
    far = make(ROOM, [spawn("hero", 2, 1, dex=3, items=[bow(1)]), spawn("monsters", 2, 5)])
    assert far.action_mask[0, 0, shoot(E)] == 0  # distance 4 > reach 3
    near = make(ROOM, [spawn("hero", 2, 1, items=[bow(1)]), spawn("monsters", 2, 2)])
    assert near.action_mask[0, 0, shoot(E)] == 0  # no shot at an adjacent enemy
    unarmed = make(ROOM, [spawn("hero", 2, 1), spawn("monsters", 2, 3)])
    assert unarmed.action_mask[0, 0, SHOOT_FIRST:SHOOT_FIRST + 8].sum() == 0
    wall = make(["#########", "#...#...#", "#########"],
                [spawn("hero", 1, 2, dex=6, items=[bow(1)]), spawn("monsters", 1, 5)])
    assert wall.action_mask[0, 0, shoot(E)] == 0  # opaque tile in the line
    ally = make(ROOM, [spawn("hero", 2, 1, dex=6, items=[bow(1)]), spawn("hero", 2, 3),
                       spawn("monsters", 2, 5)])
    assert ally.action_mask[0, 0, shoot(E)] == 0  # the first agent in line is an ally


def test_diagonal_shot_reach():
    sim = make(ROOM, [spawn("hero", 1, 1, dex=3, items=[bow(2)]), spawn("monsters", 3, 3, defense=0)])
    assert sim.action_mask[0, 0, shoot(SE)] == 1
    step(sim, shoot(SE), WAIT)
    assert ag(sim, 1)[HP] == 20 - 5


def test_kill_reward_drops_inventory_and_ends_episode():
    sim = make(ROOM, [spawn("hero", 2, 2, atk=30, dex=5, hp=20, items=[sword(1)]),
                      spawn("monsters", 2, 3, hp=5, items=[bow(1), item("potion", heal=3)])])
    _, reward, term, trunc, info = step(sim, move(E), WAIT)
    assert term[0].all() and not trunc.any()
    assert info["finished"][0] and info["winner"][0] == 0
    assert CAUSES[info["cause"][0]] == "eliminated"
    # DeepCrawl reward: -0.01 per step + 10 * own HP / max HP for the kill; the default
    # objective adds `win` (10) for meeting the goal (the arena preset sets it to 0).
    assert reward[0, 0] == pytest.approx(-0.01 + 10.0 + 10.0)
    on_cell = [(r[I_CAT], r[I_LOC]) for r in sim.world.it[0] if r[I_Y] == 2 and r[I_X] == 3]
    assert sorted(on_cell) == [(1, LOC_FLOOR), (2, LOC_FLOOR)]
    # NEXT_STEP auto-reset: the next step resets the world and ignores the actions.
    _, reward, term, _, info = step(sim, move(E), WAIT)
    assert info["reset"][0] and not term.any() and (reward == 0).all()
    assert ag(sim, 1)[HP] == 5


# ----------------------------------------------------------------------------- items


def test_potion_heal_is_capped_and_consumed():
    sim = make(ROOM, [spawn("hero", 2, 2, hp=20, items=[item("potion", heal=5)]),
                      spawn("monsters", 2, 6)])
    sim.world.ag[0, 0, HP] = 18
    _, reward, *_ = step(sim, USE_POTION, WAIT)
    assert ag(sim, 0)[HP] == 20
    assert ag(sim, 0)[EQ_POTION] == -1
    assert (sim.world.it[0, :, I_LOC] == LOC_CONSUMED).sum() == 1
    assert reward[0, 0] == pytest.approx(-0.01 + 0.01)


def test_poison_can_kill():
    sim = make(ROOM, [spawn("hero", 2, 2, hp=3, items=[item("potion", heal=-5)]),
                      spawn("hero", 1, 1), spawn("monsters", 2, 6)])
    _, _, term, *_ = step(sim, USE_POTION, WAIT, WAIT)
    assert term[0, 0] and ag(sim, 0)[HP] == 0


def test_buff_adds_to_atk_and_def_then_expires_and_new_buff_replaces():
    buff = item("potion", buff_atk=2, buff_def=3, buff_turns=2)
    sim = make(ROOM, [spawn("hero", 2, 2, atk=3, defense=0, dex=5, items=[sword(1), buff]),
                      spawn("monsters", 2, 3, atk=0, defense=0, dex=1,
                            items=[sword(4), item("potion", buff_atk=1, buff_def=1, buff_turns=5)])])
    step(sim, USE_POTION, WAIT)
    assert (ag(sim, 0)[BUFF_ATK], ag(sim, 0)[BUFF_DEF], ag(sim, 0)[BUFF_TURNS]) == (2, 3, 2)
    step(sim, move(E), move(W))  # hero hits 1 + 3 + 2 = 6; monster hits 4 + 0 - 3 = 1
    assert ag(sim, 1)[HP] == 14 and ag(sim, 0)[HP] == 19
    step(sim, WAIT, USE_POTION)
    assert ag(sim, 0)[BUFF_TURNS] == 0 and ag(sim, 0)[BUFF_ATK] == 0  # expired after 2 turns
    assert ag(sim, 1)[BUFF_TURNS] == 5
    step(sim, WAIT, WAIT)
    assert ag(sim, 1)[BUFF_TURNS] == 4


def test_pickup_better_replaces_and_drops_worse():
    sim = make(ROOM, [spawn("hero", 2, 2, items=[sword(1, 2)]), spawn("monsters", 3, 7)],
               items=[(0, 2, 3, sword(3, 6)), (0, 2, 4, sword(0, 1)), (0, 2, 5, item("key", key_id=4)),
                      (0, 2, 6, item("key", key_id=5))])
    step(sim, move(E), WAIT)
    it = sim.world.it[0]
    best = ag(sim, 0)[EQ_MELEE]
    assert tuple(it[best, [I_Y, I_X]]) == (2, 3) or it[best, 6] == 3
    dropped = [r for r in it if r[I_LOC] == LOC_FLOOR and r[I_Y] == 2 and r[I_X] == 3]
    assert len(dropped) == 1 and dropped[0][6:8].tolist() == [1, 2]
    step(sim, move(E), WAIT)  # a worse sword stays on the floor
    assert ag(sim, 0)[EQ_MELEE] == best
    step(sim, move(E), WAIT)
    step(sim, move(E), WAIT)
    assert ag(sim, 0)[KEYS] == 2


def test_items_are_conserved():
    sim = make(ROOM, [spawn("hero", 2, 2, items=[sword(1)]), spawn("monsters", 2, 4, items=[bow(1)])],
               items=[(0, 2, 3, sword(5)), (0, 1, 1, item("potion", heal=2))])
    total = (sim.world.it[0, :, I_CAT] >= 0).sum()
    rng = np.random.default_rng(0)
    for _ in range(60):
        mask = sim.action_mask[0]
        acts = [rng.choice(np.flatnonzero(mask[a])) for a in range(2)]
        step(sim, *acts)
        locs = sim.world.it[0, :, I_LOC]
        assert ((locs == LOC_FLOOR) | (locs == LOC_HELD) | (locs == LOC_CONSUMED)).sum() == total


# ----------------------------------------------------------------------------- doors and stairs

DOORS = ["#######", "#..+..#", "#.#####", "#######"]


def test_interact_opens_and_closes_a_door():
    sim = make(DOORS, [spawn("hero", 1, 2), spawn("monsters", 2, 1)])
    assert sim.action_mask[0, 0, move(E)] == 0
    step(sim, INTERACT, WAIT)
    assert sim.world.tiles[0, 0, 1, 3] == Tile.DOOR_OPEN
    step(sim, move(E), WAIT)
    assert ag(sim, 0)[X] == 3
    assert sim.action_mask[0, 0, INTERACT] == 0  # no other door; the one it stands in can't close
    step(sim, move(E), WAIT)
    step(sim, INTERACT, WAIT)
    assert sim.world.tiles[0, 0, 1, 3] == Tile.DOOR_CLOSED


def test_locked_door_needs_its_key_which_is_used_up():
    rows = ["#######", "#..L..#", "#.#####", "#######"]
    sim = make(rows, [spawn("hero", 1, 1), spawn("monsters", 2, 1)],
               items=[(0, 1, 2, item("key", key_id=7))], locks={(0, 1, 3): 9})
    step(sim, move(E), WAIT)
    assert ag(sim, 0)[KEYS] == 1 and sim.action_mask[0, 0, INTERACT] == 0  # wrong key
    sim2 = make(rows, [spawn("hero", 1, 1), spawn("monsters", 2, 1)],
                items=[(0, 1, 2, item("key", key_id=9))], locks={(0, 1, 3): 9})
    step(sim2, move(E), WAIT)
    step(sim2, INTERACT, WAIT)
    assert sim2.world.tiles[0, 0, 1, 3] == Tile.DOOR_OPEN and ag(sim2, 0)[KEYS] == 0
    assert (sim2.world.it[0, :, I_LOC] == LOC_CONSUMED).sum() == 1


def test_interact_opens_doors_first_in_n_e_s_w_order():
    rows = ["#######", "###+###", "##+.+##", "###+###", "#.....#", "#######"]
    sim = make(rows, [spawn("hero", 2, 3), spawn("monsters", 4, 1)])
    doors = [(1, 3), (2, 4), (3, 3), (2, 2)]  # N, E, S, W
    for opened in range(1, 5):  # opening comes first: one door more each time, in N, E, S, W order
        step(sim, INTERACT, WAIT)
        assert [sim.world.tiles[0, 0, y, x] == Tile.DOOR_OPEN for y, x in doors] == \
            [k < opened for k in range(4)]
    step(sim, INTERACT, WAIT)  # nothing left to open: it closes the first open door (north)
    assert sim.world.tiles[0, 0, 1, 3] == Tile.DOOR_CLOSED
    assert all(sim.world.tiles[0, 0, y, x] == Tile.DOOR_OPEN for y, x in doors[1:])


def test_stairs_lead_to_the_same_cell_one_floor_down_and_back():
    floors = [["#######", "#.>...#", "#######"], ["#######", "#.<...#", "#######"]]
    sim = make(floors, [spawn("hero", 1, 1), spawn("monsters", 1, 5, floor=1)])
    step(sim, move(E), WAIT)
    _, reward, *_ = step(sim, INTERACT, WAIT)
    me = ag(sim, 0)
    assert (me[FLOOR], me[Y], me[X]) == (1, 1, 2)
    assert reward[0, 0] == pytest.approx(-0.01)  # reach_stairs_down weight is 0 by default
    step(sim, INTERACT, WAIT)
    assert ag(sim, 0)[FLOOR] == 0


def test_stairs_blocked_while_arrival_cell_occupied():
    floors = [["#######", "#.>...#", "#######"], ["#######", "#.<...#", "#######"]]
    sim = make(floors, [spawn("hero", 1, 2), spawn("monsters", 1, 2, floor=1)])
    assert sim.action_mask[0, 0, INTERACT] == 0


# ----------------------------------------------------------------------------- hazards


def test_water_costs_extra_turns():
    rows = ["#######", "#.~...#", "#.....#", "#######"]
    sim = make(rows, [spawn("hero", 1, 1), spawn("monsters", 2, 5)], water_turns=2)
    step(sim, move(E), WAIT)
    assert ag(sim, 0)[WAIT_LEFT] == 2
    assert sim.action_mask[0, 0].tolist() == [1] + [0] * 18
    step(sim, WAIT, WAIT)
    step(sim, WAIT, WAIT)
    assert ag(sim, 0)[WAIT_LEFT] == 0 and sim.action_mask[0, 0, move(E)] == 1


def test_lava_hurts_every_turn_ignoring_defense():
    rows = ["#######", "#.^...#", "#.....#", "#######"]
    sim = make(rows, [spawn("hero", 1, 1, defense=10), spawn("monsters", 2, 5)], lava_damage=3)
    step(sim, move(E), WAIT)
    assert ag(sim, 0)[HP] == 17
    step(sim, WAIT, WAIT)
    assert ag(sim, 0)[HP] == 14


# ----------------------------------------------------------------------------- moves and conflicts


def test_diagonal_rules():
    rows = ["#######", "#.#...#", "##....#", "#..+..#", "#######"]
    sim = make(rows, [spawn("hero", 1, 1), spawn("monsters", 3, 5)])
    assert sim.action_mask[0, 0, move(SE)] == 0  # squeezing between two walls
    sim = make(rows, [spawn("hero", 2, 3), spawn("monsters", 1, 5)])
    assert sim.action_mask[0, 0, move(SW)] == 1  # past one wall corner
    sim = make(rows, [spawn("hero", 2, 2), spawn("monsters", 1, 5)])
    sim.world.tiles[0, 0, 3, 3] = Tile.DOOR_OPEN
    sim.refresh_observations()
    assert sim.action_mask[0, 0, move(SE)] == 0  # never diagonally into a door
    assert sim.action_mask[0, 0, move(E)] == 1


def test_higher_dex_acts_first_in_a_move_conflict():
    sim = make(ROOM, [spawn("hero", 2, 2, dex=2), spawn("monsters", 2, 4, dex=6, defense=0)])
    step(sim, move(E), move(W))
    assert (ag(sim, 1)[X], ag(sim, 0)[X]) == (3, 2)  # monster took (2, 3); hero's move hit it
    assert ag(sim, 1)[HP] < 20


def test_melee_on_an_agent_that_moved_away_becomes_a_move():
    sim = make(ROOM, [spawn("hero", 2, 2, dex=1), spawn("monsters", 2, 3, dex=9)])
    step(sim, move(E), move(E))
    assert ag(sim, 1)[X] == 4 and ag(sim, 0)[X] == 3 and ag(sim, 1)[HP] == 20


def test_moving_into_an_ally_is_illegal_and_costs_the_penalty():
    sim = make(ROOM, [spawn("hero", 2, 2), spawn("hero", 2, 3), spawn("monsters", 1, 7)])
    assert sim.action_mask[0, 0, move(E)] == 0
    _, reward, *_ = step(sim, move(E), WAIT, WAIT)
    assert reward[0, 0] == pytest.approx(-0.01 - 0.1)
    assert ag(sim, 0)[X] == 2


def test_truncation_at_max_turns():
    sim = make(ROOM, [spawn("hero", 1, 1), spawn("monsters", 3, 7)], max_turns=3)
    for _ in range(2):
        _, _, term, trunc, info = step(sim, WAIT, WAIT)
        assert not trunc.any() and not info["finished"][0]
    _, _, term, trunc, info = step(sim, WAIT, WAIT)
    assert trunc[0].all() and not term.any() and info["finished"][0]
    assert info["episode_length"][0] == 3 and info["winner"][0] == -1
    assert info["episode_return"][0, 0] == pytest.approx(-0.03)


def test_illegal_out_of_range_actions_raise():
    from game.batch import ActionError

    sim = make(ROOM, [spawn("hero", 1, 1), spawn("monsters", 3, 7)])
    with pytest.raises(ActionError, match="shape"):
        sim.step(np.zeros((2, 2), int))
    with pytest.raises(ActionError, match="lie in"):
        sim.step(np.array([[0, 99]]))
    with pytest.raises(ActionError, match="integers"):
        sim.step(np.zeros((1, 2), float))


# ----------------------------------------------------------------------------- view


def test_walls_hide_agents_and_memory_persists():
    rows = ["#########", "#...#...#", "#...#...#", "#.......#", "#########"]
    sim = make(rows, [spawn("hero", 1, 2), spawn("monsters", 1, 6)])
    obs = sim.observations()
    enemy_col = 9
    assert obs["entities"][0, 0, :, enemy_col].sum() == 0  # behind the wall
    assert obs["patch"][0, 0, 6, 6, 3] == 1  # self at the centre
    assert obs["patch"][0, 0, 6, 7, 1] == 1  # the cell east is visible now
    step(sim, move(S), WAIT)
    step(sim, move(SE), WAIT)
    obs = sim.observations()
    assert obs["entities"][0, 0, :, enemy_col].sum() == 0  # (2, 4) still blocks the line
    step(sim, move(E), WAIT)
    obs = sim.observations()
    assert obs["entities"][0, 0, :, enemy_col].sum() == 1  # diagonal past the wall's end
    step(sim, move(W), WAIT)
    obs = sim.observations()
    # The first cell seen (1, 2) is remembered as floor (code 1 + Tile.FLOOR).
    assert obs["patch"][0, 0, 6 - 2, 6 - 1, 0] == 1 + Tile.FLOOR
    assert obs["patch"][0, 0, 6 - 2, 6 - 1, 2] == 1


def test_explore_reward_counts_new_tiles():
    from levels.params import FactionParams, ObjectiveParams

    explorer = FactionParams(sight=2, objective=ObjectiveParams(step=0.0, explore=1.0))
    rows = ["###########", "#.........#", "###########"]
    sim = make(rows, [spawn("hero", 1, 1), spawn("monsters", 1, 9)],
               factions={"hero": explorer, "monsters": FactionParams(sight=2)})
    _, reward, *_ = step(sim, move(E), WAIT)
    assert reward[0, 0] == pytest.approx(3.0)  # column x=4 (wall, floor, wall) is new
