"""One run of the game on one level: the simulator, the player's slot, turns, log and recording.

A :class:`Session` is what a game save holds and what :class:`game.ui.app.App` plays:
:func:`start_session` begins a run, :func:`replay_session` plays a recording back. It
knows nothing of pygame events or drawing; the app turns keys into its actions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from game.actions import (
    DIRECTIONS,
    MOVE_FIRST,
    SHOOT_FIRST,
    action_name,
)
from game.batch import BatchedSim
from game.state import ALIVE, FACTION, FLOOR, PRESENT, X, Y
from game.ui.animation import Pose, Tween
from game.ui.combat import death_cause, turn_hits
from game.ui.effects import HitEffects
from game.ui.endscreen import end_lines
from game.ui.goals import outcome_line, winner_note
from game.ui.messages import MessageLog
from game.ui.names import agent_kinds, numbered_names
from game.ui.recording import Recording, new_sim, replay_sim
from game.ui.view_builder import (
    CAMERA,
    Snapshot,
    ViewRequest,
    agent_key,
    build_view,
    direction_angle,
    hex_rgb,
    kind_name,
    turn_messages,
    visible_cells,
)
from game.ui.view_state import ViewState
from levels.common.errors import UserError
from levels.level import Level
from levels.render import faction_colours
from levels.tiles import WALKABLE, Tile

if TYPE_CHECKING:
    from npc.controllers import NpcController


HUD_MESSAGES = 40  # log entries handed to the HUD (it shows the newest that fit)
OPEN_LOOK = 6  # cells ahead open_direction counts


def open_direction(sim: BatchedSim, slot: int) -> int:
    """A direction to face on arrival: the one of E, S, W, N with the longest walkable run ahead.

    Ties keep that order (east first); a dead end faces east.
    """
    ag = sim.world.ag[0, slot]
    tiles = sim.world.tiles[0, ag[FLOOR]]
    best, best_run = 2, 0
    for d in (2, 4, 6, 0):
        run = 0
        for k in range(1, OPEN_LOOK + 1):
            y, x = ag[Y] + k * DIRECTIONS[d][0], ag[X] + k * DIRECTIONS[d][1]
            if not (0 <= y < tiles.shape[0] and 0 <= x < tiles.shape[1]) or not WALKABLE[tiles[y, x]]:
                break
            run += 1
        if run > best_run:
            best, best_run = d, run
    return best


def blocked_reason(sim: BatchedSim, slot: int, direction: int) -> str:
    """Why agent ``slot`` cannot step in ``direction`` now (for the message log)."""
    world = sim.world
    ag = world.ag[0, slot]
    dy, dx = DIRECTIONS[direction]
    y, x = int(ag[Y] + dy), int(ag[X] + dx)
    tiles = world.tiles[0, ag[FLOOR]]
    if not (0 <= y < tiles.shape[0] and 0 <= x < tiles.shape[1]):
        return "A wall blocks the way."
    tile = Tile(int(tiles[y, x]))
    if tile == Tile.DOOR_CLOSED:
        return "The door is closed: Space opens it."
    if tile == Tile.DOOR_LOCKED:
        return "The door is locked: find its key, then Space unlocks it."
    if world.occ[0, ag[FLOOR], y, x] >= 0:
        return "An ally blocks the way."
    if WALKABLE[tile]:
        return "Doors and wall corners cannot be passed diagonally."
    return "A wall blocks the way."


def action_direction(action: int) -> int | None:
    """The direction index a move or shot action points in (None for the others)."""
    if MOVE_FIRST <= action < MOVE_FIRST + 8:
        return action - MOVE_FIRST
    if SHOOT_FIRST <= action < SHOOT_FIRST + 8:
        return action - SHOOT_FIRST
    return None


@dataclass
class Session:
    """One run: the simulator, who is who, the facing of every agent, the log and recording.

    ``player`` is the slot the keyboard drives (-1 when spectating: then the hero too is
    driven by the NPC controller); ``viewer`` is the slot the camera follows.
    """

    level: Level
    sim: BatchedSim
    recording: Recording
    player: int
    viewer: int
    colours: tuple[tuple[int, int, int], ...]
    facing: dict[int, int] = field(default_factory=dict)
    log: MessageLog = field(default_factory=MessageLog)
    labels: dict[int, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # display names by slot ("Ghoul 2"), from game.ui.names
    effects: HitEffects = field(default_factory=HitEffects)
    death: str = ""  # the player's cause of death ("Slain by Ghoul 2 (long sword)")
    #: Extra end-screen lines after the outcome (e.g. who won and why); see game.ui.endscreen.
    end_notes: list[str] = field(default_factory=list)
    tween: Tween = field(default_factory=Tween)
    outcome: str = ""
    deepest: int = 0  # the deepest floor the followed agent reached (0 = top)
    run_id: str = ""
    replay_of: Recording | None = None  # set when the session replays a recording

    @property
    def finished(self) -> bool:
        """True once the run is over (death, victory, turn limit, or the end of a replay)."""
        return bool(self.outcome)

    @property
    def turn(self) -> int:
        """Turns played."""
        return self.recording.turns

    def alive(self, slot: int) -> bool:
        """Whether agent ``slot`` is alive."""
        return bool(self.sim.world.ag[0, slot, ALIVE])

    def legal(self, action: int) -> bool:
        """Whether the player may play ``action`` now."""
        return bool(self.sim.action_mask[0, self.player, action])

    def targets(self) -> dict[object, Pose]:
        """Animation targets: every living agent's cell and facing, and the camera."""
        world = self.sim.world
        out: dict[object, Pose] = {}
        for slot in range(world.ag.shape[1]):
            if world.ag[0, slot, ALIVE]:
                ag = world.ag[0, slot]
                out[agent_key(slot)] = Pose(float(ag[Y]), float(ag[X]),
                                            direction_angle(self.facing.get(slot, 2)))
        ag = world.ag[0, self.viewer]
        out[CAMERA] = Pose(float(ag[Y]), float(ag[X]), direction_angle(self.facing.get(self.viewer, 2)))
        return out

    def play(self, actions: np.ndarray, now: float) -> list[str]:
        """Play one turn with ``[A]`` actions; animate, log, record and detect the end."""
        world = self.sim.world
        before = Snapshot.take(world)
        visible_before = visible_cells(world, self.sim.config, self.viewer)
        self.sim.step(np.asarray(actions, dtype=np.int64).reshape(1, -1))
        self.recording.append(actions, self.sim)
        for slot, action in enumerate(np.asarray(actions).reshape(-1)):
            d = action_direction(int(action))
            if d is not None and slot != self.player:
                self.facing[slot] = d
            self.labels[slot] = action_name(int(action))
        after = Snapshot.take(world)
        visible = visible_cells(world, self.sim.config, self.viewer) | visible_before
        hits = turn_hits(before.ag, before.it, after.ag, after.tiles, actions, self.weapon_name)
        lines = turn_messages(self.sim.params, before, after, self.viewer, self.names,
                              visible, second_person=self.viewer == self.player, hits=tuple(hits))
        self.log.extend(lines)
        self.effects.add(hits, now, after.ag, self.viewer)
        for hit in hits:
            if hit.victim == self.player and hit.died:
                self.death = death_cause(hit, self.names, self.player)
        if self.player >= 0 and before.ag[self.player, FLOOR] != after.ag[self.player, FLOOR]:
            self.facing[self.player] = open_direction(self.sim, self.player)  # never face a wall on arrival
        self._animate(before, now)
        self.deepest = max(self.deepest, int(world.ag[0, self.viewer, FLOOR]))
        self._check_end()
        if self.player < 0 and not self.alive(self.viewer) and not self.finished:
            self.follow(1)  # the watched agent died: watch the next one
        return lines

    def weapon_name(self, item: int) -> str:
        """The loot kind name of item slot ``item`` (``"long sword"``)."""
        return kind_name(self.sim.params, self.sim.world.it[0, item])

    def _animate(self, before: Snapshot, now: float) -> None:
        targets = self.targets()
        if before.ag[self.viewer, FLOOR] != self.sim.world.ag[0, self.viewer, FLOOR]:
            self.tween.snap(targets, now)
            return
        self.tween.retarget(targets, now)
        for slot in range(before.ag.shape[0]):
            if before.ag[slot, FLOOR] != self.sim.world.ag[0, slot, FLOOR] and agent_key(slot) in targets:
                self.tween.snap_key(agent_key(slot), targets[agent_key(slot)])

    def _check_end(self) -> None:
        info = self.sim.info()
        if bool(info["finished"][0]):
            self.outcome = outcome_line(self.sim, self.player_faction())
            if self.outcome == "You died." and winner_note(self.sim) not in ("", *self.end_notes):
                self.end_notes.append(winner_note(self.sim))
        elif self.player >= 0 and not self.alive(self.player):
            self.outcome = "You died."
        elif self.replay_of is not None and self.turn >= self.replay_of.turns:
            self.outcome = "End of the recording."

    def player_faction(self) -> str | None:
        """The faction the player plays (None when spectating or watching a replay of NPCs)."""
        if self.player < 0:
            return None
        return self.sim.layout.factions[int(self.sim.world.ag[0, self.player, FACTION])]

    def follow(self, step: int) -> None:
        """Point the camera at the next (``step`` 1) or previous (-1) living agent."""
        count = self.sim.num_agents
        slot = self.viewer
        for _ in range(count):
            slot = (slot + step) % count
            if self.alive(slot):
                break
        self.viewer = slot
        self.tween.snap(self.targets(), self.tween.start_time)

    def view(self, now: float, omniscient: bool, title: str,
             paths: tuple[tuple[tuple[int, int], ...], ...] = (), tags: dict[int, str] | None = None,
             status: tuple[str, ...] = (), big_map: bool = False,
             marks: dict[int, str] | None = None) -> ViewState:
        """The frame's :class:`ViewState`.

        ``tags`` (e.g. the weight version driving each NPC) and ``marks`` (e.g. the
        examined agent) join the labels; ``status`` lines become HUD badges.
        """
        labels = dict(self.labels) if self.player < 0 else {}
        for slot, tag in {**(tags or {}), **(marks or {})}.items():
            if tag and slot != self.player:
                labels[slot] = f"{labels.get(slot, '')} {tag}".strip()
        floor = int(self.sim.world.ag[0, self.viewer, FLOOR])
        effects = self.effects.effects(now, floor, self.viewer)
        for effect in effects:
            slot = int(self.sim.world.occ[0, floor, int(effect.y), int(effect.x)])
            if not effect.on_viewer and slot >= 0:
                labels[slot] = f"{labels.get(slot, '')} {effect.text}".strip()  # the damage number
        request = ViewRequest(viewer=self.viewer, player=self.player, omniscient=omniscient,
                              messages=self.log.window(HUD_MESSAGES), title=title, labels=labels,
                              paths=paths, status=status, scrollback=self.log.position(), effects=effects,
                              flashes=self.effects.flashes(now), big_map=big_map)
        return build_view(self.sim, request, self.tween, now, self.colours)

    def summary(self) -> list[str]:
        """Lines of the end-of-run screen (see :func:`game.ui.endscreen.end_lines`)."""
        ag = self.sim.world.ag[0]
        hero = self.level.params.rules.hero_faction
        factions = self.sim.layout.factions
        enemy = np.array([f >= 0 and factions[f] != hero for f in ag[:, FACTION]], dtype=bool)
        enemy &= ag[:, PRESENT] != 0
        fallen = int(np.sum(enemy & (ag[:, ALIVE] == 0)))
        floor = max(self.deepest, int(ag[self.viewer, FLOOR])) + 1
        won = self.outcome.startswith("Victory")
        return end_lines(self.outcome, self.death, self.end_notes, turns=self.turn, deepest=floor,
                         floors=int(self.sim.world.tiles.shape[1]), slain=fallen, enemies=int(enemy.sum()),
                         won=won, seed=self.level.seed)


