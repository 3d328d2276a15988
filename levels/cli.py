"""The ``levels`` commands of ``main.py``.

``add_parser(subparsers)`` registers ``levels schema|generate|check|analyze|presets|sample-games``.
Every command function takes the parsed arguments and returns an exit code; bad input raises
:class:`~levels.common.errors.UserError`, which ``main.py`` prints as one line.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console, Group
from rich.padding import Padding
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from levels import analysis, schema
from levels.common.errors import LevelFileError, UserError
from levels.game_files import MAX_GAMES, MAX_SHEET_PANELS, write_contact_sheet, write_games
from levels.generate import generate
from levels.knobs import load_knobs
from levels.level import Level
from levels.limits import MAX_SEED
from levels.params import (
    DEEPCRAWL_KINDS,
    DEFAULT_PRESET,
    LevelParams,
    load_params,
    load_preset,
    preset_names,
)
from levels.reach import reachable
from levels.render import ascii_floor, ascii_legend, floor_title, render_level_png
from levels.tiles import PASSABLE, Tile

DEFAULT_PREVIEW_PNG = "level-preview.png"


# ----------------------------------------------------------------------------- parsers


def add_parser(subparsers: Any) -> None:
    """Register ``levels`` and its subcommands on the top-level ``subparsers``."""
    levels = subparsers.add_parser(
        "levels", help="generate, check and analyse levels",
        description="Generate, check and analyse levels from designer parameter files.")
    sub = levels.add_subparsers(dest="levels_command", required=True, metavar="COMMAND")

    p = sub.add_parser("schema", help="print the parameter-file reference",
                       description="Print every parameter a level file can set, with an example.")
    p.set_defaults(run=cmd_schema)

    p = sub.add_parser("generate", help="generate one level",
                       description="Generate one level; without --out/--png, print it.")
    _add_params_argument(p)
    p.add_argument("--seed", type=seed_value, default=0, help="level seed (default: 0)")
    p.add_argument("--out", metavar="FILE", help="write the level as JSON")
    p.add_argument("--png", metavar="FILE", help="write a picture of every floor")
    p.set_defaults(run=cmd_generate)

    p = sub.add_parser("check", help="validate a parameter TOML file or a level JSON file",
                       description="Validate a parameter file (.toml) or a level file (.json).")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("analyze", help="expressive-range analysis of a parameter set",
                       description="Generate many levels and summarise their layout metrics.")
    _add_params_argument(p)
    p.add_argument("--n", type=positive_int, default=500, help="levels to generate (default: 500)")
    p.add_argument("--seed", type=seed_value, default=0, help="first seed (default: 0)")
    p.add_argument("--png", metavar="FILE", help="write the expressive-range figure")
    p.add_argument("--json", metavar="FILE", help="write every level's metrics and the summary")
    p.add_argument("--x", choices=analysis.METRICS,
                   help=f"metric on the figure's x axis (default: {analysis.DEFAULT_X})")
    p.add_argument("--y", choices=analysis.METRICS,
                   help=f"metric on the figure's y axis (default: {analysis.DEFAULT_Y})")
    p.set_defaults(run=cmd_analyze)

    p = sub.add_parser("presets", help="list the shipped parameter presets")
    p.set_defaults(run=cmd_presets)

    p = sub.add_parser("sample-games", help="write parameter files drawn from the game distribution",
                       description="Write games SEED .. SEED+COUNT-1 of the procedural game distribution "
                       "(levels/distribution.py) as parameter files game-<seed>.toml in DIR.")
    p.add_argument("--count", type=positive_int, required=True,
                   help=f"games to write (at most {MAX_GAMES})")
    p.add_argument("--seed", type=seed_value, default=0, help="first game seed (default: 0)")
    p.add_argument("--out", metavar="DIR", required=True, help="directory to write the files into")
    p.add_argument("--knobs", metavar="FILE", help="TOML file of distribution knobs (default: the defaults)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument("--png", metavar="FILE",
                   help=f"also write a contact sheet of the first floors (first {MAX_SHEET_PANELS} games)")
    p.set_defaults(run=cmd_sample_games)


def _add_params_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", metavar="FILE_OR_PRESET", default=DEFAULT_PRESET,
                        help=f"parameter TOML file or preset name (default: {DEFAULT_PRESET}; "
                        f"presets: {', '.join(preset_names())})")


def seed_value(text: str) -> int:
    """argparse type: a non-negative integer seed."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer of at most {MAX_SEED}, got {text[:30]}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = seed_value(text)
    if value < 1:
        raise argparse.ArgumentTypeError("expected an integer of at least 1")
    return value


