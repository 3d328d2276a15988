"""Level parameters: the TOML schema designers write, as typed and validated objects.

A parameter file is a TOML document whose tables mirror :class:`LevelParams`. Every
field has a default, so a file only names what it changes. ``main.py levels schema``
prints the full reference (every field's meaning, type, range and default).

Floors share one size (stairs link the same row and column on adjacent floors).
``[generation]`` sets how every floor is generated; ``[[overrides]]`` entries change
some of those settings for chosen floors.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from levels import schema
from levels.common.errors import ParamError, ParamsTypeError
from levels.common.files import MAX_TEXT_BYTES, atomic_write_text, parse_toml, read_user_text
from levels.limits import level_memory_problem
from levels.schema import FloatRange, IntRange, Weights, param

GENERATORS = ("bsp", "caves", "drunkard", "maze", "arena")
ITEM_CATEGORIES = ("melee", "ranged", "potion", "key", "artifact")  # artifacts: see [artifact]
LOOT_CATEGORIES = ("melee", "ranged", "potion")  # keys come with locked doors, not as loot
PRESET_DIR = Path(__file__).parent / "presets"
DEFAULT_PRESET = "dungeon"
#: What a faction plays for (see :class:`FactionParams` and docs/levels.md, "Goals").
GOALS = ("eliminate", "escape", "fetch", "survive")


# ----------------------------------------------------------------------------- floors


@dataclass(frozen=True)
class FloorsParams:
    """How many floors the level has and their size."""

    count: int = param(1, "Number of stacked floors; stairs lead from each to the next.", low=1, high=16)
    width: int = param(48, "Width of every floor in cells, outer wall included.", low=8, high=256)
    height: int = param(32, "Height of every floor in cells, outer wall included.", low=8, high=256)


@dataclass(frozen=True)
class RoomParams:
    """Rooms, for the bsp, maze and arena generators."""

    count: IntRange = param((4, 8), "Rooms per floor (bsp: at most; maze: open rooms carved in).", low=0, high=64)
    min_size: int = param(4, "Smallest room side in cells, walls excluded.", low=2, high=254)
    max_size: int = param(9, "Largest room side in cells, walls excluded; fits inside the floor.", low=2, high=254)
    pillars: float = param(0.0, "Chance that a room (or the arena) gets pillars.", low=0.0, high=1.0)

    def check(self, path: str) -> None:
        """Cross-field check: sizes are ordered."""
        if self.min_size > self.max_size:
            raise ParamError(f"{path}.min_size", f"{self.min_size} exceeds max_size {self.max_size}")


@dataclass(frozen=True)
class CorridorParams:
    """Corridors and loops, for the bsp and maze generators."""

    width: int = param(1, "Corridor width in cells (maze: passage width).", low=1, high=4)
    extra_loops: float = param(
        0.15, "Extra connections beyond a spanning tree, as a fraction of the rooms (bsp) "
        "or of the dead ends opened (maze).", low=0.0, high=1.0)


@dataclass(frozen=True)
class CaveParams:
    """Cellular-automata caves."""

    fill: float = param(0.45, "Initial chance that a cell is wall.", low=0.2, high=0.75)
    iterations: int = param(4, "Smoothing passes of the 4-5 rule.", low=0, high=12)


@dataclass(frozen=True)
class DrunkardParams:
    """Drunkard's-walk digging."""

    coverage: float = param(0.4, "Fraction of the floor's interior the walkers dig out.", low=0.05, high=0.9)
    walkers: int = param(4, "Number of walkers, each starting from dug ground.", low=1, high=64)


@dataclass(frozen=True)
class DoorParams:
    """Doors in doorways (one-cell openings between two spaces)."""

    density: float = param(0.4, "Fraction of doorways that get a door.", low=0.0, high=1.0)
    open: float = param(0.4, "Relative weight of doors that start open.", low=0.0, high=100.0)
    closed: float = param(0.5, "Relative weight of closed doors (opened with interact).", low=0.0, high=100.0)
    locked: float = param(0.1, "Relative weight of locked doors; each gets a key placed where it can "
                          "be reached without passing that door.", low=0.0, high=100.0)

    def check(self, path: str) -> None:
        """Cross-field check: the kinds have some weight when doors are wanted."""
        if self.density > 0 and self.open + self.closed + self.locked <= 0:
            raise ParamError(f"{path}.open", "open, closed and locked weights are all zero")