def start_session(level: Level, seed: int, controller: NpcController, spectate: bool) -> Session:
    """A fresh run on ``level`` (the simulator seeded with ``seed``)."""
    sim = new_sim(level, seed, num_actions=controller.num_actions)
    sim.reset()
    controller.reseed(seed)
    return build_session(level, sim, Recording.start(sim, level, None, controller.name), spectate)


def build_session(level: Level, sim: BatchedSim, recording: Recording, spectate: bool,
                  replay_of: Recording | None = None) -> Session:
    """A session around an existing simulator and its recording (a new run, a loaded save or a replay)."""
    if not sim.world.ag[0, :, ALIVE].any():
        raise UserError(f"level seed {level.seed} has no agents to play or watch (check the spawn groups)")
    hero = level.params.rules.hero_faction
    factions = sim.layout.factions
    player = sim.layout.offset(factions.index(hero)) if hero in factions else -1
    if player >= 0 and not sim.world.ag[0, player, ALIVE]:
        player = -1
    if spectate or replay_of is not None:
        player = -1
    viewer = player if player >= 0 else int(np.argmax(sim.world.ag[0, :, ALIVE]))
    colour_of = faction_colours(level)
    colours = tuple(hex_rgb(colour_of.get(name, "#ffffff")) for name in factions)
    recording.player = sim.agent_names[player] if player >= 0 else None
    session = Session(level, sim, recording, player, viewer, colours, replay_of=replay_of,
                      run_id=f"{level.seed}-{sim.seed}-{time.time_ns()}")
    kinds = agent_kinds(level.params, tuple(factions), sim.world.ag[0])
    session.names = numbered_names(kinds, sim.world.ag[0, :, PRESENT] != 0)
    session.facing = {slot: open_direction(sim, slot) for slot in range(sim.num_agents)
                      if sim.world.ag[0, slot, ALIVE]}
    session.tween.snap(session.targets(), 0.0)
    return session


def replay_session(rec: Recording) -> Session:
    """A session that plays back ``rec`` (camera on the recorded player, if any)."""
    sim = replay_sim(rec)
    session = build_session(rec.level, sim, Recording.start(sim, rec.level, rec.player, rec.controller),
                       spectate=True, replay_of=rec)
    if rec.player in sim.agent_names:
        session.viewer = sim.agent_names.index(rec.player)
        session.tween.snap(session.targets(), 0.0)
    if rec.turns == 0:
        session.outcome = "End of the recording."
    return session
