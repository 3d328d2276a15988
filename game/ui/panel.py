"""The designer panel (Tab): edit level parameters, validate, preview, save and play.

The panel's fields are not hand-written: :func:`panel_fields` walks the parameter
schema (:mod:`levels.schema` declarations: types, ranges, choices and docs) over the
current :class:`~levels.params.LevelParams` and makes one widget per editable leaf:
sliders for bounded numbers (ranges get a low and a high slider), toggles for
booleans, choice cyclers, one slider per generator in the generator mix, and text
fields for names and lists. Every edit re-validates the whole parameter set with
:func:`levels.params.params_from_dict`; a :class:`~levels.common.errors.ParamError` is shown
inline next to the field it names. The preview is a minimap-style thumbnail of the
level :func:`levels.generate` makes from the edited parameters and the preview seed.

Keyboard only: see the ``PANEL`` bindings of :mod:`game.ui.controls`.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygame

from game.ui.controls import Command
from game.ui.render.notebox import wrap
from levels import schema
from levels.common.errors import ParamError, UserError
from levels.generate import generate
from levels.level import Level
from levels.params import LevelParams, params_from_dict, params_to_dict, save_params
from levels.render import render_floor_rgb
from levels.schema import FieldInfo, FloatRange, IntRange, Weights

#: Top-level tables the panel leaves out (free text, per-floor overrides, reward weights).
SKIPPED = ("name", "description", "overrides")
SKIPPED_PARTS = ("objective",)
WEIGHT_SLIDER_HIGH = 10.0  # the generator mix has no upper bound; sliders need one

FieldPath = tuple[str | int, ...]  # keys and list indices into the parameter table


@dataclass(frozen=True)
class FieldSpec:
    """One widget: where its value lives in the parameter table and how it is edited.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``choice``, ``text``, ``int_list``
    and ``str_list``; ``low``/``high`` bound the sliders of numbers.
    """

    path: FieldPath
    kind: str
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The dotted path as :class:`ParamError` names it (``spawns[1].count[0]``)."""
        return dotted(self.path)

    @property
    def section(self) -> str:
        """The table the field belongs to (``generation.rooms``, ``spawns[1]``)."""
        parent = self.path[:-1]
        if parent and isinstance(self.path[-1], int) and self.kind in ("int", "float"):
            parent = parent[:-1]  # the low/high halves of a range belong with their table
        if parent and parent[-1] == "generator":
            parent = parent[:-1]
        return dotted(parent) or "level"

    @property
    def label(self) -> str:
        """A short label: the field name, with low/high for range halves."""
        last = self.path[-1]
        if isinstance(last, int):
            return f"{self.path[-2]} ({'low' if last == 0 else 'high'})"
        if len(self.path) > 1 and self.path[-2] == "generator":
            return f"generator: {last}"
        return str(last)

    @property
    def step(self) -> float:
        """What one slider notch adds."""
        if self.kind == "int":
            return 1
        span = (self.high or 0) - (self.low or 0)
        return 0.01 if span <= 1 else 0.1