@dataclass(frozen=True)
class HazardParams:
    """Water (slows) and lava (hurts) pools."""

    water: float = param(0.0, "Fraction of floor cells turned into water pools.", low=0.0, high=0.5)
    lava: float = param(0.0, "Fraction of floor cells turned into lava pools (never cutting off "
                        "any part of the level).", low=0.0, high=0.3)
    pool_size: IntRange = param((3, 12), "Cells per pool.", low=1, high=200)


@dataclass(frozen=True)
class GenerationParams:
    """How one floor is generated."""

    generator: Weights = param(
        {"bsp": 1.0}, "Generator, or a weighted mix drawn per floor: bsp (rooms and corridors), "
        "caves (cellular automata), drunkard (random walk), maze, arena (one room).",
        choices=GENERATORS)
    stairs: int = param(1, "Stairs down from this floor to the next (none on the last floor).", low=1, high=8)
    rooms: RoomParams = param(RoomParams(), "Rooms.")
    corridors: CorridorParams = param(CorridorParams(), "Corridors and loops.")
    caves: CaveParams = param(CaveParams(), "Cellular-automata caves.")
    drunkard: DrunkardParams = param(DrunkardParams(), "Drunkard's walk.")
    doors: DoorParams = param(DoorParams(), "Doors.")
    hazards: HazardParams = param(HazardParams(), "Hazards.")


@dataclass(frozen=True)
class FloorOverride:
    """Generation settings that differ on some floors.

    Besides ``floors``, an override may hold any key of ``[generation]`` (tables may be
    partial); what it does not name is taken from ``[generation]``.
    """

    floors: list[int] = param([], "Indices of the floors it applies to (0 = top floor); besides "
                              "this key, any key of [generation].", low=0, high=15)
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_table(cls, data: dict[str, Any], path: str) -> FloorOverride:
        """Load an override: ``floors`` plus known ``[generation]`` keys."""
        data = dict(data)
        known = {f.name for f, _h, _i in schema.schema_fields(GenerationParams)}
        for key in data:
            if key != "floors" and key not in known:
                raise ParamError(f"{path}.{key}", f"unknown key (known keys: floors, "
                                 f"{', '.join(sorted(known))})")
        floors = data.pop("floors", [])
        info = schema.FieldInfo(doc="", low=0, high=15)
        floor_list = schema._convert(list[int], info, floors, f"{path}.floors")
        if not floor_list:
            raise ParamError(f"{path}.floors", "name at least one floor")
        return cls(floors=floor_list, settings=data)

    def to_table(self) -> dict[str, Any]:
        """Plain TOML data for this override."""
        return {"floors": list(self.floors), **copy.deepcopy(self.settings)}


# ----------------------------------------------------------------------------- agents


@dataclass(frozen=True)
class ObjectiveParams:
    """Weighted predicates that make up a faction's reward (summed each turn)."""

    step: float = param(-0.01, "Every turn the agent is alive (a per-step cost when negative).",
                        low=-100, high=100)
    illegal_action: float = param(-0.1, "Choosing an action that is not legal now.", low=-100, high=100)
    damage_dealt: float = param(0.0, "Per HP of damage the agent deals.", low=-100, high=100)
    damage_taken: float = param(0.0, "Per HP of damage the agent takes.", low=-100, high=100)
    kill: float = param(0.0, "Per enemy the agent kills.", low=-1000, high=1000)
    kill_hp_scaled: float = param(10.0, "Per kill, times the agent's HP / max HP (DeepCrawl's reward).",
                                  low=-1000, high=1000)
    death: float = param(0.0, "When the agent dies.", low=-1000, high=1000)
    drink_potion: float = param(0.01, "Per potion drunk.", low=-100, high=100)
    pickup: float = param(0.0, "Per item picked up.", low=-100, high=100)
    explore: float = param(0.0, "Per tile seen for the first time.", low=-100, high=100)
    reach_stairs_down: float = param(0.0, "Per floor descended by stairs.", low=-1000, high=1000)
    survive: float = param(0.0, "At the end of an episode the agent lives through.", low=-1000, high=1000)
    win: float = param(10.0, "When the agent's faction wins (its goal is met; given to its living agents).",
                       low=-1000, high=1000)
    lose: float = param(0.0, "When another faction wins (given to the living agents of the losers; "
                        "agents that died got `death`).", low=-1000, high=1000)
    reach_exit: float = param(0.0, "To the agent that steps onto an exit while its goal is escape "
                              "(or fetch, carrying the artifact).", low=-1000, high=1000)
    pickup_artifact: float = param(1.0, "To the agent that picks up the artifact (only factions whose goal "
                                   "is fetch pick it up).", low=-1000, high=1000)


