"""Command-line overrides of any training-config key: ``--set ppo.learning_rate=3e-4``.

A key is the dotted path of a config field (``total_steps``, ``ppo.num_worlds``,
``eval.every``, ``policy.options.d_model``, ``curriculum.0.until``); a value is read as a
TOML value (``3e-4``, ``true``, ``"dungeon"``, ``[1, 2]``), and a bare word that is not
TOML is taken as a string (``--set params=dungeon``). The overridden config goes through
the same checks as a config file, so a wrong type or range is refused with the config
loader's one-line message; an unknown key is refused naming the keys that exist there.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from typing import Any

from training.config import ConfigError, TrainConfig, config_from_dict, config_to_dict

SOURCE = "--set"


def parse_value(text: str) -> Any:
    """A TOML value, or ``text`` itself when it is not one (a bare string)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set(data: Any, parts: list[str], value: Any, item: str) -> None:
    """Put ``value`` at ``parts`` inside ``data``, refusing paths that do not exist."""
    where: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        done = ".".join(parts[:depth]) or "the config"
        if isinstance(where, list):
            if not part.isdigit() or int(part) >= len(where):
                raise ConfigError(f"{SOURCE} {item}: {done} has {len(where)} entries, no index {part!r}")
            index: Any = int(part)
        elif isinstance(where, dict):
            # policy.options is free-form (its keys are checked by the policy), the rest is not.
            free = parts[:depth] == ["policy", "options"]
            if part not in where and not (free and last):
                known = ", ".join(sorted(where)) or "none"
                raise ConfigError(f"{SOURCE} {item}: unknown key {'.'.join(parts[:depth + 1])!r} "
                                  f"(keys in {done}: {known})")
            index = part
        else:
            raise ConfigError(f"{SOURCE} {item}: {done} is a value, not a table")
        if last:
            where[index] = value
        else:
            where = where[index]


def apply_overrides(cfg: TrainConfig, items: Sequence[str]) -> TrainConfig:
    """``cfg`` with every ``KEY=VALUE`` of ``items`` applied, checked like a config file."""
    if not items:
        return cfg
    data = config_to_dict(cfg)
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"{SOURCE} {item!r}: expected KEY=VALUE, e.g. ppo.learning_rate=3e-4")
        _set(data, key.split("."), parse_value(text.strip()), item)
    return config_from_dict(data, SOURCE)
