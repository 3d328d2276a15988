"""The game application: the pygame loop, key handling, turns, and the screens around them.

One :class:`App` owns the window and the current :class:`Session` (one run on one
level). Keys go through the table in :mod:`game.ui.controls`; a turn is one step of a
one-world :class:`~game.batch.BatchedSim` in which the player's action (or, when
spectating, the NPC policy's) and every NPC's action are played together. Between
turns, :mod:`game.ui.animation` glides agents and the camera; every frame,
:mod:`game.ui.viewstate` builds the :class:`~game.ui.view.ViewState` the renderers draw.

Time: the app keeps its own clock (``App.now``), advanced by ``update(dt)``. Headless
runs pass a fixed ``dt``, so ``run(frames=N)`` is deterministic; no game logic reads
the wall clock (only recording file names do).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pygame

from game.actions import (
    CORE_ACTIONS,
    DIRECTIONS,
    INTERACT,
    MOVE_FIRST,
    SHOOT_FIRST,
    USE_POTION,
    WAIT,
    action_name,
)
from game.batch import BatchedSim
from game.state import ALIVE, EQ_POTION, EQ_RANGED, FACTION, FLOOR, PRESENT, RULE_LAVA_DAMAGE, WAIT_LEFT, X, Y
from game.ui import controls
from game.ui.animation import Pose, Tween
from game.ui.combat import death_cause, turn_hits
from game.ui.controls import Command, Context
from game.ui.effects import HitEffects
from game.ui.endscreen import end_lines, end_prompt
from game.ui.examine import Examine
from game.ui.goals import goal_badge, goal_text, outcome_line, start_line, winner_note
from game.ui.live_panel import LivePanel, LiveRetraining
from game.ui.loading import Loading
from game.ui.messages import MessageLog
from game.ui.names import agent_kinds, numbered_names
from game.ui.panel import Panel, PanelResult
from game.ui.recording import Recording, new_sim, replay_sim
from game.ui.render.notebox import draw_note_box
from game.ui.saves import LoadedGame, load_game, peek_state, save_game
from game.ui.view import ViewMode, ViewState
from game.ui.viewstate import (
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
from levels.errors import UserError, write_failure
from levels.files import write_via_buffer
from levels.generate import generate
from levels.level import Level
from levels.params import LevelParams
from levels.render import faction_colours
from levels.tiles import WALKABLE, Tile

DEFAULT_SIZE = (960, 600)
FPS = 60
HUD_MESSAGES = 40  # log entries handed to the HUD (it shows the newest that fit)
LOG_PAGE = 5  # entries one PgUp/PgDn scrolls
#: Spectator speeds in turns per second (SPEEDS[DEFAULT_SPEED] at start).
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
DEFAULT_SPEED = 3
NOTE_SECONDS = 8.0  # how long the HUD shows the "NPCs updated" badge
DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[2] / "npc" / "checkpoints" / "default.safetensors"
SAVE_NAME = "save.mcsave"
VIEW_ORDER = (ViewMode.FIRST_PERSON, ViewMode.TOP_DOWN, ViewMode.ISOMETRIC)


def default_data_dir() -> Path:
    """Where saves and recordings go: ``$MINDCRAWL_HOME`` or ``~/.mindcrawl``."""
    return Path(os.environ.get("MINDCRAWL_HOME") or Path.home() / ".mindcrawl")


# ----------------------------------------------------------------------------- NPC control


class NpcController(Protocol):
    """Chooses every agent's action from the batched observations of a one-world sim."""

    name: str
    num_actions: int

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Actions ``[A]`` for world 0 of ``obs``."""
        ...

    def reseed(self, seed: int) -> None:
        """Restart the controller's random draws from ``seed``."""
        ...

    def get_state(self) -> str:
        """The random state as text (for game saves)."""
        ...

    # Optional: ``planned_paths(floor) -> dict[slot, list[(y, x)]]`` for controllers that
    # plan routes (the navigator); spectators see them on the minimap.

    def set_state(self, state: str) -> None:
        """Restore :meth:`get_state`'s result."""
        ...