def dotted(path: FieldPath) -> str:
    """``("spawns", 1, "count", 0)`` -> ``"spawns[1].count[0]"``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _leaf(path: FieldPath, hint: Any, info: FieldInfo) -> list[FieldSpec]:
    """The widgets of one schema leaf."""
    if hint is IntRange or hint is FloatRange:
        kind = "int" if hint is IntRange else "float"
        return [FieldSpec(path + (i,), kind, info.doc, info.low, info.high) for i in (0, 1)]
    if hint is Weights:
        return [FieldSpec(path + (name,), "float", info.doc, 0.0, WEIGHT_SLIDER_HIGH)
                for name in info.choices or ()]
    if hint is bool:
        return [FieldSpec(path, "bool", info.doc)]
    if hint in (int, float):
        return [FieldSpec(path, "int" if hint is int else "float", info.doc, info.low, info.high)]
    if hint is str:
        if info.choices:
            return [FieldSpec(path, "choice", info.doc, choices=info.choices)]
        return [FieldSpec(path, "text", info.doc)]
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        if item in (int, str):
            return [FieldSpec(path, "int_list" if item is int else "str_list", info.doc)]
    return []


def _walk(obj: Any, path: FieldPath) -> list[FieldSpec]:
    """Widgets for every editable leaf below the dataclass instance ``obj``."""
    specs: list[FieldSpec] = []
    for f, hint, info in schema.schema_fields(type(obj)):
        sub = path + (f.name,)
        if (not path and f.name in SKIPPED) or f.name in SKIPPED_PARTS:
            continue
        value = getattr(obj, f.name)
        origin = typing.get_origin(hint)
        if dataclasses.is_dataclass(hint):
            specs += _walk(value, sub)
        elif origin is list and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            for i, item in enumerate(value):
                specs += _walk(item, sub + (i,))
        elif origin is dict and dataclasses.is_dataclass(typing.get_args(hint)[1]):
            items = obj.all_kinds() if sub == ("loot", "kinds") else value
            for key, item in items.items():
                specs += _walk(item, sub + (key,))
        else:
            specs += _leaf(sub, hint, info)
    return specs


def panel_fields(params: LevelParams) -> list[FieldSpec]:
    """Every widget of the panel for ``params``, in schema order."""
    return _walk(params, ())


# ----------------------------------------------------------------------------- values


def _defaults_table(params: LevelParams) -> dict[str, Any]:
    """The parameter table with every effective loot kind written out (what fields read)."""
    table = params_to_dict(params)
    table["loot"]["kinds"] = {name: schema.to_dict(kind) for name, kind in params.loot.all_kinds().items()}
    return table


def read_value(table: dict[str, Any], full: dict[str, Any], path: FieldPath) -> Any:
    """The value at ``path`` in ``table``, else in ``full``; a range half of a single number."""
    node: Any = table
    fallback: Any = full
    for part in path:
        if isinstance(part, int) and not isinstance(node, list):
            return node  # a range given as one number: both halves read it
        fallback = fallback[part] if fallback is not None and _has(fallback, part) else None
        node = node[part] if _has(node, part) else fallback
        if node is None:
            return None
    return node


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def write_value(table: dict[str, Any], full: dict[str, Any], path: FieldPath, value: Any) -> None:
    """Set ``path`` in ``table`` (copying missing tables from ``full``, widening ranges)."""
    node: Any = table
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, dict) and part not in node:
            node[part] = copy.deepcopy(read_value({}, full, path[:depth + 1]))
        child = node[part]
        if isinstance(path[depth + 1], int) and not isinstance(child, list):
            child = node[part] = [child, child]  # a range given as one number becomes [n, n]
        node = child
    node[path[-1]] = value


def format_value(spec: FieldSpec, value: Any) -> str:
    """The value as the panel shows it (and as typing starts from)."""
    if value is None:
        return "-"  # e.g. a generator left out of the mix
    if spec.kind == "bool":
        return "true" if value else "false"
    if spec.kind in ("int_list", "str_list"):
        return ", ".join(str(v) for v in value)
    if spec.kind == "float":
        return f"{float(value):g}"
    return str(value)


def parse_value(spec: FieldSpec, text: str) -> Any:
    """Typed text as a value of the field's kind; bad text raises ParamError."""
    text = text.strip()
    try:
        if spec.kind == "int":
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if spec.kind == "float":
            return float(text)
        if spec.kind == "bool":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if spec.kind == "int_list":
            return [int(part) for part in text.replace(",", " ").split()]
        if spec.kind == "str_list":
            return [part.strip() for part in text.split(",") if part.strip()]
        if spec.kind == "choice" and text not in spec.choices:
            raise ParamError(spec.name, f"{text!r} is not one of {', '.join(spec.choices)}")
    except ValueError:
        raise ParamError(spec.name, f"cannot read {text!r} as {spec.kind.replace('_', ' ')}") from None
    return text


def stepped(spec: FieldSpec, value: Any, direction: int) -> Any:
    """``value`` moved one notch (``direction`` +1 or -1), clamped to the field's range."""
    if spec.kind == "bool":
        return not value
    if spec.kind == "choice":
        index = spec.choices.index(value) if value in spec.choices else 0
        return spec.choices[(index + direction) % len(spec.choices)]
    if spec.kind not in ("int", "float"):
        return value
    new = (value or 0) + direction * spec.step
    if spec.low is not None:
        new = max(new, spec.low)
    if spec.high is not None:
        new = min(new, spec.high)
    return int(round(new)) if spec.kind == "int" else round(new, 4)


