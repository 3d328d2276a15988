"""Sampled games as files: parameter TOML files and a contact sheet of their first floors.

``main.py levels sample-games`` writes game ``seed + i`` for ``i < count`` as
``game-<seed>.toml`` (what the sampler drew; the loader fills every other field with its
default). Every file is validated before any is written, written atomically, and
existing files are refused unless ``force`` is given.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from levels.common.errors import UserError
from levels.common.files import atomic_write_text, write_via_buffer
from levels.distribution import sample_game_document
from levels.knobs import GameKnobs
from levels.limits import MAX_SEED
from levels.params import LevelParams, params_from_dict
from levels.toml_text import dumps

#: Most games one command writes.
MAX_GAMES = 10_000
#: Most panels on one contact sheet (the first games of the batch).
MAX_SHEET_PANELS = 64


def game_file_name(seed: int) -> str:
    """The file name of game ``seed``."""
    return f"game-{seed}.toml"


def game_toml(seed: int, knobs: GameKnobs | None = None) -> str:
    """The parameter file of game ``seed``: a comment naming how it was made, then the document."""
    which = "default knobs" if knobs is None or knobs == GameKnobs() else "custom knobs (--knobs)"
    header = (f"Game {seed} of Mindcrawl's game distribution (levels/distribution.py, {which}).\n"
              f"Made by: main.py levels sample-games --seed {seed} --count 1 --out DIR")
    return dumps(sample_game_document(seed, knobs), header)


def check_batch(seed: int, count: int) -> None:
    """Refuse a batch outside ``1 <= count <= MAX_GAMES`` or past :data:`MAX_SEED`."""
    if not 1 <= count <= MAX_GAMES:
        raise UserError(f"--count: expected 1 to {MAX_GAMES} games, got {count}")
    if seed + count - 1 > MAX_SEED:
        raise UserError(f"--seed: {seed} + {count} games goes past the largest seed {MAX_SEED}")


def write_games(seed: int, count: int, out: str | Path, knobs: GameKnobs | None = None,
                force: bool = False) -> list[tuple[Path, LevelParams]]:
    """Write games ``seed .. seed + count - 1`` into ``out``; returns each path and its parameters.

    Nothing is written when any file exists (unless ``force``) or any game fails
    validation; each file is written atomically (temporary file, fsync, rename).
    """
    check_batch(seed, count)
    directory = Path(out)
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory}: exists and is not a directory")
    paths = [directory / game_file_name(seed + i) for i in range(count)]
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise UserError(f"{existing[0]}: already exists{more}; add --force to overwrite")
    texts = [game_toml(seed + i, knobs) for i in range(count)]
    games = [(path, _validated(path, text)) for path, text in zip(paths, texts, strict=True)]
    for (path, _params), text in zip(games, texts, strict=True):
        atomic_write_text(path, text)
    return games


def _validated(path: Path, text: str) -> LevelParams:
    try:
        return params_from_dict(tomllib.loads(text))
    except UserError as exc:  # a sampler bug: say which game
        raise UserError(f"{path}: the sampled game is not valid: {exc}") from None


def write_contact_sheet(games: list[tuple[Path, LevelParams]], path: str | Path, level_seed: int = 0) -> int:
    """A PNG of the first floor of each game's level ``level_seed``; returns the panels drawn."""
    from matplotlib.figure import Figure  # heavy: only when a picture is wanted

    from levels.generate import generate
    from levels.render import render_floor_rgb

    shown = games[:MAX_SHEET_PANELS]
    ncols = min(len(shown), 5)
    nrows = math.ceil(len(shown) / ncols)
    fig = Figure(figsize=(3.2 * ncols, 3.0 * nrows), dpi=100, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, (_file, params) in zip(axes, shown, strict=False):
        level = generate(params, level_seed)
        ax.imshow(render_floor_rgb(level, 0, 4), interpolation="nearest")
        goals = ", ".join(f"{f}: {g}" for f, g in level.goals.items())
        ax.set_title(f"{params.name}: {level.floor_count} floor(s) of {level.width}x{level.height}\n{goals}",
                     fontsize="small")
    fig.suptitle(f"Sampled games (floor 0 of level seed {level_seed})")
    write_via_buffer(path, lambda buffer: fig.savefig(buffer, format="png", dpi=100))
    return len(shown)