class ScriptedController:
    """The scripted NPC of :mod:`npc.scripted` (deterministic: no random state)."""

    num_actions = CORE_ACTIONS

    def __init__(self, name: str = "scripted NPC") -> None:
        from npc.scripted import ScriptedPolicy

        self.name = name
        self._policy = ScriptedPolicy()

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Scripted actions for every agent of world 0."""
        return self._policy({key: value[0] for key, value in obs.items()})

    def reseed(self, seed: int) -> None:
        """Nothing to reseed."""

    def get_state(self) -> str:
        """No random state."""
        return ""

    def set_state(self, state: str) -> None:
        """No random state."""


class LearnedController:
    """A policy checkpoint (:mod:`npc.checkpoint`), sampling with a seeded torch generator."""

    def __init__(self, path: Path) -> None:
        import torch

        from npc.checkpoint import load_checkpoint
        from npc.policy import SeededSampler

        # One intra-op thread: the renderer and the simulation share the two cores, and a
        # second torch thread made a 16-agent forward ~100x slower here (1 ms -> 80-130 ms).
        torch.set_num_threads(1)
        self._net, meta = load_checkpoint(path)
        self.num_actions = int(meta["num_actions"])
        self.name = f"{meta['arch']} policy ({path.name})"
        self._sampler = SeededSampler()

    @property
    def net(self) -> object:
        """The policy network (live retraining trains a copy of it)."""
        return self._net

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Sampled (masked) actions for every agent of world 0."""
        from npc.policy import OBS_KEYS

        flat = {key: np.ascontiguousarray(obs[key][0]) for key in OBS_KEYS}
        return self._net.act(flat, deterministic=False, generator=self._sampler.generator).actions.numpy()

    def reseed(self, seed: int) -> None:
        """Restart the sampling from ``seed``."""
        self._sampler.reseed(seed)

    def get_state(self) -> str:
        """The sampling generator's state, as text."""
        return self._sampler.get_state()

    def set_state(self, state: str) -> None:
        """Restore a state from :meth:`get_state`."""
        self._sampler.set_state(state)


SCRIPTED = "scripted"  # --checkpoint scripted: the scripted NPC instead of a learned policy


def load_controller(checkpoint: Path | str | None) -> tuple[NpcController, str]:
    """The NPC controller and a line for the log.

    ``"scripted"`` asks for the scripted NPC; another explicit ``checkpoint`` must load
    (errors are UserErrors); without one the shipped default is used when present,
    else the scripted NPC.
    """
    if checkpoint is not None and str(checkpoint) == SCRIPTED:
        return ScriptedController(), "NPCs: scripted"
    if checkpoint is not None:
        controller = LearnedController(Path(checkpoint))
        return controller, f"NPCs: {controller.name}"
    if DEFAULT_CHECKPOINT.exists():
        try:
            controller = LearnedController(DEFAULT_CHECKPOINT)
            return controller, f"NPCs: {controller.name}"
        except UserError as exc:
            return ScriptedController(), f"NPCs: scripted (the shipped checkpoint did not load: {exc})"
    return ScriptedController(), "NPCs: scripted (no trained checkpoint shipped yet)"


# ----------------------------------------------------------------------------- one run


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
    return _session(level, sim, Recording.start(sim, level, None, controller.name), spectate)


def _session(level: Level, sim: BatchedSim, recording: Recording, spectate: bool,
             replay_of: Recording | None = None) -> Session:
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
    session = _session(rec.level, sim, Recording.start(sim, rec.level, rec.player, rec.controller),
                       spectate=True, replay_of=rec)
    if rec.player in sim.agent_names:
        session.viewer = sim.agent_names.index(rec.player)
        session.tween.snap(session.targets(), 0.0)
    if rec.turns == 0:
        session.outcome = "End of the recording."
    return session


# ----------------------------------------------------------------------------- drawing


class DrawFrame(Protocol):
    """The renderers' entry point: ``draw_frame(surface, view, mode, text=..., help_keys=...)``."""

    def __call__(self, surface: pygame.Surface, view: ViewState, mode: ViewMode, *, text: bool = True,
                 help_keys: Sequence[tuple[str, str]] | None = None) -> object:
        """Draw one whole frame."""
        ...


