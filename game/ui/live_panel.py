"""Live retraining in the game (F5): the learner's controls, its curve, snapshots, and who learns.

:class:`LiveRetraining` is the app's side of :mod:`training.live`: it owns the
:class:`~training.live.client.LearnerClient`, turns the game's learned NPC controller
into a :class:`~training.live.controller.LiveController` when the learner first starts
(the scripted NPC cannot learn), forwards parameter changes, and stops the learner when
the game quits. :class:`LivePanel` draws it and maps panel commands to it.
"""

from __future__ import annotations

import atexit
import math
from pathlib import Path
from typing import Any

import pygame

from game.ui.controls import Command
from game.ui.render.notebox import wrap
from game.ui.render.screen_layout import layout_for
from levels.params import LevelParams
from training.live.client import LearnerClient
from training.live.controller import LiveController, factions_for

CURVE_POINTS = 200
SMOOTH = 0.15  # weight of the newest point in the curve's exponential moving average


def fmt(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, or a dash when there is none yet (never "nan")."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def smoothed(values: list[float], weight: float = SMOOTH) -> list[float]:
    """Exponential moving average of ``values``, skipping NaNs (NaN until the first number)."""
    out, mean = [], math.nan
    for v in values:
        if math.isfinite(v):
            mean = v if not math.isfinite(mean) else mean + weight * (v - mean)
        out.append(mean)
    return out


def latest_win_rate(curve: list[Any], version: int | None = None) -> float:
    """The newest finite win rate of ``curve`` (of ``version`` or older when given), else NaN."""
    for point in reversed(curve):
        if (version is None or point.version <= version) and math.isfinite(point.win_rate):
            return point.win_rate
    return math.nan


class LiveRetraining:
    """The learner as the game sees it (see the module docstring)."""

    def __init__(self, data_dir: Path, params: LevelParams) -> None:
        self.data_dir = Path(data_dir)
        self.params = params
        self.client: LearnerClient | None = None
        self.controller: LiveController | None = None
        self.choice = "all"  # which NPCs learn: "all", "none" or a faction name
        self.learner_options: dict[str, Any] = {}  # LearnerClient keywords (sizes, seed, rate)
        self.message = "Enter starts live retraining of the NPCs."
        self.seen_version: int | None = None  # the weight version the last swap note named

    # ------------------------------------------------------------------ the controller

    def adopt(self, controller: Any) -> Any:
        """The controller the game should use: a live one wrapping a learned policy's network.

        A controller without a network (the scripted NPC) is returned unchanged.
        """
        if isinstance(controller, LiveController):
            return controller
        net = getattr(controller, "net", None)
        if net is None:
            return controller
        live = LiveController(net, controller.name)
        live.set_state(controller.get_state())
        self.controller = live
        return live

    @property
    def active(self) -> bool:
        """Whether a learner was started (it may have crashed or stopped since)."""
        return self.client is not None

    def factions(self) -> tuple[str, ...]:
        """The level's factions."""
        return tuple(self.params.factions)

    def learners(self) -> tuple[str, ...]:
        """The factions that learn for the current choice."""
        return factions_for(self.choice, self.factions(), self.params.rules.hero_faction)

    # ------------------------------------------------------------------ commands

    def start(self) -> None:
        """Start the learner (restart it after a crash or stop)."""
        if self.controller is None:
            self.message = "Live retraining needs a learned policy (play with a checkpoint, not --checkpoint scripted)."
            return
        if self.client is None:
            self.client = LearnerClient(self.controller.live, self.params, self.learners(),
                                        version=self.controller.version, **self.learner_options)
            self.controller.client = self.client
            atexit.register(self.close)  # no learner or shared memory outlives the game
            self.client.start()
            self.message = "Starting the learner..."
        elif self.client.alive:
            self.message = "The learner is running."
        else:
            self.client.restart()
            self.message = "Restarting the learner from the last good weights..."

    def toggle_pause(self) -> None:
        """Pause a running learner or resume a paused one."""
        if self.client is None or not self.client.alive:
            self.message = "The learner is not running (Enter starts it)."
            return
        if self.client.state == "paused":
            self.client.resume()
            self.message = "Resumed."
        else:
            self.client.pause()
            self.message = "Paused."

    def cycle_learners(self) -> None:
        """Next choice of who learns: all NPCs, each faction, none."""
        hero = self.params.rules.hero_faction
        choices = ["all", *[f for f in self.factions() if f != hero], "none"]
        self.choice = choices[(choices.index(self.choice) + 1) % len(choices)] if self.choice in choices else "all"
        if self.client is not None:
            self.client.set_learners(self.learners())
        self.message = f"Learning: {', '.join(self.learners()) or 'no NPC'}."

    def set_params(self, params: LevelParams) -> None:
        """The designer changed the level parameters: train on them from now on."""
        self.params = params
        if self.choice not in ("all", "none") and self.choice not in params.factions:
            self.choice = "all"
        if self.client is not None:
            self.client.set_params(params)
            self.client.set_learners(self.learners())
            self.message = "Parameters sent to the learner (older data is dropped)."

    def snapshot(self) -> None:
        """Ask for a snapshot of the current weights."""
        if self.client is not None:
            self.client.snapshot()

    def revert(self, snapshot_id: int) -> None:
        """Publish a snapshot's weights as a new version."""
        if self.client is not None:
            self.client.revert(snapshot_id)
            self.message = f"Reverting to snapshot {snapshot_id}..."

    def save(self, snapshot_id: int) -> Path | None:
        """Ask the learner to write snapshot ``snapshot_id`` as a checkpoint; returns the path."""
        if self.client is None:
            return None
        snap = next((s for s in self.snapshots() if s.snapshot_id == snapshot_id), None)
        version = snap.version if snap is not None else self.client.version
        path = self.data_dir / "checkpoints" / f"live-v{version}-s{snapshot_id}.safetensors"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.client.save_checkpoint(str(path), snapshot_id)
        self.message = f"Saving {path} ..."
        return path

    def snapshots(self) -> tuple[Any, ...]:
        """The learner's snapshots (as last reported)."""
        status = self.client.status if self.client is not None else None
        return status.snapshots if status is not None else ()

    # ------------------------------------------------------------------ every frame / turn

    def poll(self) -> None:
        """Read the learner's events (never waits)."""
        if self.client is None:
            return
        self.client.poll()
        if self.client.status is not None and self.client.status.message:
            self.message = self.client.status.message
        if self.client.error:
            self.message = f"Learner error: {self.client.error}. The NPCs keep the last good weights; Enter restarts."

    def before_turn(self, sim: Any, player: int) -> None:
        """Tell the live controller about the simulator before it chooses actions."""
        if self.controller is not None and self.controller.slot_factions != _slot_factions(sim):
            self.controller.bind(sim, player)
        elif self.controller is not None:
            self.controller.player = player

    def after_turn(self, sim: Any, alive_before: Any) -> None:
        """Stream the turn's learning-NPC transitions to a running learner."""
        if self.controller is not None and self.client is not None and self.client.alive:
            self.controller.after_turn(sim, alive_before)

    def swap_note(self, controller: Any) -> str:
        """``"NPCs updated: v17, win rate 0.62"`` once per new weight version in play, else ""."""
        version = getattr(controller, "version", None) if self.client is not None else None
        if version is None or version == self.seen_version:
            return ""
        first = self.seen_version is None
        self.seen_version = version
        if first and version == getattr(controller, "base_version", version):
            return ""  # the weights the game started with: nothing changed yet
        rate = latest_win_rate(self.client.curve, version)
        return f"NPCs updated: v{version}, win rate {fmt(rate)}"

    def tag(self, slot: int) -> str:
        """``v12``: the weight version that drives NPC ``slot`` ("" before live retraining)."""
        if self.client is None or self.controller is None:
            return ""
        version = self.controller.version_of(slot)
        return "" if version is None else f"v{version}"

    def close(self) -> None:
        """Stop the learner and free the shared memory (the game is quitting)."""
        if self.client is not None:
            self.client.close()
            self.client = None
            if self.controller is not None:
                self.controller.client = None


def _slot_factions(sim: Any) -> tuple[str, ...]:
    factions = sim.layout.factions
    return tuple(factions[f] for f in sim.layout.slot_faction())


class LivePanel:
    """The F5 panel: status, version, curve, snapshots and who learns."""

    def __init__(self, live: LiveRetraining) -> None:
        self.live = live
        self.selected = 0  # index into the snapshot list

    def handle(self, command: Command) -> None:
        """Apply one LIVE-context command."""
        live = self.live
        snaps = live.snapshots()
        if command is Command.LIVE_START:
            live.start()
        elif command is Command.LIVE_PAUSE:
            live.toggle_pause()
        elif command is Command.LIVE_LEARNERS:
            live.cycle_learners()
        elif command is Command.LIVE_SNAPSHOT:
            live.snapshot()
        elif command in (Command.LIVE_UP, Command.LIVE_DOWN) and snaps:
            self.selected = (self.selected + (1 if command is Command.LIVE_DOWN else -1)) % len(snaps)
        elif command is Command.LIVE_REVERT and snaps:
            live.revert(snaps[min(self.selected, len(snaps) - 1)].snapshot_id)
        elif command is Command.LIVE_SAVE and snaps:
            live.save(snaps[min(self.selected, len(snaps) - 1)].snapshot_id)

    def lines(self) -> list[str]:
        """The panel's text lines (also what tests read)."""
        live = self.live
        client = live.client
        rows = [f"Learner: {client.state if client else 'not started'}",
                f"Weight version: {client.version if client else '-'}",
                f"Learning: {', '.join(live.learners()) or 'no NPC'} (L changes)"]
        if client is not None and client.status is not None:
            s = client.status
            rows.append(f"Updates: {s.iteration}, agent-steps: {s.steps}, parameter generation: {s.generation}")
        if client is not None and client.curve:
            p = client.curve[-1]
            rows.append(f"Last update: return {fmt(p.mean_return)}, win rate vs hero {fmt(p.win_rate)}, "
                        f"potion drinking {fmt(p.drink_rate, 3)}")
        else:
            rows.append("Last update: return -, win rate vs hero - (no evaluation yet)")
        if client is not None and client.rejections:
            rows.append(f"Rejected updates: {len(client.rejections)} (last: {client.rejections[-1].reason})")
        rows.append(live.message)
        rows.append("The game goes on: W/A/S/D, Q/E, F, R, Z and X play as usual (arrows pick snapshots).")
        return rows

    @staticmethod
    def box(size: tuple[int, int]) -> pygame.Rect:
        """Where the panel goes: the right part of the world view, leaving the HUD uncovered."""
        view = layout_for(size).view
        left = view.x + view.width * 2 // 5
        return pygame.Rect(left, view.y, view.right - left, view.height)

    def draw(self, surface: pygame.Surface, font: pygame.font.Font, text: bool = True) -> None:
        """Draw the panel over the right part of ``surface``."""
        area = self.box(surface.get_size())
        left, width, height = area.x, area.right, area.height
        shade = pygame.Surface(area.size, pygame.SRCALPHA)
        shade.fill((10, 15, 25, 230))
        surface.blit(shade, area.topleft)
        line = font.get_linesize()
        if not text:
            self._draw_curve(surface, pygame.Rect(left + 40, 8 + line * 9, width - left - 52, height // 4))
            return
        y = 8
        surface.blit(font.render("Live retraining (F5 closes, F1 keys)", True, (255, 230, 150)), (left + 12, y))
        y += line + 4
        for row in self.lines():
            colour = (255, 120, 120) if row.startswith("Learner error") or "crashed" in row else (230, 230, 230)
            for part in wrap(font, row, width - left - 24):
                surface.blit(font.render(part, True, colour), (left + 12, y))
                y += line
        curve_box = pygame.Rect(left + 40, y + 6, width - left - 52, height // 4)  # room for the y labels
        self._draw_curve(surface, curve_box)
        self._draw_axes(surface, font, curve_box)
        legend = "win rate vs hero (green), return / 10 (blue); faint: raw, bold: smoothed"
        for k, part in enumerate(wrap(font, legend, width - left - 24)):
            surface.blit(font.render(part, True, (170, 190, 220)), (left + 12, curve_box.bottom + line + 2 + k * line))
        y = curve_box.bottom + line * (2 + len(wrap(font, legend, width - left - 24))) + 8
        surface.blit(font.render("Snapshots (K takes, R reverts, C saves as checkpoint):", True, (255, 230, 150)),
                     (left + 12, y))
        y += line
        snaps = self.live.snapshots()
        for i, snap in enumerate(snaps[-max(1, (height - y) // line):]):
            index = snaps.index(snap)
            marker = ">" if index == min(self.selected, len(snaps) - 1) else " "
            row = f"{marker} #{snap.snapshot_id}  version {snap.version}  steps {snap.steps}  {snap.label}"
            surface.blit(font.render(row, True, (150, 220, 255) if marker == ">" else (210, 210, 210)),
                         (left + 12, y + i * line))

    def _draw_axes(self, surface: pygame.Surface, font: pygame.font.Font, box: pygame.Rect) -> None:
        """Y ticks 0, 0.5, 1 on the left, the x axis's meaning and extent below."""
        client = self.live.client
        points = client.curve[-CURVE_POINTS:] if client is not None else []
        for value in (0.0, 0.5, 1.0):
            y = box.bottom - 1 - value * (box.height - 1)
            pygame.draw.line(surface, (70, 75, 95), (box.x, y), (box.right - 1, y), 1)
            label = font.render(f"{value:g}", True, (170, 190, 220))
            surface.blit(label, (box.x - 6 - label.get_width(), y - label.get_height() // 2))
        span = f"updates {points[0].iteration}-{points[-1].iteration}" if points else "updates (none yet)"
        surface.blit(font.render(f"x: {span}", True, (170, 190, 220)), (box.x, box.bottom + 2))

    def _draw_curve(self, surface: pygame.Surface, box: pygame.Rect) -> None:
        pygame.draw.rect(surface, (40, 45, 60), box)
        client = self.live.client
        points = client.curve[-CURVE_POINTS:] if client is not None else []
        if len(points) < 2:
            return
        for raw, colour in (([p.win_rate for p in points], (120, 220, 120)),
                            ([p.mean_return / 10 for p in points], (120, 170, 255))):
            faint = tuple(c // 3 + 20 for c in colour)
            for values, tint, width in ((raw, faint, 1), (smoothed(raw), colour, 3)):
                xy = []
                for i, v in enumerate(values):
                    if not math.isfinite(v):
                        continue
                    x = box.x + i * (box.width - 1) / (len(values) - 1)
                    y = box.bottom - 1 - min(max(v, 0.0), 1.0) * (box.height - 1)
                    xy.append((x, y))
                if len(xy) >= 2:
                    pygame.draw.lines(surface, tint, False, xy, width)