# ----------------------------------------------------------------------------- the panel


@dataclass(frozen=True)
class PanelResult:
    """What the panel hands back to the app: the level to play."""

    level: Level


class Panel:
    """The designer panel's state and drawing (see the module docstring)."""

    def __init__(self, params: LevelParams, seed: int, data_dir: Path,
                 on_change: Callable[[LevelParams], None] | None = None) -> None:
        self.original = params
        self.on_change = on_change  # told every valid edit (the live learner trains on it at once)
        self.table = params_to_dict(params)
        self.full = _defaults_table(params)
        self.fields = panel_fields(params)
        self.index = 0
        self.seed = seed
        self.save_to = Path(data_dir) / "levels" / f"{params.name}-edited.toml"
        self.editing = False
        self.editing_path = False  # typing the file name to save to, not a field value
        self.buffer = ""
        self.error: ParamError | None = None
        self.status = "Edit with arrows and +/-, Enter types a value. R: preview, P: play it, S: save."
        self.level: Level | None = None
        self.preview_floor = 0
        self.stale = True
        self._thumb: pygame.Surface | None = None
        self.regenerate()

    # ------------------------------------------------------------------ values

    @property
    def selected(self) -> FieldSpec:
        """The field the cursor is on."""
        return self.fields[self.index]

    def value(self, spec: FieldSpec) -> Any:
        """The current value of ``spec``."""
        return read_value(self.table, self.full, spec.path)

    def set_value(self, spec: FieldSpec, value: Any) -> None:
        """Change a field, then re-validate everything."""
        write_value(self.table, self.full, spec.path, value)
        if spec.path[:2] == ("loot", "kinds"):
            self.full["loot"]["kinds"][spec.path[2]] = copy.deepcopy(self.table["loot"]["kinds"][spec.path[2]])
        self.stale = True
        params = self.validate()
        if params is not None and self.on_change is not None:
            self.on_change(params)

    def validate(self) -> LevelParams | None:
        """The edited parameters, or None with :attr:`error` set."""
        try:
            params = params_from_dict(copy.deepcopy(self.table))
        except ParamError as exc:
            self.error = exc
            return None
        self.error = None
        return params

    def error_for(self, spec: FieldSpec) -> str:
        """The validation error to show next to ``spec`` ("" when it names another field)."""
        if self.error is None:
            return ""
        where = self.error.path
        if where == spec.name or where.startswith(spec.name + ".") or where.startswith(spec.name + "["):
            return self.error.reason
        if spec.name.startswith(where) and spec.name[len(where):len(where) + 1] in ("[", "."):
            return self.error.reason
        return ""

    # ------------------------------------------------------------------ commands

    def handle(self, command: Command) -> PanelResult | None:
        """Apply a panel command; returns a result when the user chose to play the level."""
        spec = self.selected
        if command is Command.FIELD_UP:
            self.index = (self.index - 1) % len(self.fields)
        elif command is Command.FIELD_DOWN:
            self.index = (self.index + 1) % len(self.fields)
        elif command in (Command.SECTION_UP, Command.SECTION_DOWN):
            self._jump_section(-1 if command is Command.SECTION_UP else 1)
        elif command in (Command.DECREASE, Command.INCREASE):
            self.set_value(spec, stepped(spec, self.value(spec), 1 if command is Command.INCREASE else -1))
        elif command is Command.EDIT:
            self.editing = True
            self.buffer = format_value(spec, self.value(spec))
        elif command is Command.RESET_FIELD:
            original = read_value(params_to_dict(self.original), _defaults_table(self.original), spec.path)
            self.set_value(spec, copy.deepcopy(original))
        elif command is Command.REGENERATE:
            self.regenerate()
        elif command is Command.NEW_SEED:
            self.seed += 1
            self.regenerate()
        elif command is Command.PREVIEW_FLOOR and self.level is not None:
            self.preview_floor = (self.preview_floor + 1) % self.level.floor_count
            self._thumb = None
        elif command is Command.SAVE_PARAMS:
            self.editing = self.editing_path = True
            self.buffer = str(self.save_to)
        elif command is Command.PLAY_LEVEL:
            if self.stale:
                self.regenerate()
            if self.level is not None and not self.stale:
                return PanelResult(self.level)
        return None

    def _jump_section(self, direction: int) -> None:
        current = self.selected.section
        i = self.index
        while 0 <= i + direction < len(self.fields) and self.fields[i + direction].section == current:
            i += direction
        i = (i + direction) % len(self.fields)
        target = self.fields[i].section
        while i > 0 and self.fields[i - 1].section == target:
            i -= 1
        self.index = i

    def type_key(self, key: int, text: str) -> None:
        """A key press while typing a value: Enter accepts, Esc cancels, Backspace deletes."""
        if key in (pygame.K_RETURN, pygame.K_KP_ENTER) and self.editing_path:
            self.editing = self.editing_path = False
            self.save_to = Path(self.buffer.strip() or self.save_to).expanduser()
            self.save()
        elif key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.editing = False
            try:
                value = parse_value(self.selected, self.buffer)
            except ParamError as exc:
                self.error = exc
                return
            self.set_value(self.selected, value)
        elif key == pygame.K_ESCAPE:
            self.editing = self.editing_path = False
        elif key == pygame.K_BACKSPACE:
            self.buffer = self.buffer[:-1]
        elif text and text.isprintable():
            self.buffer += text

    def regenerate(self) -> None:
        """Generate the preview level from the edited parameters and the preview seed."""
        params = self.validate()
        if params is None:
            self.status = "Fix the error first."
            return
        try:
            self.level = generate(params, self.seed)
        except UserError as exc:
            self.error = exc if isinstance(exc, ParamError) else ParamError("", str(exc))
            self.status = "The generator refused these parameters."
            return
        self.stale = False
        self.preview_floor = min(self.preview_floor, self.level.floor_count - 1)
        self._thumb = None
        self.status = f"Preview: seed {self.seed}. P plays it, N tries another seed."

    def save(self) -> Path | None:
        """Write the edited parameters as TOML to :attr:`save_to`; returns the path or None."""
        params = self.validate()
        if params is None:
            self.status = "Not saved: fix the error first."
            return None
        try:
            save_params(params, self.save_to)
        except OSError as exc:
            self.status = f"Could not save: {exc}"
            return None
        self.status = f"Saved {self.save_to}"
        return self.save_to

    # ------------------------------------------------------------------ drawing

    def thumbnail(self, box: tuple[int, int]) -> pygame.Surface | None:
        """The preview floor scaled to fit ``box`` (cached until the preview changes)."""
        if self.level is None:
            return None
        if self._thumb is None or self._thumb.get_size()[0] > box[0] or self._thumb.get_size()[1] > box[1]:
            cell = max(1, min(box[0] // self.level.width, box[1] // self.level.height))
            rgb = render_floor_rgb(self.level, self.preview_floor, cell_px=cell)
            self._thumb = pygame.surfarray.make_surface(rgb.transpose(1, 0, 2))
        return self._thumb

    def draw(self, surface: pygame.Surface, font: pygame.font.Font, text: bool = True) -> None:
        """Draw the panel over ``surface``: fields on the left, preview and docs on the right.

        ``text`` False draws only the backdrop and the preview (for pixel tests).
        """
        width, height = surface.get_size()
        shade = pygame.Surface((width, height), pygame.SRCALPHA)
        shade.fill((10, 10, 20, 225))
        surface.blit(shade, (0, 0))
        line = font.get_linesize()
        left = width * 11 // 20
        if not text:
            thumb = self.thumbnail((width - left - 12, height // 2))
            if thumb is not None:
                surface.blit(thumb, (left, 8 + line * 2))
            return
        header = f"Save to: {self.buffer}_" if self.editing_path else f"Designer panel - S saves to {self.save_to}"
        surface.blit(font.render(header, True, (255, 230, 150)), (12, 8))
        rows = max(1, (height - 4 * line) // line)
        first = max(0, min(self.index - rows // 2, len(self.fields) - rows))
        y = 8 + line * 2
        for i in range(first, min(first + rows, len(self.fields))):
            self._draw_row(surface, font, self.fields[i], i == self.index, (12, y), left - 24)
            y += line
        self._draw_side(surface, font, left, line, width, height)

    def _draw_row(self, surface: pygame.Surface, font: pygame.font.Font, spec: FieldSpec,
                  selected: bool, at: tuple[int, int], width: int) -> None:
        x, y = at
        if selected:
            pygame.draw.rect(surface, (50, 60, 90), (x - 4, y - 1, width + 8, font.get_linesize()))
        value = self.value(spec)
        typing = selected and self.editing and not self.editing_path
        text = self.buffer + "_" if typing else format_value(spec, value)
        error = self.error_for(spec)
        colour = (255, 120, 120) if error else (230, 230, 230)
        vx = x + width * 11 // 20
        label = fit(font, f"{spec.section}: {spec.label}", vx - x - 8)  # never runs under the slider
        surface.blit(font.render(label, True, (170, 190, 220)), (x, y))
        if spec.kind in ("int", "float") and spec.low is not None and spec.high is not None \
                and spec.high > spec.low and isinstance(value, int | float):
            bar = pygame.Rect(vx, y + 4, 90, font.get_linesize() - 8)
            start, end = bar_span(float(value), float(spec.low), float(spec.high))
            pygame.draw.rect(surface, (70, 70, 90), bar)
            if end > start:
                pygame.draw.rect(surface, (120, 170, 255),
                                 (bar.x + round(bar.width * start), bar.y,
                                  max(1, round(bar.width * (end - start))), bar.height))
            if spec.low < 0 < spec.high:  # the zero mark of signed values
                zero = bar.x + round(bar.width * (-spec.low) / (spec.high - spec.low))
                pygame.draw.line(surface, (200, 200, 220), (zero, bar.y - 2), (zero, bar.bottom + 1), 1)
            vx += 98
        surface.blit(font.render(text, True, colour), (vx, y))

    def _draw_side(self, surface: pygame.Surface, font: pygame.font.Font, left: int, line: int,
                   width: int, height: int) -> None:
        spec = self.selected
        y = 8 + line * 2
        box = (width - left - 12, height // 2)
        thumb = self.thumbnail(box)
        if thumb is not None:
            surface.blit(thumb, (left, y))
            if self.stale:
                pygame.draw.rect(surface, (255, 200, 60), (left, y, *thumb.get_size()), 2)
            y += thumb.get_height() + 4
            floors = self.level.floor_count if self.level else 1
            caption = f"floor {self.preview_floor + 1}/{floors}, seed {self.seed}"
            surface.blit(font.render(caption + (" (out of date: R)" if self.stale else ""), True,
                                     (200, 200, 200)), (left, y))
            y += line
        y += line // 2
        rows = [(spec.name, (255, 230, 150))]
        rows += [(part, (210, 210, 210)) for part in wrap(font, spec.doc, box[0])]
        if self.error is not None:
            rows += [(part, (255, 120, 120)) for part in wrap(font, f"Error: {self.error}", box[0])]
        rows += [(part, (150, 220, 150)) for part in wrap(font, self.status, box[0])]
        for text, colour in rows:
            surface.blit(font.render(text, True, colour), (left, y))
            y += line


def bar_span(value: float, low: float, high: float) -> tuple[float, float]:
    """The filled part ``(start, end)`` of a slider bar, as fractions of its width, proportional to ``value``.

    Ranges starting at or above 0 fill from the left by ``value / high`` (so 0 is empty);
    signed ranges fill from the zero mark towards the value.
    """
    span = high - low
    if low >= 0:
        return 0.0, min(max(value / high, 0.0), 1.0) if high > 0 else 0.0
    zero = -low / span
    at = min(max((value - low) / span, 0.0), 1.0)
    return (min(zero, at), max(zero, at))


def fit(font: pygame.font.Font, text: str, width: int) -> str:
    """``text`` cut with an ellipsis to fit ``width`` pixels."""
    if font.size(text)[0] <= width:
        return text
    while text and font.size(text + "...")[0] > width:
        text = text[:-1]
    return text + "..."