@dataclass(frozen=True)
class FactionParams:
    """One faction: agents that share an objective and fight every other faction."""

    sight: int = param(6, "Field-of-view radius in cells.", low=1, high=32)
    objective: ObjectiveParams = param(ObjectiveParams(), "Reward predicates and their weights.")
    goal: Weights = param(
        {"eliminate": 1.0}, "What the faction plays for, or a weighted mix drawn per level: eliminate (every "
        "agent of the factions in `eliminate` is dead), escape (an agent reaches an exit), fetch (an agent "
        "brings the artifact to an exit), survive (an agent is alive when the turn limit ends the episode).",
        choices=GOALS)
    eliminate: list[str] = param([], "Factions an eliminate goal must wipe out (empty: every other faction).")


@dataclass(frozen=True)
class SpawnGroup:
    """Agents of one faction placed on the level, with their stat ranges."""

    faction: str = param("monsters", "Faction of the agents (a key of [factions]).")
    name: str = param("", "What the game calls these agents (e.g. \"ghoul\"); empty: the faction's name.")
    count: IntRange = param((1, 1), "Agents per floor it spawns on.", low=0, high=64)
    floors: list[int] = param([], "Floors it spawns on (empty: every floor; 0 = top floor).", low=0, high=15)
    hp: IntRange = param((20, 20), "Maximum HP (agents start at full HP).", low=1, high=10000)
    atk: IntRange = param((3, 3), "Attack: added to melee damage.", low=0, high=1000)
    defense: IntRange = param((3, 3), "Defence: subtracted from damage taken.", low=0, high=1000)
    dex: IntRange = param((3, 3), "Dexterity: added to ranged damage and reach; initiative.", low=0, high=1000)
    depth_scaling: float = param(0.0, "HP and ATK grow by this fraction per floor below the top.",
                                 low=0.0, high=4.0)
    items: list[str] = param([], "Loot kinds each agent starts with (keys of [loot.kinds]).")
    min_entry_distance: int = param(0, "Minimum distance (in cells) from the level entry.", low=0, high=512)


# ----------------------------------------------------------------------------- loot


@dataclass(frozen=True)
class ItemKind:
    """An item kind: a category and a distribution for each attribute.

    Every attribute is a number or an inclusive ``[low, high]`` range drawn uniformly
    when the item is placed. Attributes that do not apply to the category stay 0.
    """

    category: str = param("melee", "What the item is used as.", choices=LOOT_CATEGORIES)
    weight: float = param(1.0, "Spawn weight: each placed item is this kind with probability "
                          "weight / sum of weights.", low=0.0, high=1000.0)
    damage_min: IntRange = param((0, 0), "Weapons: lowest damage roll.", low=0, high=1000)
    damage_max: IntRange = param((0, 0), "Weapons: highest damage roll (raised to damage_min if lower).",
                                 low=0, high=1000)
    range: IntRange = param((0, 0), "Ranged weapons: bow range; reach = max(2, range + DEX - 2).",
                            low=0, high=64)
    heal: IntRange = param((0, 0), "Potions: HP restored (negative: poison).", low=-1000, high=1000)
    buff_atk: IntRange = param((0, 0), "Potions: ATK bonus while the buff lasts.", low=-100, high=100)
    buff_def: IntRange = param((0, 0), "Potions: DEF bonus while the buff lasts.", low=-100, high=100)
    buff_turns: IntRange = param((0, 0), "Potions: turns the buff lasts.", low=0, high=1000)


def _kind(category: str, weight: float, **attributes: Any) -> ItemKind:
    ranged = {k: (v, v) if isinstance(v, int) else v for k, v in attributes.items()}
    return ItemKind(category=category, weight=weight, **ranged)