# ----------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _writing(path: str | Path) -> Iterator[None]:
    """Turn a failed write of a user-named file into a one-line user error."""
    try:
        yield
    except UserError:
        raise  # already names the path (levels.common.files.OutputError)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def _say(console: Console, message: str) -> None:
    """Print a plain message: no markup, no highlighting, never wrapped."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def _level_line(level: Level) -> str:
    generators = ", ".join(level.generators)
    return (f"{level.params.name}, seed {level.seed}: {level.floor_count} floor(s) of "
            f"{level.width}x{level.height} ({generators}), {len(level.spawns)} agents, "
            f"{len(level.items)} items, {int((level.tiles == Tile.DOOR_LOCKED).sum())} locked doors")


def print_preview(console: Console, level: Level) -> None:
    """Print every floor of ``level`` as coloured ASCII, with a title and a key."""
    console.print(Text(_level_line(level), style="bold"), soft_wrap=True)
    for f in range(level.floor_count):
        console.print()
        console.print(Text(floor_title(level, f), style="bold underline"))
        console.print(ascii_floor(level, f), soft_wrap=True)
    console.print()
    console.print(ascii_legend())


def _generator_text(weights: dict[str, float]) -> str:
    if len(weights) == 1:
        return next(iter(weights))
    return " / ".join(f"{name} {weight:g}" for name, weight in weights.items())


def _floors_text(params: LevelParams) -> str:
    """``3 floor(s) of 48x32, bsp`` (per-floor generators when overrides differ)."""
    floors = params.floors
    per_floor = [_generator_text(params.floor_generation(f).generator) for f in range(floors.count)]
    generators = per_floor[0] if len(set(per_floor)) == 1 else ", ".join(per_floor)
    return f"{floors.count} floor(s) of {floors.width}x{floors.height}, {generators}"


# ----------------------------------------------------------------------------- commands


def cmd_generate(args: argparse.Namespace) -> int:
    """``levels generate``: write the level (JSON, PNG) or print it."""
    level = generate(load_params(args.params), args.seed)
    console = Console()
    if args.out:
        with _writing(args.out):
            level.save(args.out)
        _say(console, f"wrote {args.out}: {_level_line(level)}")
    if args.png:
        with _writing(args.png):
            render_level_png(level, args.png)
        _say(console, f"wrote {args.png}")
    if not args.out and not args.png:
        print_preview(console, level)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``levels check``: validate a parameter file or a level file; print a summary."""
    path = Path(args.file)
    if _is_level_file(path):
        level = Level.load(path)
        _check_level(level, path)
        summary = f"level {_level_line(level)}"
    else:
        params = load_params(path)
        summary = (f"parameters {params.name!r}: {_floors_text(params)}, {len(params.spawns)} spawn "
                   f"group(s), {len(params.loot.all_kinds())} loot kinds")
    _say(Console(), f"ok: {path}: {summary}")
    return 0


def _is_level_file(path: Path) -> bool:
    """A ``.json`` file, or an existing non-``.toml`` file whose text starts with ``{``."""
    if path.suffix == ".json":
        return True
    if path.suffix == ".toml" or not path.is_file():
        return False
    with contextlib.suppress(OSError), path.open("rb") as handle:
        return handle.read(4096).lstrip().startswith(b"{")  # never the whole file: it may be huge
    return False


def _check_level(level: Level, path: Path) -> None:
    """The promises a level makes beyond its format: reachability and a key per lock."""
    f, y, x = level.entry
    if not PASSABLE[level.tiles[f, y, x]]:
        raise LevelFileError(f"{path}: the entry {level.entry} is not a walkable cell")
    passable = PASSABLE[level.tiles]
    cut_off = passable & ~reachable(level.tiles, level.entry)
    if cut_off.any():
        cell = tuple(int(v) for v in np.argwhere(cut_off)[0])
        raise LevelFileError(f"{path}: {int(cut_off.sum())} walkable cell(s) cannot be reached from "
                             f"the entry, e.g. (floor, y, x) = {cell}")
    keys = {p.item.key_id for p in level.items if p.item.category == "key"}
    for cell in np.argwhere(level.tiles == Tile.DOOR_LOCKED):
        lock = int(level.locks[tuple(cell)])
        if lock == 0 or lock not in keys:
            raise LevelFileError(f"{path}: the locked door at (floor, y, x) = "
                                 f"{tuple(int(v) for v in cell)} has no key")


