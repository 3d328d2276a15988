"""The committed held-out games (docs/heldout-games/) and the ``levels sample-games`` command."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

import main
from levels.distribution import sample_game
from levels.game_files import MAX_GAMES, game_file_name
from levels.generate import generate
from levels.params import load_params, params_from_dict
from tests.test_cli import PNG_SIGNATURE, REPO, assert_user_error, run

HELDOUT = REPO / "docs" / "heldout-games"


@pytest.fixture
def sample(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """``main.py levels sample-games ARGS`` in this process, as a completed process."""
    monkeypatch.setenv("COLUMNS", "80")

    def call(*args: str | Path) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        argv = ["levels", "sample-games", *map(str, args)]
        code = main.main(argv)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, out, err)

    return call


def _readme_command() -> list[str]:
    """The arguments after ``main.py`` of the command the README says made the set."""
    text = (HELDOUT / "README.md").read_text()
    match = re.search(r"^python main\.py (levels sample-games .*)$", text, re.MULTILINE)
    assert match, "docs/heldout-games/README.md gives no command"
    return match[1].split()


def test_the_readme_command_reproduces_the_held_out_files_byte_for_byte(tmp_path: Path) -> None:
    args = _readme_command()
    out = args.index("--out")
    assert args[out + 1] == "docs/heldout-games"
    args[out + 1] = str(tmp_path / "again")
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    committed = sorted(p.name for p in HELDOUT.glob("*.toml"))
    assert len(committed) == 20
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == committed
    for name in committed:
        assert (tmp_path / "again" / name).read_bytes() == (HELDOUT / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(p.name for p in HELDOUT.glob("*.toml")))
def test_each_held_out_game_loads_and_generates(name: str) -> None:
    params = load_params(HELDOUT / name)
    seed = int(name.removeprefix("game-").removesuffix(".toml"))
    assert params == sample_game(seed)
    level = generate(params, 0)
    assert level.floor_count == params.floors.count
    assert set(level.goals) == set(params.factions)


def test_sample_games_writes_files_that_load_as_the_sampled_games(sample, tmp_path: Path) -> None:
    proc = sample("--count", "3", "--seed", "1000000", "--out", tmp_path / "g",
                    "--png", tmp_path / "sheet.png")
    assert proc.returncode == 0, proc.stderr
    assert "wrote 3 game(s)" in proc.stdout
    for seed in range(1_000_000, 1_000_003):
        path = tmp_path / "g" / game_file_name(seed)
        text = path.read_text()
        assert text.startswith(f"# Game {seed} of Mindcrawl's game distribution")
        assert params_from_dict(tomllib.loads(text)) == sample_game(seed)
    assert (tmp_path / "sheet.png").read_bytes().startswith(PNG_SIGNATURE)
    assert not list((tmp_path / "g").glob(".*.tmp"))  # no temporaries left behind


def test_sample_games_refuses_to_overwrite_without_force(sample, tmp_path: Path) -> None:
    out = tmp_path / "g"
    out.mkdir()
    mine = out / game_file_name(1)
    mine.write_text("my edits\n")
    proc = sample("--count", "3", "--out", out)
    assert_user_error(proc, "game-1.toml: already exists", "--force")
    assert mine.read_text() == "my edits\n"
    assert not (out / game_file_name(0)).exists()  # nothing written at all
    proc = sample("--count", "3", "--out", out, "--force")
    assert proc.returncode == 0, proc.stderr
    assert mine.read_text().startswith("# Game 1 ")


def test_sample_games_knobs_file_bounds_the_games(sample, tmp_path: Path) -> None:
    knobs = tmp_path / "knobs.toml"
    knobs.write_text('width = [16, 16]\nheight = [14, 14]\nfloors = [2, 2]\ngenerators = ["maze"]\n'
                     "preset_chance = 0.0\n")
    proc = sample("--count", "2", "--out", tmp_path / "g", "--knobs", knobs)
    assert proc.returncode == 0, proc.stderr
    params = load_params(tmp_path / "g" / game_file_name(0))
    assert (params.floors.width, params.floors.height, params.floors.count) == (16, 14, 2)
    assert "custom knobs" in (tmp_path / "g" / game_file_name(0)).read_text().splitlines()[0]


@pytest.mark.parametrize(("args", "fragments"), [
    (["--count", "0"], ["--count", "at least 1"]),
    (["--count", str(MAX_GAMES + 1)], ["--count", f"1 to {MAX_GAMES}"]),
    (["--count", "2", "--seed", str(2**62)], ["--seed", "past the largest seed"]),
    (["--count", "two"], ["--count"]),
    (["--count", "1", "--seed", "-3"], ["--seed"]),
])
def test_sample_games_bad_numbers_are_one_line_errors(sample, tmp_path: Path, args: list[str],
                                                      fragments: list[str]) -> None:
    proc = sample("--out", tmp_path / "g", *args)
    assert_user_error(proc, *fragments)
    assert not (tmp_path / "g").exists()


def test_sample_games_bad_knobs_and_out_paths_are_one_line_errors(sample, tmp_path: Path) -> None:
    knobs = tmp_path / "knobs.toml"
    knobs.write_text("width = [40, 20]\n")
    assert_user_error(sample("--count", "1", "--out", tmp_path / "g",
                               "--knobs", knobs), "knobs.toml: width: expected [low, high] with low <= high")
    assert_user_error(sample("--count", "1", "--out", tmp_path / "g",
                               "--knobs", tmp_path / "missing.toml"), "missing.toml", "not found")
    afile = tmp_path / "afile"
    afile.write_text("")
    assert_user_error(sample("--count", "1", "--out", afile), "not a directory")



def test_held_out_escape_and_fetch_games_are_solvable_in_time() -> None:
    """The full-knowledge test hero (monsters removed) meets the goal within each game's turn limit."""
    from game.oracle import play_goal

    played = 0
    for path in sorted(HELDOUT.glob("*.toml")):
        level = generate(load_params(path), 0)
        if level.goal_of("hero") not in ("escape", "fetch"):
            continue
        result = play_goal(level)
        assert result.won, f"{path.name}: {result.cause} after {result.turns} turns"
        played += 1
    assert played >= 5
