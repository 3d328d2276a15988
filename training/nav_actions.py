"""Navigator-driven actions for NPC policies: go to entity k, explore, flee (issue 5, "in the game").

:class:`NavActionSim` wraps a :class:`game.batch.BatchedSim` behind the rollout's
:class:`~training.rollout.VecSim` protocol with a larger discrete action space:

=========================  ==========================================================
index                      action
=========================  ==========================================================
0 .. 18                    the game's primitive actions, unchanged (``ACTIONS_VERSION`` 1)
19 .. 19 + K - 1           go to entity token k (K = ``game.spec.MAX_ENTITIES``)
19 + K                     explore (the nearest unexplored place)
19 + K + 1                 flee (a known open place away from the visible enemies)
=========================  ==========================================================

Each agent of the navigating faction owns a :class:`search.game_bridge.AgentNavigator`
(a Hebbian navigator, new every episode) fed only with that agent's own patch; the
simulator's state gives its absolute cell for the navigator's bookkeeping. Every tick a
navigator action becomes one primitive move (a step, ``interact`` to open a door or take
stairs, or ``wait``), so the game's rules and masks are untouched.

Masks: go to k is legal for a present token; explore while the agent's navigator knows a
frontier; flee while an enemy is visible. Other factions (the scripted hero) keep
primitive actions; the simulator masks the appended indices for them.

:class:`npc.nav_transformer.NavTransformer` is the entity transformer whose go-to logits are its pointer head's
scores over the entity tokens (plus a learned per-slot bias), so "which entity" is chosen
by attention over tokens rather than by token position alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from game.actions import INTERACT, MOVE_FIRST, WAIT
from game.batch import BatchedSim, StepResult
from game.spec import ENTITY_COLUMN, OFF_MAP, PATCH_RADIUS, POS_SCALE
from game.state import FLOOR, X, Y
from levels.tiles import Tile
from npc.nav_transformer import EXPLORE, FLEE, GOTO_FIRST, NAV_ACTIONS
from search.game_bridge import OPEN_DOOR, AgentNavigator, PatchCodes
from search.hebbian import HebbianParams
from search.moves import DIRECTIONS, STAIRS
from search.moves import WAIT as NAV_WAIT

_ENEMY, _DY, _DX = ENTITY_COLUMN["enemy"], ENTITY_COLUMN["dy"], ENTITY_COLUMN["dx"]
_ORTHOGONAL = (0, 2, 4, 6)  # N, E, S, W: the order in which interact picks a door
_CODES = PatchCodes(radius=PATCH_RADIUS, off_map=OFF_MAP)


class NavActionSim:
    """A :class:`BatchedSim` whose ``nav_faction`` agents may also pick navigator actions.

    Args:
        params: level preset, TOML path or ``LevelParams``.
        num_worlds: B.
        seed: simulator seed (bit-identical episodes for the same seed and actions).
        nav_faction: the faction whose agents get navigators (None: every agent).
        hebbian: navigator parameters (default: :class:`HebbianParams` with ``unknown_stairs`` and
            ``moving_goal_by_length`` off: game agents see stairs before they take them).
        sim_options: passed to :class:`BatchedSim` (``pool_size``, ``threads``, ...).
    """

    def __init__(self, params: Any, num_worlds: int, seed: int, nav_faction: str | None = "monsters",
                 hebbian: HebbianParams | None = None, **sim_options: Any) -> None:
        self.sim = BatchedSim(params, num_worlds=num_worlds, seed=seed, num_actions=NAV_ACTIONS, **sim_options)
        self.num_worlds = self.sim.num_worlds
        self.num_agents = self.sim.num_agents
        self.num_actions = NAV_ACTIONS
        self.layout = self.sim.layout
        self.shape = self.sim.shape
        # In the game the target entity moves every tick; the measured figures (docs/navigation.md)
        # keep the confidence term throughout, as the benchmark's goal-change rule would drop it.
        self.hebbian = hebbian or HebbianParams(unknown_stairs=False, moving_goal_by_length=False)
        factions = tuple(self.layout.factions)
        slot_faction = list(self.layout.slot_faction())
        if nav_faction is None:
            self.nav_slots = np.arange(self.num_agents)
        else:
            if nav_faction not in factions:
                raise ValueError(f"nav_faction {nav_faction!r} is not in the level's factions {factions}")
            f = factions.index(nav_faction)
            self.nav_slots = np.array([s for s, g in enumerate(slot_faction) if g == f], np.int64)
        self.navs: list[dict[int, AgentNavigator]] = [{} for _ in range(self.num_worlds)]
        self._obs: dict[str, np.ndarray] = {}
        self.translated = np.zeros(NAV_ACTIONS, np.int64)  # navigator actions issued, by index

    # ------------------------------------------------------------------ VecSim

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Fresh episodes everywhere (navigators start empty)."""
        obs = self.sim.reset(seed)
        for b in range(self.num_worlds):
            self.navs[b] = {}
        return self._refresh(obs, self.sim.info())

    def step(self, actions: np.ndarray) -> StepResult:
        """Translate navigator actions into primitive ones and play one tick."""
        actions = np.asarray(actions)
        if actions.shape != (self.num_worlds, self.num_agents):
            raise ValueError(f"actions must have shape {(self.num_worlds, self.num_agents)}, got {actions.shape}")
        primitive = self.translate(actions)
        obs, reward, terminated, truncated, info = self.sim.step(primitive)
        for b in np.flatnonzero(np.asarray(info["reset"])):
            self.navs[b] = {}
        return StepResult(self._refresh(obs, info), reward, terminated, truncated, info)

    def info(self) -> dict[str, np.ndarray]:
        """The simulator's status arrays."""
        return self.sim.info()

    def close(self) -> None:
        """Stop the simulator's worker threads."""
        self.sim.close()

    # ------------------------------------------------------------------ per tick

    def positions(self) -> np.ndarray:
        """Absolute ``(floor, row, col)`` of every agent, int ``[B, A, 3]``."""
        return self.sim.world.ag[:, :, [FLOOR, Y, X]]

    def _navigator(self, b: int, a: int) -> AgentNavigator:
        nav = self.navs[b].get(a)
        if nav is None:
            nav = AgentNavigator(self.shape, self.hebbian, codes=_CODES)
            self.navs[b][a] = nav
        return nav

    def _refresh(self, obs: dict[str, np.ndarray], info: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Feed every living navigating agent its view; add the navigator actions' masks."""
        out = dict(obs)
        mask = np.array(obs["action_mask"], copy=True)
        alive = np.asarray(info["alive"], bool)
        turn = np.asarray(info["turn"])
        pos = self.positions()
        present = obs["entity_mask"] != 0
        enemy = present & (obs["entities"][..., _ENEMY] > 0.5)
        patch = obs["patch"]
        slots = self.nav_slots
        for b in range(self.num_worlds):
            for a in slots.tolist():
                if not alive[b, a]:
                    mask[b, a, GOTO_FIRST:] = 0
                    continue
                nav = self._navigator(b, a)
                nav.observe(tuple(pos[b, a].tolist()), patch[b, a], int(turn[b]))
                mask[b, a, GOTO_FIRST:EXPLORE] = present[b, a]
                mask[b, a, EXPLORE] = nav.has_frontier()
                mask[b, a, FLEE] = enemy[b, a].any()
        out["action_mask"] = mask
        self._obs = out
        return out

    def translate(self, actions: np.ndarray) -> np.ndarray:
        """Primitive actions ``[B, A]`` for ``actions`` in the extended space (primitives pass through)."""
        out = np.array(actions, dtype=np.int64, copy=True)
        obs = self._obs
        for b, a in zip(*np.nonzero(out >= GOTO_FIRST), strict=True):
            b, a = int(b), int(a)
            choice = int(out[b, a])
            nav = self.navs[b].get(a)
            if nav is None or not obs["action_mask"][b, a, choice]:
                out[b, a] = WAIT  # not a navigating agent, or an illegal choice: the sim would wait too
                continue
            self.translated[choice] += 1
            out[b, a] = self._primitive(nav, choice, obs, b, a)
        return out

    def _primitive(self, nav: AgentNavigator, choice: int, obs: Mapping[str, np.ndarray], b: int, a: int) -> int:
        """One navigator action of agent ``(b, a)`` as a legal primitive action."""
        tokens = obs["entities"][b, a]
        f, y, x = nav.position
        if choice < EXPLORE:
            k = choice - GOTO_FIRST
            goal = (f, y + int(round(tokens[k, _DY] * POS_SCALE)), x + int(round(tokens[k, _DX] * POS_SCALE)))
            move = nav.go_to(goal)
        elif choice == EXPLORE:
            move = nav.explore()
        else:
            present = obs["entity_mask"][b, a] != 0
            threats = [(f, y + int(round(t[_DY] * POS_SCALE)), x + int(round(t[_DX] * POS_SCALE)))
                       for t, p in zip(tokens, present, strict=True) if p and t[_ENEMY] > 0.5]
            move = nav.flee(threats)
        legal = obs["action_mask"][b, a]
        patch = obs["patch"][b, a]
        allowed = np.zeros(9, bool)
        allowed[:8] = legal[MOVE_FIRST:MOVE_FIRST + 8] != 0
        r = PATCH_RADIUS
        here = int(patch[r, r, 0]) - 1
        allowed[STAIRS] = bool(legal[INTERACT]) and here in (Tile.STAIRS_DOWN, Tile.STAIRS_UP)
        door_ahead = np.zeros(8, bool)
        if legal[INTERACT] and not allowed[STAIRS]:
            for d in _ORTHOGONAL:  # interact changes the first door in N, E, S, W order
                dy, dx = DIRECTIONS[d]
                tile = int(patch[r + dy, r + dx, 0]) - 1
                if tile in (Tile.DOOR_CLOSED, Tile.DOOR_OPEN):
                    door_ahead[d] = tile == Tile.DOOR_CLOSED
                    break
        final = nav.legal_move(move, allowed, door_ahead)
        if final == NAV_WAIT:
            return WAIT
        if final in (OPEN_DOOR, STAIRS):
            return INTERACT
        return MOVE_FIRST + final
