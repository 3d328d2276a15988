"""The command line, run as a user runs it: ``python main.py ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import levels
import main
from levels.cli import EXAMPLE_TOML
from levels.level import Level
from levels.params import LevelParams, params_from_dict, preset_names
from levels.render import CATEGORY_COLOURS, TILE_COLOURS, ascii_floor, render_floor_rgb
from levels.schema import describe
from levels.tiles import Tile

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "main.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FORCING = ("FORCE_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS")


def run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run ``main.py`` with output piped (not a terminal), as scripts and CI do."""
    env = {k: v for k, v in os.environ.items() if k not in _FORCING}
    env["COLUMNS"] = "80"
    return subprocess.run([sys.executable, str(MAIN), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def run_here(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Like :func:`run` but in this process (``main.main(argv)``): for the many variants."""
    for name in _FORCING:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "80")

    def call(*args: str | Path) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        code = main.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["main.py", *map(str, args)], code, out, err)

    return call


def assert_user_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit code 2, one line on stderr naming what is wrong, nothing else."""
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("mindcrawl: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout == ""


# ----------------------------------------------------------------------------- schema


def test_schema_lists_every_field_in_plain_text() -> None:
    proc = run("levels", "schema")
    assert proc.returncode == 0, proc.stderr
    lines = [line.strip() for line in proc.stdout.splitlines()]
    headings = {"table": "[{}]", "array of tables": "[[{}]]", "table of tables": "[{}.<name>]"}
    for row in describe(LevelParams):
        if row.type_name in headings:  # a table: its heading opens a section
            heading = headings[row.type_name].format(row.path)
            assert any(line.startswith(heading + "  ") for line in lines), heading
        else:  # a field: its full path on a line of its own
            assert row.path in lines, row.path
    words = " ".join(proc.stdout.split())  # long lines wrap at 80 columns
    for needle in ("floors.width", "loot.kinds.<name>.damage_min", "[[overrides]]",
                   "[factions.<name>.objective]", "[loot.kinds.<name>]", "8 .. 256",
                   "bsp | caves | drunkard | maze | arena", 'name = "crypt"'):
        assert needle in words, needle
    assert "\x1b[" not in proc.stdout


def test_schema_example_is_a_valid_parameter_file() -> None:
    params = params_from_dict(tomllib.loads(EXAMPLE_TOML))
    assert params.floors.count == 2
    assert params.floor_generation(1).generator == {"caves": 1.0}
    assert "dagger" in params.loot.all_kinds()


# ----------------------------------------------------------------------------- generate


def test_generate_writes_level_and_picture(tmp_path: Path) -> None:
    out, png = tmp_path / "x.json", tmp_path / "x.png"
    proc = run("levels", "generate", "--params", "dungeon", "--seed", "7", "--out", out, "--png", png)
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert Level.load(out) == levels.generate(levels.load_preset("dungeon"), 7)
    assert str(out) in proc.stdout


def test_generate_prints_every_floor(tmp_path: Path) -> None:
    params = tmp_path / "small.toml"
    params.write_text('name = "small"\n[floors]\ncount = 2\nwidth = 20\nheight = 14\n')
    proc = run("levels", "generate", "--params", params, "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    level = levels.generate(levels.load_params(params), 3)
    for f in range(2):
        assert f"floor {f} ({level.generators[f]})" in proc.stdout
        assert ascii_floor(level, f).plain in proc.stdout
    assert "@" in proc.stdout
    assert "\x1b[" not in proc.stdout
    assert list(tmp_path.iterdir()) == [params]  # nothing written


def test_generate_default_params_is_the_default_preset(run_here) -> None:
    proc = run_here("levels", "generate", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("dungeon, seed 1:")


# ----------------------------------------------------------------------------- bad input


BAD_PARAMS = {
    "too_narrow": ("[floors]\nwidth = 3\n", "floors.width"),
    "unknown_key": ("[floors]\nwidht = 40\n", "floors.widht"),
    "room_too_big": ("[floors]\nwidth = 12\nheight = 12\n[generation.rooms]\nmax_size = 20\n",
                     "generation.rooms.max_size"),
    "malformed": ("[floors\nwidth = 40\n", "not valid TOML"),
}


def test_bad_parameter_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "narrow.toml"
    path.write_text(BAD_PARAMS["too_narrow"][0])
    assert_user_error(run("levels", "check", path), "floors.width", str(path))


@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
def test_check_rejects_bad_parameter_file(tmp_path: Path, run_here, case: str) -> None:
    text, fragment = BAD_PARAMS[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    assert_user_error(run_here("levels", "check", path), fragment, str(path))


def test_missing_parameter_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    assert_user_error(run("levels", "generate", "--params", path), "file not found", str(path))


def test_unknown_preset_lists_the_presets(run_here) -> None:
    proc = run_here("levels", "generate", "--params", "nosuchpreset")
    assert_user_error(proc, "nosuchpreset", "dungeon")


@pytest.mark.parametrize("command", [("levels", "generate"), ("levels", "analyze", "--n", "2"), ("play",)])
def test_every_command_reports_bad_parameters_in_one_line(tmp_path: Path, run_here, monkeypatch,
                                                          command: tuple[str, ...]) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.toml"
    path.write_text("[generation.doors]\ndensity = 2.0\n")
    assert_user_error(run_here(*command, "--params", path), "generation.doors.density")
    assert list(tmp_path.iterdir()) == [path]  # no preview written


def test_unwritable_output_is_a_user_error(tmp_path: Path, run_here) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = run_here("levels", "generate", "--params", "arena", "--out", blocker / "x.json")
    assert_user_error(proc, "cannot write", str(blocker / "x.json"))


def test_usage_error_exits_2() -> None:
    proc = run("levels", "generate", "--seed", "-1")
    assert proc.returncode == 2
    # One line (issue 17), naming the command, the option and where the usage is.
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("mindcrawl: error: levels generate:")
    assert "--seed" in proc.stderr and "--help" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [
    ("levels", "generate", "--seed", "abc"),
    ("levels", "analyze", "--x", "nope"),
    ("levels", "analyze", "--n", "0"),
    ("levels", "frobnicate"),
    ("levels",),
    (),
])
def test_usage_errors_exit_2_in_process(run_here, args: tuple[str, ...]) -> None:
    proc = run_here(*args)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("mindcrawl: error: ")
    assert "--help" in proc.stderr


def test_axes_without_figure_is_an_error(run_here) -> None:
    assert_user_error(run_here("levels", "analyze", "--n", "1", "--x", "loops"), "--png")


# ----------------------------------------------------------------------------- check


def test_check_accepts_parameter_files_and_presets(tmp_path: Path, run_here) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(EXAMPLE_TOML)
    proc = run_here("levels", "check", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"ok: {path}: parameters 'crypt': 2 floor(s) of 48x32, bsp, caves")
    assert len(proc.stdout.splitlines()) == 1
    assert run_here("levels", "check", "labyrinth").stdout.startswith("ok: labyrinth: parameters")


def test_check_level_files(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    level = levels.generate("dungeon", 2)
    level.save(good)
    proc = run("levels", "check", good)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"ok: {good}: level dungeon, seed 2: 3 floor(s) of 48x32")

    truncated = tmp_path / "truncated.json"
    truncated.write_text(good.read_text()[:500])
    assert_user_error(run("levels", "check", truncated), str(truncated), "not valid JSON")

    cut = tmp_path / "cut.json"  # the stairs (down and up) become floor: the floors below are cut off
    data = level.to_dict()
    f, y, x = level.stairs_down()[0]
    for floor in (f, f + 1):
        row = data["floors"][floor][y]
        data["floors"][floor][y] = row[:x] + "." + row[x + 1:]
    cut.write_text(json.dumps(data))
    assert_user_error(run("levels", "check", cut), str(cut), "cannot be reached")


# ----------------------------------------------------------------------------- analyze, presets


def test_analyze_prints_summary_and_writes_files(tmp_path: Path) -> None:
    png, out = tmp_path / "er.png", tmp_path / "stats.json"
    proc = run("levels", "analyze", "--params", "arena", "--n", "6", "--seed", "4", "--png", png,
               "--json", out, "--x", "loops", "--y", "rooms")
    assert proc.returncode == 0, proc.stderr
    for metric in ("walkable_density", "linearity", "loops", "dead_ends", "path_ratio", "rooms",
                   "items_per_walkable"):
        assert metric in proc.stdout
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    data = json.loads(out.read_text())
    assert [row["seed"] for row in data["levels"]] == [4, 5, 6, 7, 8, 9]
    assert data["params_name"] == "arena"


def test_presets_lists_names_and_descriptions(run_here) -> None:
    proc = run_here("levels", "presets")
    assert proc.returncode == 0, proc.stderr
    for name in preset_names():
        assert name in proc.stdout
    assert "(default)" in proc.stdout


# ----------------------------------------------------------------------------- play


def test_play_headless_writes_a_screenshot(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "MINDCRAWL_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "play", "--preset", "arena", "--seed", "3", "--headless",
         "--frames", "30", "--keys", "w,e,w", "--screenshot", str(shot)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert shot.read_bytes().startswith(PNG_SIGNATURE)


# ----------------------------------------------------------------------------- pictures


def _hex(colour: str) -> list[int]:
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def test_render_floor_rgb_colours_tiles_and_items() -> None:
    level = levels.generate("dungeon", 5)
    px = 8
    img = render_floor_rgb(level, 0, px)
    assert img.shape == (level.height * px, level.width * px, 3)
    assert img.dtype == np.uint8
    assert img[0, 0].tolist() == _hex(TILE_COLOURS[Tile.WALL])  # the border is wall
    item = next(p for p in level.items if p.floor == 0)
    centre = img[item.y * px + px // 2, item.x * px + px // 2]
    assert centre.tolist() == _hex(CATEGORY_COLOURS[item.item.category])
    plain = np.argwhere(level.tiles[0] == Tile.FLOOR)
    occupied = {(p.y, p.x) for p in level.items if p.floor == 0}
    occupied |= {(s.y, s.x) for s in level.spawns if s.floor == 0}
    y, x = next(tuple(c) for c in plain if tuple(c) not in occupied)
    assert img[y * px + 1, x * px + 1].tolist() == _hex(TILE_COLOURS[Tile.FLOOR])


def test_ascii_floor_overlays_agents_and_items() -> None:
    level = levels.generate("dungeon", 5)
    rows = ascii_floor(level, 0).plain.split("\n")
    assert len(rows) == level.height and all(len(r) == level.width for r in rows)
    _f, y, x = level.entry
    assert rows[y][x] == "@"
    glyphs = {"melee": ")", "ranged": "}", "potion": "!", "key": "-"}
    spawned = {(s.y, s.x) for s in level.spawns if s.floor == 0}
    for p in level.items:
        if p.floor == 0 and (p.y, p.x) not in spawned:
            assert rows[p.y][p.x] == glyphs[p.item.category]
    tiles = level.floor_text(0)
    assert rows[0] == tiles[0]  # the outer wall row has no overlays
