"""Training configuration: dataclasses read from a TOML file, every key checked.

A config file names only what it changes (see ``training/configs/default.toml``).
Unknown keys and wrong types are refused with one line naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from levels.common.errors import ParamError, UserError
from levels.common.files import MAX_TEXT_BYTES, parse_toml, read_user_text
from levels.knobs import knobs_from_dict
from levels.limits import MAX_SEED

CONFIG_DIR = Path(__file__).parent / "configs"


class ConfigError(UserError, ValueError):
    """An invalid training configuration."""


@dataclass
class PPOConfig:
    """PPO hyper-parameters (CleanRL names)."""

    num_worlds: int = 128  # simulated worlds stepped together
    rollout_steps: int = 32  # steps per world between updates
    learning_rate: float = 5e-4
    anneal_lr: bool = False
    gamma: float = 0.97
    gae_lambda: float = 0.9
    update_epochs: int = 3
    minibatch_size: int = 1024
    clip_coef: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    norm_adv: bool = True


@dataclass
class PolicyConfig:
    """Which network, and its constructor options (see ``npc.checkpoint.ARCHITECTURES``)."""

    arch: str = "transformer"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class OpponentConfig:
    """Who the learner plays against."""

    scripted_fraction: float = 1.0  # share of worlds against the scripted NPC; the rest self-play
    snapshot_every: int = 20  # updates between frozen snapshots of the learner
    snapshot_pool: int = 5  # most recent snapshots kept
    # Show the scripted NPC the simulator's navigator output, which it then follows (as in
    # the game and `main.py eval --suite`). Off: it plays its patch-only fallback (what the
    # shipped NPC trained against), and the simulator skips the navigator, whose output
    # nothing else in training reads (same episodes, faster steps).
    scripted_nav: bool = False


@dataclass
class Phase:
    """One curriculum phase: until ``until`` agent steps, these level changes apply.

    ``spawns`` maps a faction to spawn-group fields (``hp``, ``count``, ``atk``, ...)
    applied to every group of that faction; ``params`` is deep-merged into the level
    parameters as written in a level TOML (lists are replaced).
    """

    until: int = 0
    spawns: dict[str, dict[str, Any]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


#: Item attributes that loot randomisation widens, and those of them allowed below 0.
RANDOMISED_ATTRIBUTES = ("damage_min", "damage_max", "range", "heal", "buff_atk", "buff_def", "buff_turns")
SIGNED_ATTRIBUTES = ("heal", "buff_atk", "buff_def")


@dataclass
class LootRandomisation:
    """Domain randomisation of loot: each kind's attribute ranges are widened.

    Every integer attribute range ``[lo, hi]`` of a kind with a non-zero value becomes
    ``[max(floor, lo - s), hi + s]``, where ``s`` is ``spreads[attribute]`` if given,
    else ``spread``, so that items keep their category but their values vary from item
    to item; the policy must read attributes to judge them. The floor is 0 (1 for
    ``buff_turns``) except for :data:`SIGNED_ATTRIBUTES`, which may turn negative: a
    wide ``heal`` spread makes some health potions poison.
    """

    enabled: bool = False
    spread: int = 2
    spreads: dict[str, int] = field(default_factory=dict)

    def spread_of(self, attribute: str) -> int:
        """The widening of ``attribute``'s range."""
        return self.spreads.get(attribute, self.spread)


@dataclass
class GamesConfig:
    """Training over the procedural game distribution (``levels/distribution.py``).

    Off by default: the run trains on ``params``. When enabled, the run trains on one
    sampled game at a time: during its ``k``-th block of ``every`` learner agent steps,
    on game ``levels.distribution.training_seed(first + k)`` drawn within ``knobs``
    (keys of :class:`levels.knobs.GameKnobs`; empty: the defaults), its simulator and
    level pool rebuilt at each switch as for a curriculum phase, whose changes apply
    on top of the game. Training seeds lie above the held-out games' (docs/heldout-games/).
    Evaluation during training still uses ``params``.
    """

    enabled: bool = False
    every: int = 200_000
    first: int = 0
    knobs: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalConfig:
    """Periodic evaluation during training."""

    every: int = 0  # agent steps between evaluations (0: only at the end)
    episodes: int = 200
    num_worlds: int = 100