def _placeholder_draw(surface: pygame.Surface, view: ViewState, mode: ViewMode, *, text: bool = True,
                      help_keys: Sequence[tuple[str, str]] | None = None) -> None:
    """A plain top-down picture, used when the renderers of game/ui/render/ are missing."""
    del mode
    surface.fill((0, 0, 0))
    h, w = view.tiles.shape
    cell = max(2, min(surface.get_width() // w, surface.get_height() // h))
    colours = {Tile.WALL: (70, 70, 80), Tile.FLOOR: (150, 140, 120), Tile.DOOR_OPEN: (170, 120, 60),
               Tile.DOOR_CLOSED: (120, 70, 30), Tile.DOOR_LOCKED: (90, 40, 20),
               Tile.STAIRS_DOWN: (230, 230, 230), Tile.STAIRS_UP: (190, 190, 255),
               Tile.WATER: (60, 110, 200), Tile.LAVA: (220, 80, 20), Tile.EXIT: (60, 200, 90)}
    for y, x in zip(*np.nonzero(view.explored), strict=True):
        colour = colours[Tile(int(view.tiles[y, x]))]
        if not view.visible[y, x]:
            colour = tuple(c // 2 for c in colour)
        surface.fill(colour, (x * cell, y * cell, cell, cell))
    for sprite in view.sprites:
        centre = (int((sprite.x + 0.5) * cell), int((sprite.y + 0.5) * cell))
        radius = max(1, cell // 2 - 1) if sprite.kind == "agent" else max(1, cell // 4)
        colour = sprite.colour if sprite.kind == "agent" else (255, 215, 0)
        pygame.draw.circle(surface, colour, centre, radius)
    cy, cx = (view.camera_y + 0.5) * cell, (view.camera_x + 0.5) * cell
    tip = (cx + np.cos(view.facing) * cell, cy + np.sin(view.facing) * cell)
    pygame.draw.line(surface, (255, 255, 255), (cx, cy), tip, 2)
    if help_keys is not None and text:
        _draw_text_box(surface, pygame.font.Font(None, 22), "Keys (F1 closes)", help_keys)


def renderer() -> DrawFrame:
    """``draw_frame`` of game/ui/render/ when it is there, else a placeholder."""
    try:
        from game.ui.render import draw_frame
    except ImportError:
        return _placeholder_draw
    return draw_frame


def _draw_text_box(surface: pygame.Surface, font: pygame.font.Font, title: str,
                   rows: Sequence[tuple[str, str]] | Sequence[str], text: bool = True) -> None:
    """A dimmed overlay with a title and rows of text (or key / description pairs)."""
    shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    shade.fill((0, 0, 0, 190))
    surface.blit(shade, (0, 0))
    if not text:
        return
    y = 24
    surface.blit(font.render(title, True, (255, 230, 150)), (32, y))
    y += font.get_linesize() * 2
    for row in rows:
        if isinstance(row, tuple):
            surface.blit(font.render(row[0], True, (150, 220, 255)), (32, y))
            surface.blit(font.render(row[1], True, (230, 230, 230)), (260, y))
        else:
            surface.blit(font.render(row, True, (230, 230, 230)), (32, y))
        y += font.get_linesize()


# ----------------------------------------------------------------------------- the app


@dataclass
class GameOptions:
    """How the game starts (what ``main.py play`` parses)."""

    params: LevelParams
    seed: int = 0
    checkpoint: Path | str | None = None  # a file, "scripted", or None for the shipped default
    view: ViewMode = ViewMode.FIRST_PERSON
    spectate: bool = False
    data_dir: Path = field(default_factory=default_data_dir)
    size: tuple[int, int] = DEFAULT_SIZE
    load: bool = False  # continue the saved game
    replay: Recording | None = None  # play this recording back instead
    level: Level | None = None  # play this level instead of generating one from params and seed
    turn_degrees: int = 90  # what Q/E turn: 90 (grid-crawler turns) or 45


class App:
    """The game: a window (or an off-screen surface), the current run and the screens on top.

    Drive it with :meth:`handle_key` (what key events call) and :meth:`update`, draw it
    with :meth:`draw`, or let :meth:`run` do all three in a loop.
    """

    def __init__(self, options: GameOptions, surface: pygame.Surface | None = None) -> None:
        pygame.display.init()  # no pygame.init(): the game has no sound, so no audio device
        pygame.font.init()
        self.options = options
        self.screen = surface if surface is not None else pygame.display.set_mode(options.size)
        pygame.display.set_caption("Mindcrawl")
        self.font = pygame.font.Font(None, 22)
        self.draw_frame = renderer()
        self.text = True  # False leaves every text out of frames (pixel tests)
        self.now = 0.0
        self.mode = options.view
        self.help_open = False
        self.panel: Panel | None = None
        self.live = LiveRetraining(options.data_dir, options.params)
        self.live_panel: LivePanel | None = None
        self.omniscient = False
        self.paused = False
        self.examine: Examine | None = None  # the look box (X), when open
        self.big_map = False  # the large automap (M)
        self.confirm_quit = False  # Esc was pressed once: Y or Esc again quits
        self.hazard_ok: tuple[int, int, int, int] | None = None  # (turn, floor, y, x) the player chose to enter
        self.npc_note: tuple[float, str] = (-1e9, "")  # when NPC weights last changed, and the badge
        self.speed = DEFAULT_SPEED
        self._since_step = 0.0
        self.running = True
        self.spectate = options.spectate or options.replay is not None
        # In a window, each slow start-up step shows what it is doing (game.ui.loading).
        loading = Loading(self.screen if surface is None else None, self.font)
        # A replay takes every action from the recording: no policy to load.
        self.controller, note = (ScriptedController(), "") if options.replay is not None \
            else loading.run_step("Loading the NPC policy", lambda: load_controller(options.checkpoint))
        self.params = options.params
        if options.replay is not None:
            self.session = loading.run_step("Compiling the simulation if not cached",
                                            lambda: replay_session(options.replay))
            self.session.log.append(f"Replaying {options.replay.turns} turns (recorded with "
                                    f"{options.replay.controller or 'unknown NPCs'}).")
            self._say_goal()
        else:
            level = options.level if options.level is not None else \
                loading.run_step("Generating the level", lambda: generate(options.params, options.seed))
            self.session = loading.run_step("Compiling the simulation if not cached",
                                            lambda: start_session(level, options.seed, self.controller,
                                                                  self.spectate))
            self.session.log.append(note)
            self._say_goal()
        if options.load:
            self.load()
        if loading.screen is not None:
            loading.run_step("Compiling the renderer if not cached", self._warm_renderer)

    def _warm_renderer(self) -> None:
        """Draw one frame off-screen in every view (numba compiles or loads the renderer's kernels)."""
        surface = pygame.Surface(self.screen.get_size())
        mode, text = self.mode, self.text
        self.text = False  # no fonts off the main thread (it draws the loading screen meanwhile)
        for self.mode in VIEW_ORDER:
            self.draw(surface)
        self.mode, self.text = mode, text

    def _say_goal(self) -> None:
        """The run's goal and the first keys, at the start of every run."""
        session = self.session
        if session.player >= 0:
            self._say(start_line(session.sim, session.player_faction()))
        else:
            goals = session.sim.goals()
            self._say("Goals: " + "; ".join(f"{name} {goal_text(session.sim.params, goal)}"
                                            for name, goal in goals.items())
                      + f"; {session.sim.max_turns} turns.")
        self._say("F1: help. " + ("Space: pause, N: next agent." if self.spectate
                                  else "W/A/S/D move, Q/E turn, F attacks, X looks."))

    # ------------------------------------------------------------------ paths

    @property
    def save_path(self) -> Path:
        """The one save slot."""
        return self.options.data_dir / SAVE_NAME

    def recording_path(self) -> Path:
        """Where the current run's recording goes."""
        stamp = self.session.run_id.rsplit("-", 1)[-1]
        return self.options.data_dir / "recordings" / f"run-{self.session.level.seed}-{stamp}.json"

    # ------------------------------------------------------------------ input

    def context(self) -> Context:
        """Where key presses go now."""
        if self.panel is not None:
            return Context.PANEL
        if self.live_panel is not None:
            return Context.LIVE
        if self.session.finished:
            return Context.SUMMARY
        return Context.SPECTATE if self.spectate else Context.PLAY

    def handle_key(self, key: int, mod: int = 0, text: str = "") -> None:
        """React to one key press (the same path real and scripted key events take)."""
        if self.panel is not None and self.panel.editing:
            self.panel.type_key(key, text)
            return
        context = self.context()
        command = controls.command_for(key, context, bool(mod & pygame.KMOD_CTRL))
        if context is Context.LIVE and command is None:
            # The live panel leaves the game playable: keys it does not use play as usual.
            context = Context.SPECTATE if self.spectate else Context.PLAY
            command = controls.command_for(key, context, bool(mod & pygame.KMOD_CTRL))
            if command in (Command.QUIT, Command.SAVE, Command.LOAD, Command.PANEL):
                return
        if self.help_open:
            if command is Command.HELP or key == pygame.K_ESCAPE:
                self.help_open = False
            return
        if self.confirm_quit:
            self.confirm_quit = False
            if key in (pygame.K_y, pygame.K_ESCAPE):
                self.quit()
            else:
                self._say("Quit cancelled.")
            return
        if self.examine is not None and command is not Command.EXAMINE:
            self.examine = None  # any other key closes the look box (and acts)
            if key == pygame.K_ESCAPE:
                return
        if command is None:
            return
        if command is Command.HELP:
            self.help_open = True
        elif command is Command.PANEL:
            self.toggle_panel()
        elif command is Command.LIVE_PANEL:
            self.toggle_live_panel()
        elif context is Context.PANEL:
            self._panel_command(command)
        elif context is Context.LIVE:
            self._live_command(command)
        elif command is Command.TOGGLE_VIEW:
            self.mode = VIEW_ORDER[(VIEW_ORDER.index(self.mode) + 1) % len(VIEW_ORDER)]
        elif command is Command.QUIT:
            self.confirm_quit = True
        elif command is Command.EXAMINE:
            self._examine()
        elif command is Command.BIG_MAP:
            self.big_map = not self.big_map
        elif command in (Command.LOG_OLDER, Command.LOG_NEWER):
            self.session.log.page(LOG_PAGE, 1 if command is Command.LOG_OLDER else -1)
        elif command is Command.SAVE:
            self.save()
        elif command is Command.LOAD:
            self.load()
        elif command is Command.NEW_RUN and self.session.replay_of is not None:
            self.session = replay_session(self.session.replay_of)  # watch the recording again
        elif command is Command.NEW_RUN:
            seed = self.session.level.seed + 1
            try:
                self.new_run(generate(self.params, seed), seed)
            except UserError as exc:
                self._say(str(exc))
        elif context is Context.SPECTATE:
            self._spectate_command(command)
        elif context is Context.PLAY:
            self._play_command(command)

    def _say(self, line: str) -> None:
        self.session.log.append(line)

    def _examine(self) -> None:
        """X: open the look box on the nearest thing in view, or show the next one."""
        s = self.session
        if self.examine is None:
            self.examine = Examine.of(s.sim.world, s.viewer, visible_cells(s.sim.world, s.sim.config, s.viewer))
        else:
            self.examine.next()

    def _play_command(self, command: Command) -> None:
        s = self.session
        facing = s.facing[s.player]
        if command in (Command.TURN_LEFT, Command.TURN_RIGHT):
            sign = 1 if command is Command.TURN_RIGHT else -1
            # 90-degree turns keep to the four grid directions (from a diagonal, the next one).
            step = 2 if self.options.turn_degrees == 90 and facing % 2 == 0 else 1
            s.facing[s.player] = (facing + sign * step) % 8
            s.tween.retarget(s.targets(), self.now)
            return
        if s.sim.world.ag[0, s.player, WAIT_LEFT] > 0:
            self._say("You wade through the water.")  # forced to wait: any action passes the turn
            self.take_turn(WAIT)
            return
        offsets = {Command.FORWARD: 0, Command.BACK: 4, Command.STRAFE_LEFT: -2, Command.STRAFE_RIGHT: 2}
        if command in offsets:
            self._player_move((facing + offsets[command]) % 8)
        elif command is Command.FIRE:
            self._player_fire(facing)
        elif command is Command.DRINK:
            self._player_act(USE_POTION, "You carry no potion.")
        elif command is Command.INTERACT:
            self._player_act(INTERACT, "Nothing to open, close or climb here.")
        elif command is Command.WAIT:
            self._player_act(WAIT, "")

    def _player_move(self, direction: int) -> None:
        s = self.session
        action = MOVE_FIRST + direction
        if s.legal(action):
            if not self._hazard_confirmed(direction):
                return
            self.take_turn(action)
            self._stairs_hint()
            return
        self._say(blocked_reason(s.sim, s.player, direction))

    def _hazard_confirmed(self, direction: int) -> bool:
        """Stepping into lava from a safe cell asks first: the same step again goes ahead."""
        s = self.session
        world = s.sim.world
        ag = world.ag[0, s.player]
        y, x = int(ag[Y] + DIRECTIONS[direction][0]), int(ag[X] + DIRECTIONS[direction][1])
        floor = int(ag[FLOOR])
        tiles = world.tiles[0, floor]
        if tiles[y, x] != Tile.LAVA or tiles[ag[Y], ag[X]] == Tile.LAVA or world.occ[0, floor, y, x] >= 0:
            return True
        target = (s.turn, floor, y, x)
        if self.hazard_ok == target:
            self.hazard_ok = None
            return True
        self.hazard_ok = target
        burn = int(s.sim.config.rules[RULE_LAVA_DAMAGE])
        self._say(f"Lava ahead: it burns {burn} HP each turn you end on it. The same step again walks in.")
        return False

    def _stairs_hint(self) -> None:
        """Tell a player who steps onto stairs how to use them."""
        s = self.session
        if s.finished or not s.alive(s.player):
            return
        ag = s.sim.world.ag[0, s.player]
        tile = s.sim.world.tiles[0, ag[FLOOR], ag[Y], ag[X]]
        if tile == Tile.STAIRS_DOWN:
            self._say("Stairs down: Space descends.")
        elif tile == Tile.STAIRS_UP:
            self._say("Stairs up: Space climbs.")

    def _player_fire(self, facing: int) -> None:
        """F: shoot (auto-aimed, facing first), else strike an adjacent enemy (also diagonal ones)."""
        s = self.session
        order = [facing] + [d for d in range(8) if d != facing]
        if s.sim.world.ag[0, s.player, EQ_RANGED] >= 0:
            for d in order:
                if s.legal(SHOOT_FIRST + d):
                    self._face_target(d)
                    self.take_turn(SHOOT_FIRST + d)
                    return
        world = s.sim.world
        me = world.ag[0, s.player]
        for d in order:
            y, x = int(me[Y] + DIRECTIONS[d][0]), int(me[X] + DIRECTIONS[d][1])
            other = int(world.occ[0, me[FLOOR], y, x]) if 0 <= y < world.occ.shape[2] and \
                0 <= x < world.occ.shape[3] else -1
            if other >= 0 and world.ag[0, other, FACTION] != me[FACTION] and s.legal(MOVE_FIRST + d):
                self._face_target(d)
                self.take_turn(MOVE_FIRST + d)
                return
        if s.sim.world.ag[0, s.player, EQ_RANGED] < 0:
            self._say("No enemy next to you, and you have no bow.")
        else:
            self._say("No enemy in a straight line within reach (2 or more cells away), nor next to you.")

    def _face_target(self, direction: int) -> None:
        """Turn towards an auto-aimed target; with 90-degree turns only to a grid direction."""
        if self.options.turn_degrees != 90 or direction % 2 == 0:
            self.session.facing[self.session.player] = direction

    def _player_act(self, action: int, refusal: str) -> None:
        s = self.session
        if action == USE_POTION and s.sim.world.ag[0, s.player, EQ_POTION] < 0:
            self._say(refusal)
        elif s.legal(action):
            self.take_turn(action)
        else:
            self._say(refusal)

    def take_turn(self, player_action: int | None = None) -> None:
        """Play one turn: the player's action (if any) and everyone else's from the controller."""
        s = self.session
        if s.finished:
            return
        if s.replay_of is not None:
            actions = np.asarray(s.replay_of.actions[s.turn], dtype=np.int64)
        else:
            self.live.before_turn(s.sim, s.player)
            actions = np.asarray(self.controller(s.sim.observations()), dtype=np.int64).copy()
            if s.player >= 0 and player_action is not None:
                actions[s.player] = player_action
        note = self.live.swap_note(self.controller)
        if note:
            self._say(note)
            self.npc_note = (self.now, note)
        alive_before = s.sim.world.ag[0, :, ALIVE] != 0
        s.play(actions, self.now)
        if s.replay_of is None:
            self.live.after_turn(s.sim, alive_before)
        if s.replay_of is not None and s.recording.checksums[-1] != s.replay_of.checksums[s.turn - 1]:
            s.outcome = f"The replay diverged from the recording at turn {s.turn}."
        if s.finished:
            self._end_run()

    def _spectate_command(self, command: Command) -> None:
        s = self.session
        if command is Command.PAUSE:
            self.paused = not self.paused
        elif command is Command.STEP:
            self.take_turn()
        elif command is Command.FASTER:
            self.speed = min(self.speed + 1, len(SPEEDS) - 1)
        elif command is Command.SLOWER:
            self.speed = max(self.speed - 1, 0)
        elif command in (Command.NEXT_AGENT, Command.PREV_AGENT):
            s.follow(1 if command is Command.NEXT_AGENT else -1)
        elif command is Command.OMNISCIENT:
            self.omniscient = not self.omniscient

    # ------------------------------------------------------------------ runs, saves, panel

    def _end_run(self) -> None:
        s = self.session
        self._say(f"{s.outcome[:-1]}: {s.death[:1].lower()}{s.death[1:]}." if s.death else s.outcome)
        if s.replay_of is None:
            path = self.recording_path()
            try:
                s.recording.save(path)
                self._say(f"Recording: {path}")
            except UserError as exc:
                self._say(f"Could not write the recording: {write_failure(exc)}.")
        dead = s.player >= 0 and not s.alive(s.player)
        if dead and self.save_path.exists() and peek_state(self.save_path).get("run_id") == s.run_id:
            self.save_path.unlink()  # permadeath: the dead hero's save goes too

    def new_run(self, level: Level, seed: int) -> None:
        """Start a new run on ``level`` (keeps the view, panel closed)."""
        self._keep_recording()
        self.examine = None  # it pointed into the old run
        self.session = start_session(level, seed, self.controller, self.spectate)
        if level.params != self.params:
            self.live.set_params(level.params)
        self.params = level.params
        self._say(f"A new run: level seed {level.seed}.")
        self._say_goal()

    def save(self) -> bool:
        """Save the game in progress to the save slot; False (with a log line) if it was not saved."""
        s = self.session
        if s.finished or s.replay_of is not None:
            self._say("Nothing to save.")
            return False
        state = {"run_id": s.run_id, "player": s.player, "viewer": s.viewer,
                 "facing": {str(k): v for k, v in s.facing.items()}, "log": list(s.log)[-50:],
                 "view": self.mode.value, "spectate": self.spectate,
                 "controller": self.controller.name, "controller_state": self.controller.get_state()}
        try:
            save_game(self.save_path, s.sim, state, s.recording)
        except UserError as exc:  # disk full, read-only, ...: the game goes on
            self._say(f"Could not save: {write_failure(exc)}; the previous save is kept.")
            return False
        self._say(f"Game saved (turn {s.turn}).")
        return True

    def load(self) -> None:
        """Continue the saved game."""
        try:
            loaded = load_game(self.save_path)
        except UserError as exc:
            self._say(str(exc))
            return
        self._keep_recording()
        self.examine = None
        self.session = self._restore(loaded)
        self._say(f"Game loaded (turn {self.session.turn}).")

    def _restore(self, loaded: LoadedGame) -> Session:
        state = loaded.state
        self.spectate = bool(state.get("spectate", False))
        session = _session(loaded.recording.level, loaded.sim, loaded.recording, self.spectate)
        session.run_id = str(state.get("run_id", session.run_id))
        session.viewer = int(state.get("viewer", session.viewer))
        session.facing.update({int(k): int(v) for k, v in state.get("facing", {}).items()})
        session.log.extend(state.get("log", []))
        if state.get("controller") == self.controller.name:
            self.controller.set_state(state.get("controller_state", ""))
        self.mode = ViewMode(state.get("view", self.mode.value))
        session.tween.snap(session.targets(), self.now)
        return session

    def quit(self) -> None:
        """Leave the game; a game in progress is saved first and its recording kept."""
        s = self.session
        if not s.finished and s.replay_of is None and not self.spectate and not self.save() \
                and not getattr(self, "_quit_unsaved", False):
            self._quit_unsaved = True  # the save failed: stay; quitting again leaves without it
            self._say("The game goes on: quit again to leave without saving.")
            return
        self._keep_recording()
        self.live.close()
        self.running = False

    def _keep_recording(self) -> None:
        """Write the recording of a run being left unfinished (finished runs wrote theirs)."""
        s = self.session
        if s.turn and s.replay_of is None and not s.finished:
            try:
                s.recording.save(self.recording_path())
            except UserError as exc:
                self._say(f"Could not write the recording: {write_failure(exc)}.")

    def toggle_panel(self) -> None:
        """Open or close the designer panel."""
        if self.panel is None:
            self.panel = Panel(self.params, self.session.level.seed, self.options.data_dir,
                               on_change=self.live.set_params)
        else:
            self.panel = None

    def toggle_live_panel(self) -> None:
        """Open or close the live-retraining panel (the game goes on underneath)."""
        if self.live_panel is None:
            self.controller = self.live.adopt(self.controller)
            self.live_panel = LivePanel(self.live)
        else:
            self.live_panel = None

    def start_live(self) -> bool:
        """Start live retraining (what Enter in the F5 panel does); False when the NPCs cannot learn."""
        self.controller = self.live.adopt(self.controller)
        self.live.start()
        return self.live.active

    def _live_command(self, command: Command) -> None:
        assert self.live_panel is not None
        if command is Command.QUIT:
            self.live_panel = None
            return
        self.live_panel.handle(command)

    def close(self) -> None:
        """Release what outlives a frame: the learner process and its shared memory."""
        self.live.close()

    def _panel_command(self, command: Command) -> None:
        assert self.panel is not None
        if command is Command.QUIT:
            self.panel = None
            return
        result: PanelResult | None = self.panel.handle(command)
        if result is not None:
            self.panel = None
            self.new_run(result.level, result.level.seed)

    # ------------------------------------------------------------------ time and drawing

    def update(self, dt: float) -> None:
        """Advance the app clock by ``dt`` seconds (spectators' turns happen here)."""
        self.now += dt
        self.live.poll()
        if not self.spectate or self.paused or self.panel is not None or self.session.finished:
            self._since_step = 0.0
            return
        self._since_step += dt
        interval = 1.0 / SPEEDS[self.speed]
        if self._since_step >= interval - 1e-9:  # tolerate float sums of fixed steps
            self._since_step -= interval
            self.take_turn()

    def title(self) -> str:
        """The HUD title line."""
        s = self.session
        if s.replay_of is not None or self.spectate:
            what = "replay" if s.replay_of is not None else "watch"
            state = "paused" if self.paused else f"{SPEEDS[self.speed]:g}/s"
            return f"{what} {s.sim.agent_names[s.viewer]} {state}"
        edited = " (edited)" if self.params != self.options.params else ""
        return f"{self.params.name}{edited} - seed {s.level.seed}"

    def planned_paths(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Spectators see the routes of NPCs whose controller plans them (none otherwise)."""
        planner = getattr(self.controller, "planned_paths", None)
        if planner is None or self.session.player >= 0:
            return ()
        floor = int(self.session.sim.world.ag[0, self.session.viewer, FLOOR])
        return tuple(tuple((int(y), int(x)) for y, x in path) for path in planner(floor).values())

    def draw(self, surface: pygame.Surface | None = None) -> None:
        """Draw the frame: the view, then the panel, summary or help on top."""
        surface = surface if surface is not None else self.screen
        s = self.session
        tags = {slot: self.live.tag(slot) for slot in range(s.sim.num_agents)} if self.live.active else None
        marks = None
        if self.examine is not None and self.examine.current and self.examine.current[0] == "agent":
            marks = {self.examine.current[1]: "<look>"}
        view = s.view(self.now, self.omniscient and self.spectate, self.title(), self.planned_paths(), tags,
                      status=self.status_lines(), big_map=self.big_map, marks=marks)
        help_keys = controls.help_lines(self.context()) if self.help_open else None
        overlay = self.panel is not None or self.live_panel is not None or s.finished
        self.draw_frame(surface, view, self.mode, text=self.text, help_keys=None if overlay else help_keys)
        if self.panel is not None:
            self.panel.draw(surface, self.font, self.text)
        elif self.live_panel is not None:
            self.live_panel.draw(surface, self.font, self.text)
        elif s.finished:
            can_load = self.save_path.exists() and s.replay_of is None
            rows = s.summary() + ["", end_prompt(s.level.seed + 1, can_load, s.replay_of is not None)]
            _draw_text_box(surface, self.font, "The run is over", rows, self.text)
        elif self.examine is not None:
            title, lines = self.examine.describe(s.sim, s.viewer, s.names)
            count = len(self.examine.targets)
            more = f"X: next of {count} in view, any other key closes" if count > 1 else "Any key closes"
            draw_note_box(surface, self.font, title, lines + [more], self.text)
        if self.confirm_quit:
            saved = "" if s.finished or s.replay_of is not None or self.spectate else " The game is saved first."
            draw_note_box(surface, self.font, "Quit Mindcrawl?",
                          [f"Y or Esc: quit.{saved}", "Any other key: keep playing."], self.text)
        if overlay and help_keys is not None:
            _draw_text_box(surface, self.font, "Keys (F1 or Esc closes)", help_keys, self.text)

    def status_lines(self) -> tuple[str, ...]:
        """HUD badges: a recent NPC weight swap (more can be added, e.g. a goal with its turns left)."""
        when, note = self.npc_note
        session = self.session
        watched = session.player if session.player >= 0 else session.viewer
        faction = session.sim.layout.factions[int(session.sim.world.ag[0, watched, FACTION])]
        goal = () if session.finished else goal_badge(session.sim, faction, watched)
        return goal + ((note,) if note and self.now - when < NOTE_SECONDS else ())

    def run(self, frames: int | None = None, headless: bool = False, script: Sequence[int] = (),
            script_every: int = 12) -> int:
        """The main loop; ``frames`` limits it (headless runs use a fixed 1/FPS clock).

        ``script`` keys are pressed one every ``script_every`` frames (demos and tests).
        Returns the number of frames drawn.
        """
        clock = pygame.time.Clock()
        if not headless:
            pygame.key.set_repeat(300, 120)  # hold a key to keep walking
        drawn = 0
        pending = list(script)
        while self.running and (frames is None or drawn < frames):
            if pending and drawn % script_every == script_every - 1:
                self.handle_key(pending.pop(0))
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    self.quit()
                elif event.type == pygame.KEYDOWN:
                    self.handle_key(event.key, event.mod, event.unicode)
            dt = 1.0 / FPS if headless else clock.tick(FPS) / 1000.0
            self.update(dt)
            self.draw()
            if not headless:
                pygame.display.flip()
            drawn += 1
        return drawn


def screenshot(app: App, path: str | Path) -> None:
    """Write the current frame as a PNG."""
    surface = pygame.Surface(app.screen.get_size())
    app.draw(surface)
    write_via_buffer(path, lambda buffer: pygame.image.save(surface, buffer, "frame.png"))