#: DeepCrawl's items and spawn probabilities (Sestini et al. 2019), as attribute kinds.
DEEPCRAWL_KINDS: dict[str, ItemKind] = {
    "sword": _kind("melee", 0.5, damage_min=1, damage_max=4),
    "long_sword": _kind("melee", 0.4, damage_min=3, damage_max=6),
    "bastard_sword": _kind("melee", 0.1, damage_min=1, damage_max=8),
    "bow": _kind("ranged", 0.7, damage_min=0, damage_max=3, range=2),
    "long_bow": _kind("ranged", 0.4, damage_min=1, damage_max=5, range=2),
    "darkmoon_bow": _kind("ranged", 0.1, damage_min=4, damage_max=6, range=2),
    "health_potion": _kind("potion", 0.8, heal=5),
    "buff_potion": _kind("potion", 0.5, buff_atk=2, buff_def=3, buff_turns=3),
    "buff_potion_plus": _kind("potion", 0.2, buff_atk=3, buff_def=3, buff_turns=3),
}

#: The key kind placed for every locked door (never part of the random loot).
KEY_KIND = ItemKind(category="key", weight=0.0)


@dataclass(frozen=True)
class LootParams:
    """Procedural loot: how much, and which kinds."""

    density: FloatRange = param((0.04, 0.08), "Items per walkable cell, drawn per floor.", low=0.0, high=0.5)
    inherit_default_kinds: bool = param(
        True, "Keep DeepCrawl's kinds beside the ones named here (a named kind replaces the "
        "default of the same name; weight = 0 removes one).")
    kinds: dict[str, ItemKind] = param({}, "Item kinds by name.")

    def all_kinds(self) -> dict[str, ItemKind]:
        """The effective kinds: defaults (when inherited) overlaid with the named ones."""
        merged = dict(DEEPCRAWL_KINDS) if self.inherit_default_kinds else {}
        merged.update(self.kinds)
        return merged


# ----------------------------------------------------------------------------- goal targets


@dataclass(frozen=True)
class ExitParams:
    """Exit cells, placed when some faction may draw an escape or fetch goal."""

    count: int = param(1, "Exit cells on the level.", low=1, high=8)
    floor: int = param(-1, "The floor they are on (0 = top floor; negative counts from the deepest, "
                       "-1 = the deepest).", low=-16, high=15)
    spread: float = param(0.25, "Exits are drawn among the walkable cells of that floor farthest from "
                          "where one arrives on it: this fraction of them (1: anywhere).", low=0.01, high=1.0)


@dataclass(frozen=True)
class ArtifactParams:
    """The artifact a fetch goal asks for, placed when some faction may draw fetch."""

    name: str = param("amulet", "The artifact's name (shown to players; policies see only that it is the "
                      "artifact).")
    floor: int = param(-1, "The floor it lies on (0 = top floor; negative counts from the deepest).",
                       low=-16, high=15)
    spread: float = param(0.25, "Drawn among this fraction of the floor's walkable cells farthest from "
                          "where one arrives on it.", low=0.01, high=1.0)


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class RulesParams:
    """Simulation rules that designers may tune."""

    max_turns: int = param(100, "Turns before an episode is truncated.", low=1, high=1_000_000)
    hero_faction: str = param("hero", "The faction a player controls; its first spawn is the level entry.")
    water_turns: int = param(1, "Extra turns an agent loses after stepping into water.", low=0, high=10)
    lava_damage: int = param(3, "HP lost per turn spent on lava (DEF does not reduce it).", low=0, high=1000)


def _default_factions() -> dict[str, FactionParams]:
    return {"hero": FactionParams(), "monsters": FactionParams()}


def _default_spawns() -> list[SpawnGroup]:
    return [
        SpawnGroup(faction="hero", count=(1, 1), floors=[0]),
        SpawnGroup(faction="monsters", count=(1, 3), hp=(10, 20), min_entry_distance=6, depth_scaling=0.25),
    ]


# ----------------------------------------------------------------------------- the level