@dataclass
class TrainConfig:
    """Everything a training run needs besides the command line."""

    params: str = "arena"  # level preset name or TOML path
    learner_faction: str = "hero"
    total_steps: int = 2_000_000  # learner agent steps
    seed: int = 0
    threads: int = 2
    # Levels per simulator (generated lazily). A few hundred let PPO overfit the training
    # levels: evaluation on unseen levels fell ~0.07 behind (docs/training.md).
    pool_size: int = 16_384
    checkpoint_every: int = 200_000  # agent steps between checkpoints
    ppo: PPOConfig = field(default_factory=PPOConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    opponents: OpponentConfig = field(default_factory=OpponentConfig)
    curriculum: list[Phase] = field(default_factory=list)
    loot: LootRandomisation = field(default_factory=LootRandomisation)
    games: GamesConfig = field(default_factory=GamesConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def _convert(cls: type, data: Any, where: str, source: str) -> Any:
    """Build dataclass ``cls`` from a TOML table, refusing unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {where or 'config'}: expected a table")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    values = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in names:
            raise ConfigError(f"{source}: {path}: unknown key (known: {', '.join(sorted(names))})")
        values[key] = _value(hints[key], value, path, source)
    return cls(**values)


def _value(hint: Any, value: Any, path: str, source: str) -> Any:
    origin = getattr(hint, "__origin__", None)
    if dataclasses.is_dataclass(hint):
        return _convert(hint, value, path, source)
    if origin is list:
        (item,) = hint.__args__
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {path}: expected an array of tables")
        return [_value(item, v, f"{path}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {path}: expected a table")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {path}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {path}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{source}: {path}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{source}: {path}: expected a string, got {value!r}")
        return value
    return value


#: Inclusive upper bounds of counts and sizes (each allocates or loops in proportion).
UPPER_BOUNDS = {"total_steps": 10**13, "threads": 256, "pool_size": 10**7, "checkpoint_every": 10**13,
                "ppo.num_worlds": 65_536, "ppo.rollout_steps": 100_000, "ppo.update_epochs": 1000,
                "ppo.minibatch_size": 10**7, "eval.episodes": 10**7, "eval.num_worlds": 65_536,
                "eval.every": 10**13, "opponents.snapshot_every": 10**9, "opponents.snapshot_pool": 1000,
                "loot.spread": 1000, "games.every": 10**13, "games.first": 10**12}
#: Inclusive ranges of the PPO coefficients (all must be finite).
COEFFICIENT_RANGES = {"ppo.learning_rate": (1e-12, 1.0), "ppo.clip_coef": (1e-6, 10.0),
                      "ppo.ent_coef": (0.0, 100.0), "ppo.vf_coef": (0.0, 100.0),
                      "ppo.max_grad_norm": (1e-9, 1e6)}


def _lookup(cfg: TrainConfig, dotted: str) -> Any:
    value: Any = cfg
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _check_bounds(cfg: TrainConfig, source: str) -> None:
    """Upper bounds, finite coefficients, seed range and policy options."""
    from npc.checkpoint import policy_options_problem

    for name, high in UPPER_BOUNDS.items():
        value = _lookup(cfg, name)
        if value > high:
            raise ConfigError(f"{source}: {name}: {value} is above the limit {high}")
    for name, (low, high) in COEFFICIENT_RANGES.items():
        value = _lookup(cfg, name)
        if not math.isfinite(value) or not low <= value <= high:
            raise ConfigError(f"{source}: {name}: {value} is outside [{low:g}, {high:g}]")
    if cfg.seed > MAX_SEED:
        raise ConfigError(f"{source}: seed: {cfg.seed} is above the limit {MAX_SEED}")
    if cfg.checkpoint_every < 0 or cfg.eval.every < 0:
        raise ConfigError(f"{source}: checkpoint_every and eval.every must be non-negative")
    if cfg.opponents.snapshot_every < 1 or cfg.opponents.snapshot_pool < 1:
        raise ConfigError(f"{source}: opponents.snapshot_every and opponents.snapshot_pool must be at least 1")
    for i, phase in enumerate(cfg.curriculum):
        if phase.until < 0:
            raise ConfigError(f"{source}: curriculum[{i}].until: must be non-negative")
    problem = policy_options_problem(cfg.policy.arch, cfg.policy.options)
    if problem:
        raise ConfigError(f"{source}: policy.{problem if problem.startswith('unknown') else 'options.' + problem}")


def validate(cfg: TrainConfig, source: str) -> TrainConfig:
    """Range checks that types alone cannot express."""
    positive = {"total_steps": cfg.total_steps, "ppo.num_worlds": cfg.ppo.num_worlds,
                "ppo.rollout_steps": cfg.ppo.rollout_steps, "ppo.update_epochs": cfg.ppo.update_epochs,
                "ppo.minibatch_size": cfg.ppo.minibatch_size, "threads": cfg.threads,
                "pool_size": cfg.pool_size, "eval.episodes": cfg.eval.episodes,
                "eval.num_worlds": cfg.eval.num_worlds, "ppo.learning_rate": cfg.ppo.learning_rate}
    for name, value in positive.items():
        if value <= 0:
            raise ConfigError(f"{source}: {name}: must be positive, got {value}")
    _check_bounds(cfg, source)
    if not 0 <= cfg.opponents.scripted_fraction <= 1:
        raise ConfigError(f"{source}: opponents.scripted_fraction: must lie in [0, 1]")
    if not 0 < cfg.ppo.gamma <= 1 or not 0 <= cfg.ppo.gae_lambda <= 1:
        raise ConfigError(f"{source}: ppo.gamma and ppo.gae_lambda must lie in (0, 1]")
    if cfg.seed < 0:
        raise ConfigError(f"{source}: seed: must be non-negative")
    if cfg.loot.spread < 0:
        raise ConfigError(f"{source}: loot.spread: must be non-negative, got {cfg.loot.spread}")
    for name, value in cfg.loot.spreads.items():
        if name not in RANDOMISED_ATTRIBUTES:
            raise ConfigError(f"{source}: loot.spreads.{name}: not a randomised attribute "
                              f"(known: {', '.join(RANDOMISED_ATTRIBUTES)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{source}: loot.spreads.{name}: expected a non-negative integer, got {value!r}")
    _check_games(cfg, source)
    last = -1
    for i, phase in enumerate(cfg.curriculum):
        if phase.until <= last:
            raise ConfigError(f"{source}: curriculum[{i}].until: phases must end at increasing step counts")
        last = phase.until
    return cfg


def _check_games(cfg: TrainConfig, source: str) -> None:
    """``[games]``: a positive block length, a non-negative first slot, valid knobs."""
    if cfg.games.every < 1:
        raise ConfigError(f"{source}: games.every: must be positive, got {cfg.games.every}")
    if cfg.games.first < 0:
        raise ConfigError(f"{source}: games.first: must be non-negative, got {cfg.games.first}")
    try:
        knobs_from_dict(cfg.games.knobs, "games.knobs")
    except ParamError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def config_from_dict(data: dict[str, Any], source: str = "config") -> TrainConfig:
    """A checked :class:`TrainConfig` from parsed TOML."""
    return validate(_convert(TrainConfig, data, "", source), source)


def load_config(path: str | Path | None = None) -> TrainConfig:
    """Read a training config TOML (``None``: the shipped ``default.toml``)."""
    path = Path(path) if path is not None else CONFIG_DIR / "default.toml"
    def error(reason: str) -> ConfigError:
        return ConfigError(f"{path}: {reason}")

    text = read_user_text(path, error, missing="no such config file", limit=MAX_TEXT_BYTES)
    data = parse_toml(text, error)
    return config_from_dict(data, str(path))


def config_to_dict(cfg: TrainConfig) -> dict[str, Any]:
    """Plain data (for checkpoint metadata and run directories)."""
    return dataclasses.asdict(cfg)


def training_memory_problem(cfg: TrainConfig) -> str | None:
    """Why a run of ``cfg`` would exceed the memory budget (levels.limits), or None.

    Counts the training simulator (worlds and level pool), the evaluation simulator,
    and the rollout buffers: steps x worlds x agent slots x observation bytes, about
    three copies of which live during an update.
    """
    from levels.limits import OBS_BYTES, max_agents, memory_problem, world_bytes
    from levels.params import load_params

    params = load_params(cfg.params)
    p = cfg.ppo
    agents = max_agents(params)
    rollout = 3 * p.rollout_steps * p.num_worlds * agents * (OBS_BYTES + 64)
    total = (world_bytes(params, p.num_worlds, cfg.pool_size) + world_bytes(params, cfg.eval.num_worlds, 1)
             + rollout)
    return memory_problem(total, f"training on {params.name} ({p.num_worlds} worlds x {p.rollout_steps} "
                                 f"steps x {agents} agent slots, a pool of {cfg.pool_size} levels)")
