"""The game application: the pygame loop, key handling, turns, and the screens around them.

One :class:`App` owns the window and the current :class:`~game.ui.session.Session`
(one run on one level). Keys go through the table in :mod:`game.ui.controls`; the
player's commands become actions in :mod:`game.ui.player_input`; a turn is one step of a
one-world :class:`~game.batch.BatchedSim` in which the player's action (or, when
spectating, the NPC policy's) and every NPC's action are played together. Between
turns, :mod:`game.ui.animation` glides agents and the camera; every frame,
:mod:`game.ui.view_builder` builds the :class:`~game.ui.view_state.ViewState` the renderers draw.

Time: the app keeps its own clock (``App.now``), advanced by ``update(dt)``. Headless
runs pass a fixed ``dt``, so ``run(frames=N)`` is deterministic; no game logic reads
the wall clock (only recording file names do).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pygame

from game.state import ALIVE, FACTION, FLOOR
from game.ui import controls
from game.ui.controls import Command, Context
from game.ui.endscreen import end_prompt
from game.ui.examine import Examine
from game.ui.goals import goal_badge, goal_text, start_line
from game.ui.live_panel import LivePanel, LiveRetraining
from game.ui.loading import Loading
from game.ui.panel import Panel, PanelResult
from game.ui.player_input import PlayerInput
from game.ui.recording import Recording
from game.ui.render import draw_frame
from game.ui.render.notebox import draw_note_box
from game.ui.saved_game import LoadedGame, load_game, peek_state, save_game
from game.ui.session import Session, build_session, replay_session, start_session
from game.ui.view_builder import (
    visible_cells,
)
from game.ui.view_state import ViewMode
from levels.common.errors import UserError, write_failure
from levels.common.files import write_via_buffer
from levels.generate import generate
from levels.level import Level
from levels.params import LevelParams

DEFAULT_SIZE = (960, 600)
FPS = 60
LOG_PAGE = 5  # entries one PgUp/PgDn scrolls
#: Spectator speeds in turns per second (SPEEDS[DEFAULT_SPEED] at start).
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
DEFAULT_SPEED = 3
NOTE_SECONDS = 8.0  # how long the HUD shows the "NPCs updated" badge
SAVE_NAME = "save.mcsave"
VIEW_ORDER = (ViewMode.FIRST_PERSON, ViewMode.TOP_DOWN, ViewMode.ISOMETRIC)


def default_data_dir() -> Path:
    """Where saves and recordings go: ``$MINDCRAWL_HOME`` or ``~/.mindcrawl``."""
    return Path(os.environ.get("MINDCRAWL_HOME") or Path.home() / ".mindcrawl")


# ----------------------------------------------------------------------------- drawing


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


class App(PlayerInput):
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
        self.draw_frame = draw_frame
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
        # Imported here: the controllers bring torch, which the window should not wait for.
        from npc.controllers import load_controller, scripted_controller

        self.controller, note = (scripted_controller(), "") if options.replay is not None \
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
        session = build_session(loaded.recording.level, loaded.sim, loaded.recording, self.spectate)
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