@dataclass(frozen=True)
class LevelParams:
    """Everything that defines a family of levels; a seed picks one level from it."""

    name: str = param("custom", "Name shown in tools and recorded in levels and checkpoints.")
    description: str = param("", "One line for designers.")
    floors: FloorsParams = param(FloorsParams(), "Floor count and size.")
    generation: GenerationParams = param(GenerationParams(), "How every floor is generated.")
    overrides: list[FloorOverride] = param([], "Generation settings that differ on some floors.")
    rules: RulesParams = param(RulesParams(), "Simulation rules.")
    factions: dict[str, FactionParams] = param(
        _default_factions(), "Factions by name (a file that names any replaces the defaults).")
    spawns: list[SpawnGroup] = param(_default_spawns(), "Agent spawn groups.")
    loot: LootParams = param(LootParams(), "Loot.")
    exits: ExitParams = param(ExitParams(), "Exit cells (escape and fetch goals).")
    artifact: ArtifactParams = param(ArtifactParams(), "The artifact (fetch goals).")
    _resolved: tuple[GenerationParams, ...] | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False)

    def floor_generation(self, floor: int) -> GenerationParams:
        """The generation settings of ``floor`` (``[generation]`` with its overrides)."""
        return _resolved_floors(self)[floor]

    def check(self, path: str) -> None:
        """Cross-field checks that need the whole level."""
        resolved = _resolve_all(self)
        object.__setattr__(self, "_resolved", resolved)
        if self.rules.hero_faction not in self.factions and any(
            s.faction == self.rules.hero_faction for s in self.spawns
        ):
            raise ParamError("rules.hero_faction", "is not a key of [factions]")
        if not self.factions:
            raise ParamError("factions", "at least one faction is needed")
        kinds = self.loot.all_kinds()
        for i, group in enumerate(self.spawns):
            where = f"spawns[{i}]"
            if group.faction not in self.factions:
                raise ParamError(f"{where}.faction", f"{group.faction!r} is not a key of [factions] "
                                 f"({', '.join(self.factions)})")
            for j, floor in enumerate(group.floors):
                if floor >= self.floors.count:
                    raise ParamError(f"{where}.floors[{j}]", f"floor {floor} does not exist "
                                     f"(floors.count is {self.floors.count})")
            for j, item in enumerate(group.items):
                if item not in kinds:
                    raise ParamError(f"{where}.items[{j}]", f"{item!r} is not a loot kind")
        if self.loot.density[1] > 0 and not any(k.weight > 0 for k in kinds.values()):
            raise ParamError("loot.kinds", "every kind has weight 0 but loot.density is above 0")
        self._check_goals()
        memory = level_memory_problem(self)  # docs/reliability.md: budgets before allocation
        if memory:
            raise ParamError("", memory)

    def _check_goals(self) -> None:
        """Cross-field checks of the factions' goals and their targets."""
        for name, faction in self.factions.items():
            for j, target in enumerate(faction.eliminate):
                where = f"factions.{name}.eliminate[{j}]"
                if target not in self.factions:
                    raise ParamError(where, f"{target!r} is not a key of [factions] ({', '.join(self.factions)})")
                if target == name:
                    raise ParamError(where, "a faction cannot have itself to eliminate")
        for table, floor in (("exits", self.exits.floor), ("artifact", self.artifact.floor)):
            if not -self.floors.count <= floor < self.floors.count:
                raise ParamError(f"{table}.floor", f"floor {floor} does not exist (floors.count is "
                                 f"{self.floors.count})")

    def goal_weights(self, faction: str) -> dict[str, float]:
        """The goals ``faction`` may draw, with positive weights only."""
        return {g: w for g, w in self.factions[faction].goal.items() if w > 0}

    def needs_exits(self) -> bool:
        """Whether some faction may draw a goal that needs exit cells (escape or fetch)."""
        return any(g in ("escape", "fetch") for f in self.factions for g in self.goal_weights(f))

    def needs_artifact(self) -> bool:
        """Whether some faction may draw the fetch goal."""
        return any("fetch" in self.goal_weights(f) for f in self.factions)

    def floor_index(self, floor: int) -> int:
        """A floor index of :class:`ExitParams` / :class:`ArtifactParams` (negative: from the deepest)."""
        return floor % self.floors.count