def cmd_analyze(args: argparse.Namespace) -> int:
    """``levels analyze``: expressive range of a parameter set."""
    if not args.png and (args.x or args.y):
        raise UserError("--x and --y choose the axes of the --png figure; add --png FILE")
    result = analysis.analyze(load_params(args.params), args.n, args.seed)
    console = Console()
    console.print(analysis.summary_table(result))
    if args.png:
        with _writing(args.png):
            analysis.plot_expressive_range(result, args.png, args.x or analysis.DEFAULT_X,
                                           args.y or analysis.DEFAULT_Y)
        _say(console, f"wrote {args.png}")
    if args.json:
        with _writing(args.json):
            analysis.save_json(result, args.json)
        _say(console, f"wrote {args.json}")
    return 0


def cmd_sample_games(args: argparse.Namespace) -> int:
    """``levels sample-games``: parameter files from the game distribution (and a contact sheet)."""
    knobs = load_knobs(args.knobs) if args.knobs else None
    games = write_games(args.seed, args.count, args.out, knobs, force=args.force)
    console = Console()
    _say(console, f"wrote {len(games)} game(s) to {args.out}: {games[0][0].name} .. {games[-1][0].name}")
    if args.png:
        with _writing(args.png):
            panels = write_contact_sheet(games, args.png)
        _say(console, f"wrote {args.png} ({panels} game(s))")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    """``levels presets``: the shipped presets with their descriptions."""
    table = Table(title="Presets (use with --params NAME)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("floors")
    table.add_column("description")
    for name in preset_names():
        params = load_preset(name)
        default = " (default)" if name == DEFAULT_PRESET else ""
        table.add_row(name + default, _floors_text(params), params.description)
    Console().print(table)
    return 0


# ----------------------------------------------------------------------------- schema


SCHEMA_INTRO = (
    "A parameter file is a TOML document. Every field has a default, so a file names only what "
    "it changes. Unknown keys, wrong types and out-of-range values are errors that name the "
    "field. Try a file with `main.py levels check FILE`; look at a level with "
    "`main.py levels generate --params FILE --seed 0` (add --png level.png for a picture).",
    "Layout. Paths in the reference join nested keys with dots; [] marks an entry of an array "
    "of tables and <name> a name you choose.",
)

SCHEMA_LAYOUT = (
    ("name, description", "top-level keys, written before any table"),
    ("[floors]", "floor count and size (every floor has the same size)"),
    ("[generation]", "how every floor is generated; its subtables are [generation.rooms], "
     ".corridors, .caves, .drunkard, .doors and .hazards"),
    ("[[overrides]]", "settings that differ on some floors: floors = [1, 2] plus any "
     "[generation] keys (subtables may be partial, e.g. rooms = { count = 2 }); the rest "
     "comes from [generation]"),
    ("[rules]", "simulation rules"),
    ("[factions.<name>]", "one table per faction; naming any replaces the default hero and "
     "monsters factions"),
    ("[factions.<name>.objective]", "the faction's reward: a weight per event"),
    ("[[spawns]]", "one entry per group of agents; naming any replaces the default groups"),
    ("[loot]", "how many items lie on each floor"),
    ("[loot.kinds.<name>]", "item kinds, beside the built-in ones ({kinds}); a kind of the "
     "same name replaces a built-in one"),
)

SCHEMA_VALUES = (
    'Values. "integer or [low, high]" takes 3 or [2, 5]: a value drawn uniformly from the '
    'inclusive range (per floor, agent or item). "name or {name = weight}" takes "bsp" or '
    "{ bsp = 2, caves = 1 }: one name drawn per floor with probability proportional to its weight."
)

EXAMPLE_TOML = """\
name = "crypt"
description = "Rooms on top, a flooded cave below."

[floors]
count = 2
width = 48
height = 32

[generation]
generator = "bsp"              # or a weighted mix: { bsp = 2, caves = 1 }

[generation.rooms]
count = [5, 8]                 # drawn per floor
pillars = 0.2

[generation.doors]
density = 0.5

[[overrides]]                  # floor 1 differs from [generation]
floors = [1]
generator = "caves"
hazards = { water = 0.05 }

[rules]
max_turns = 500

[factions.hero]
sight = 8

[factions.monsters.objective]
kill = 1.0

[[spawns]]
faction = "hero"
floors = [0]

[[spawns]]
faction = "monsters"
count = [2, 4]
hp = [10, 20]
min_entry_distance = 8

[loot]
density = [0.02, 0.04]

[loot.kinds.dagger]
category = "melee"
weight = 0.6
damage_min = 1
damage_max = [2, 3]
"""

_COMPOUND = ("table", "array of tables", "table of tables")


def _section_key(row: schema.FieldDoc) -> str:
    """The section a compound row opens (``spawns`` -> ``spawns[]``)."""
    if row.type_name == "array of tables":
        return row.path + "[]"
    if row.type_name == "table of tables":
        return row.path + ".<name>"
    return row.path


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ""


def _section_title(key: str) -> str:
    if not key:
        return "top level (before any table)"
    if key.endswith("[]"):
        return f"[[{key[:-2]}]]"
    return f"[{key}]"


def _section_class(key: str) -> type | None:
    """The parameter dataclass behind a section key, for its docstring."""
    cls: Any = LevelParams
    for part in key.replace("[]", "").split("."):
        if part == "<name>":
            continue
        hints = {f.name: hint for f, hint, _info in schema.schema_fields(cls)}
        hint = hints.get(part)
        if hint is None:
            return None
        cls = typing.get_args(hint)[-1] if typing.get_origin(hint) in (list, dict) else hint
    return cls if isinstance(cls, type) else None


def _default_entries(path: str) -> str | None:
    """The default entries of an array of tables, each as the keys it sets."""
    value: Any = LevelParams()
    for part in path.split("."):
        value = getattr(value, part, None)
    if not isinstance(value, list) or not value or not dataclasses.is_dataclass(value[0]):
        return None
    base = schema.to_dict(type(value[0])())
    first = next(iter(base))  # the identifying key (faction) is shown even when default
    entries = []
    for entry in value:
        keys = {k: v for k, v in schema.to_dict(entry).items() if k == first or base.get(k) != v}
        entries.append("{" + ", ".join(f"{k} = {_inline(v)}" for k, v in keys.items()) + "}")
    return "; ".join(entries)


def _inline(value: Any) -> str:
    """A TOML inline value for strings, booleans, numbers and lists of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a valid TOML basic string
    return str(value)


def schema_sections(cls: type = LevelParams) -> list[tuple[str, str, list[schema.FieldDoc]]]:
    """The reference rows of ``cls`` grouped by TOML table: ``(title, about, fields)``."""
    sections: dict[str, tuple[str, list[schema.FieldDoc]]] = {"": ("", [])}
    for row in schema.describe(cls):
        if row.type_name in _COMPOUND:
            key = _section_key(row)
            owner = _section_class(key)
            about = (owner.__doc__ or "").strip().splitlines()[0] if owner and owner.__doc__ else ""
            default = _default_entries(row.path) or row.default
            if default not in ("", "[]", "{}"):
                about = f"{about or row.doc} Default: {default}."
            sections[key] = (about or row.doc, [])
        else:
            sections.setdefault(_parent(row.path), ("", []))[1].append(row)
    return [(_section_title(k), about, rows) for k, (about, rows) in sections.items() if rows]


def _field_text(row: schema.FieldDoc) -> Group:
    """A field as its path, then (indented) its type, default, allowed values and meaning."""
    facts = Text()
    facts.append(row.type_name, style="green")
    facts.append("; default ")
    facts.append(row.default or "none", style="yellow")
    if row.allowed:
        facts.append("; allowed ")
        facts.append(row.allowed, style="magenta")
    details = Padding(Group(facts, Text(row.doc)), (0, 0, 0, 6), expand=False)
    return Group(Text("  " + row.path, style="bold cyan"), details)


def cmd_schema(args: argparse.Namespace) -> int:
    """``levels schema``: the reference a designer needs to write a parameter file."""
    console = Console()
    console.print(Text("Mindcrawl level parameter files", style="bold underline"))
    for paragraph in SCHEMA_INTRO:
        console.print()
        console.print(Text(paragraph))
    layout = Table.grid(padding=(0, 2))
    layout.add_column(no_wrap=True, style="bold")
    layout.add_column()
    kinds = ", ".join(DEEPCRAWL_KINDS)
    for section, meaning in SCHEMA_LAYOUT:
        layout.add_row(Text(section), Text(meaning.replace("{kinds}", kinds)))
    console.print(Padding(layout, (0, 0, 0, 2), expand=False))
    console.print()
    console.print(Text(SCHEMA_VALUES))
    console.print()
    console.print(Text("Example", style="bold underline"))
    console.print(Syntax(EXAMPLE_TOML, "toml", theme="ansi_dark", background_color="default"))
    console.print(Text("Reference", style="bold underline"))
    for title, about, rows in schema_sections():
        console.print()
        heading = Text(title, style="bold")
        if about:
            heading.append(f"  {about}", style="italic")
        console.print(heading)
        for row in rows:
            console.print(_field_text(row))
    return 0