def _resolve_all(params: LevelParams) -> tuple[GenerationParams, ...]:
    """Validate ``[generation]`` and every override against the floor size."""
    base = schema.to_dict(params.generation)
    floors: list[GenerationParams | None] = [params.generation] * params.floors.count
    _check_generation_fits(params.generation, params.floors, "generation", None)
    for k, override in enumerate(params.overrides):
        where = f"overrides[{k}]"
        for j, floor in enumerate(override.floors):
            if floor >= params.floors.count:
                raise ParamError(f"{where}.floors[{j}]", f"floor {floor} does not exist "
                                 f"(floors.count is {params.floors.count})")
        merged = deep_merge(base, override.settings, replace=("generator",))
        generation = schema.from_dict(GenerationParams, merged, where)
        _check_generation_fits(generation, params.floors, where, override.settings)
        for floor in override.floors:
            floors[floor] = generation
    return tuple(floors)  # type: ignore[arg-type]


def _check_generation_fits(gen: GenerationParams, floors: FloorsParams, where: str,
                           override: dict[str, Any] | None) -> None:
    """Check sizes against the floor; for an override, only the sizes it names."""

    def named(table: str, key: str) -> bool:
        return override is None or key in override.get(table, {})

    inner = min(floors.width, floors.height) - 2
    if named("rooms", "max_size") and gen.rooms.max_size > inner:
        raise ParamError(f"{where}.rooms.max_size", f"{gen.rooms.max_size} exceeds the floor's inner "
                         f"size {inner} (floors.width {floors.width}, floors.height {floors.height})")
    if named("rooms", "min_size") and gen.rooms.min_size > inner:
        raise ParamError(f"{where}.rooms.min_size", f"{gen.rooms.min_size} exceeds the floor's inner size {inner}")
    if named("corridors", "width") and 2 * gen.corridors.width + 3 > inner + 2:
        raise ParamError(f"{where}.corridors.width", f"{gen.corridors.width} is too wide for a "
                         f"{floors.width}x{floors.height} floor")


def _resolved_floors(params: LevelParams) -> tuple[GenerationParams, ...]:
    resolved = getattr(params, "_resolved", None)
    if resolved is None:
        resolved = _resolve_all(params)
        object.__setattr__(params, "_resolved", resolved)
    return resolved


def deep_merge(base: dict[str, Any], update: dict[str, Any], replace: tuple[str, ...] = ()) -> dict[str, Any]:
    """A copy of ``base`` with ``update`` merged in: tables recursively, other values (and the
    tables named in ``replace``) replaced whole. Neither argument is modified."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key not in replace:
            merged[key] = deep_merge(merged[key], value, replace)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# ----------------------------------------------------------------------------- I/O


def params_from_dict(data: dict[str, Any]) -> LevelParams:
    """Validate a parsed TOML document into :class:`LevelParams`."""
    return schema.from_dict(LevelParams, data)


def params_to_dict(params: LevelParams) -> dict[str, Any]:
    """Plain data for TOML: the inverse of :func:`params_from_dict`."""
    return schema.to_dict(params)


def params_to_toml(params: LevelParams) -> str:
    """The parameters as a TOML document that :func:`load_params` reads back identically."""
    return tomli_w.dumps(params_to_dict(params))


def load_params(source: str | Path | LevelParams) -> LevelParams:
    """Load level parameters from a TOML file path or a preset name.

    A ``LevelParams`` object passes through. Errors name the file and the field.
    """
    if isinstance(source, LevelParams):
        return source
    if not isinstance(source, (str, Path)):
        raise ParamsTypeError(f"params must be a preset name, a .toml path or a LevelParams, "
                              f"not {type(source).__name__}")
    path = Path(source)
    if path.suffix != ".toml" and not path.exists():
        return load_preset(str(source))
    return _load_file(path)


def _load_file(path: Path) -> LevelParams:
    def error(reason: str) -> ParamError:
        return ParamError("", reason, str(path))

    data = parse_toml(read_user_text(path, error, limit=MAX_TEXT_BYTES), error)
    try:
        return params_from_dict(data)
    except ParamError as exc:
        raise exc.in_file(str(path)) from None


def preset_names() -> list[str]:
    """Names of the shipped presets (``levels/presets/*.toml``)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def load_preset(name: str) -> LevelParams:
    """Load a shipped preset by name (see :func:`preset_names`)."""
    path = PRESET_DIR / f"{name}.toml"
    if not path.exists():
        raise ParamError("", f"no preset or file named {name!r} (presets: {', '.join(preset_names())})")
    return _load_file(path)


def save_params(params: LevelParams, path: str | Path) -> None:
    """Write the parameters as TOML, atomically."""
    atomic_write_text(path, params_to_toml(params))
