"""Issue 17: every hostile file and argument is one line on stderr, exit code 2, no traceback.

One table per kind of input, each row a command line run through ``main.main`` (the
same entry point as ``python main.py``) against files built by :mod:`tests.hostile`.
The ids name the failure each row reproduces (docs/reliability.md counts them).
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

import main  # noqa: E402
from levels.tiles import TILE_CHARS, Tile  # noqa: E402
from tests import hostile as H  # noqa: E402

LOCKED = TILE_CHARS[Tile.DOOR_LOCKED]

HUGE_WORLD = """
[floors]
count = 16
width = 256
height = 256
""" + "".join("""
[[spawns]]
faction = "monsters"
count = [64, 64]
""" for _ in range(8))


def _params_files(d: Path) -> None:
    (d / "p").mkdir()
    (d / "p/dir.toml").mkdir()
    (d / "p/latin1.toml").write_bytes(b"name = \"caf\xe9\"\n")
    (d / "p/deep.toml").write_text(H.nested_toml(100_000))
    (d / "p/deep40.toml").write_text(H.nested_toml(40))
    (d / "p/nan.toml").write_text("[floors]\nwidth = nan\n")
    (d / "p/inf.toml").write_text("[loot]\ndensity = [0.1, inf]\n")
    (d / "p/bigint.toml").write_text("[floors]\nwidth = " + "9" * 5000 + "\n")
    (d / "p/big.toml").write_text("# padding\n" * 600_000)
    (d / "p/huge_world.toml").write_text(HUGE_WORLD)
    (d / "p/wide.toml").write_text("[floors]\nwidth = 100000\n")
    (d / "p/syntax.toml").write_text("[floors\n")


def _level_files(d: Path) -> None:
    (d / "l").mkdir()
    good = H.level_dict()
    H.write_json(d / "l/good.json", good)

    def variant(name: str, change: Any) -> None:
        data = H.deep_copy(good)
        change(data)
        H.write_json(d / f"l/{name}.json", data)

    wall = H.first_cell(good, "#")
    variant("spawn_on_wall", lambda g: g["spawns"][1].update(floor=0, y=wall[0], x=wall[1]))
    variant("two_spawns_one_cell", lambda g: g["spawns"][1].update(
        floor=g["spawns"][0]["floor"], y=g["spawns"][0]["y"], x=g["spawns"][0]["x"]))

    def item_in_wall(g: dict[str, Any]) -> None:
        g["items"][0].update(floor=0, y=wall[0], x=wall[1])

    variant("item_in_wall", item_in_wall)
    variant("max_hp_zero", lambda g: g["spawns"][1].update(max_hp=0))
    variant("max_hp_negative", lambda g: g["spawns"][1].update(max_hp=-5))
    variant("max_hp_2p40", lambda g: g["spawns"][1].update(max_hp=2**40))
    variant("atk_2p70", lambda g: g["spawns"][1].update(atk=2**70))
    variant("dex_negative", lambda g: g["spawns"][1].update(dex=-1))
    variant("damage_1e30", lambda g: g["items"][0].update(damage_max=10**30))
    variant("damage_float", lambda g: g["items"][0].update(damage_max=1e30))
    variant("heal_2p40", lambda g: g["items"][0].update(heal=2**40))
    variant("unknown_faction", lambda g: g["spawns"][1].update(faction="pirates"))
    variant("faction_not_string", lambda g: g["spawns"][1].update(faction=7))
    variant("seed_negative", lambda g: g.update(seed=-1))
    variant("seed_2p64", lambda g: g.update(seed=2**64))
    variant("seed_float", lambda g: g.update(seed=1e30))
    variant("entry_in_wall", lambda g: g.update(entry=[0, wall[0], wall[1]]))
    variant("entry_off_map", lambda g: g.update(entry=[0, 10**9, 0]))

    def stairs_down_last(g: dict[str, Any]) -> None:
        y, x = H.first_cell(g, ".", floor=len(g["floors"]) - 1)
        H.set_tile(g, len(g["floors"]) - 1, y, x, ">")

    variant("stairs_down_last_floor", stairs_down_last)

    def stairs_up_first(g: dict[str, Any]) -> None:
        y, x = H.first_cell(g, ".", floor=0)
        H.set_tile(g, 0, y, x, "<")

    variant("stairs_up_first_floor", stairs_up_first)
    def lock_id_huge(g: dict[str, Any]) -> None:  # a real locked door whose id overflows int16
        y, x = H.first_cell(g, ".", floor=0)
        H.set_tile(g, 0, y, x, LOCKED)
        g["locks"].append([0, y, x, 2**20])

    variant("lock_id_huge", lock_id_huge)
    variant("floors_not_list", lambda g: g.update(floors="#"))
    variant("spawn_items_not_list", lambda g: g["spawns"][0].update(items=5))
    (d / "l/deep.json").write_text(H.nested_json(100_000))
    (d / "l/nan.json").write_text((d / "l/good.json").read_text().replace('"seed": 2', '"seed": NaN'))
    (d / "l/infinity.json").write_text((d / "l/good.json").read_text().replace('"seed": 2', '"seed": Infinity'))
    (d / "l/bigint.json").write_text((d / "l/good.json").read_text().replace('"seed": 2', '"seed": ' + "9" * 5000))
    (d / "l/truncated.json").write_text((d / "l/good.json").read_text()[:300])
    (d / "l/latin1.json").write_bytes(b'{"format": "caf\xe9"}')


def _recording_files(d: Path) -> None:
    (d / "r").mkdir()
    good = H.recording_dict()
    H.write_json(d / "r/good.json", good)

    def variant(name: str, change: Any) -> None:
        data = H.deep_copy(good)
        change(data)
        H.write_json(d / f"r/{name}.json", data)

    variant("action_1e30", lambda r: r["actions"][0].__setitem__(0, 1e30))
    variant("action_big_int", lambda r: r["actions"][0].__setitem__(0, 10**30))
    variant("action_negative", lambda r: r["actions"][0].__setitem__(0, -1))
    variant("action_out_of_table", lambda r: r["actions"][0].__setitem__(0, 19))
    variant("action_string", lambda r: r["actions"][0].__setitem__(0, "w"))
    variant("row_too_short", lambda r: r["actions"][0].pop())
    variant("seed_infinity", lambda r: r.update(seed=float("inf")))
    variant("seed_negative", lambda r: r.update(seed=-3))
    variant("seed_2p64", lambda r: r.update(seed=2**64))
    variant("num_actions_1e9", lambda r: r.update(num_actions=10**9))
    variant("num_actions_negative", lambda r: r.update(num_actions=-5))
    variant("max_turns_zero", lambda r: r.update(max_turns=0))
    variant("max_turns_1e9", lambda r: r.update(max_turns=10**9))
    variant("more_turns_than_max", lambda r: r.update(max_turns=2))
    variant("agents_not_list", lambda r: r.update(agents="hero_0"))
    variant("checksums_short", lambda r: r["checksums"].pop())
    variant("checksum_negative", lambda r: r["checksums"].__setitem__(0, -1))
    variant("level_spawn_on_wall", lambda r: r["level"]["spawns"][1].update(
        y=H.first_cell(r["level"], "#")[0], x=H.first_cell(r["level"], "#")[1]))
    variant("level_missing", lambda r: r.pop("level"))
    variant("player_number", lambda r: r.update(player=3))
    variant("million_and_one_turns", lambda r: r.update(max_turns=10**6, actions=[[0, 0]] * (10**6 + 1),
                                                        checksums=[0] * (10**6 + 1)))
    (d / "r/deep.json").write_text(H.nested_json(50_000))
    (d / "r/nested_inside.json").write_text('{"format": "mindcrawl-recording", "x": ' + H.nested_json(500) + "}")
    (d / "r/latin1.json").write_bytes(b'{"format": "\xff"}')


def _checkpoint_files(d: Path) -> None:
    (d / "c").mkdir()
    good = H.good_checkpoint(d / "c/good.safetensors")
    for name, value in (("offsets_string", "x"), ("offsets_short", [1]), ("offsets_negative", [-1, 2]),
                        ("offsets_float", [0, 1e30]), ("offsets_null", None), ("offsets_reversed", [8, 0]),
                        ("offsets_huge", [0, 2**60])):
        H.with_header(good, d / f"c/{name}.safetensors",
                      lambda h, v=value: h[sorted(k for k in h if k != "__metadata__")[0]].update(data_offsets=v))
    H.with_header(good, d / "c/shape_string.safetensors",
                  lambda h: h[sorted(k for k in h if k != "__metadata__")[0]].update(shape="big"))
    H.with_header(good, d / "c/tensor_not_table.safetensors",
                  lambda h: h.update({sorted(k for k in h if k != "__metadata__")[0]: 5}))
    for name, value in (("metadata_list", []), ("metadata_string", "x"), ("metadata_number", 3)):
        H.with_header(good, d / f"c/{name}.safetensors", lambda h, v=value: h.update(__metadata__=v))
    H.with_header(good, d / "c/mindcrawl_not_json.safetensors",
                  lambda h: h["__metadata__"].update(mindcrawl="{nope"))
    H.with_header(good, d / "c/mindcrawl_nested.safetensors",
                  lambda h: h["__metadata__"].update(mindcrawl=H.nested_json(5000)))
    for name, value in (("num_actions_negative", -5), ("num_actions_1e9", 10**9), ("num_actions_string", "19"),
                        ("num_actions_bool", True), ("num_actions_float", 19.5)):
        H.with_meta(good, d / f"c/{name}.safetensors", lambda m, v=value: m.update(num_actions=v))
    H.with_meta(good, d / "c/arch_list.safetensors", lambda m: m.update(arch=["transformer"]))
    H.with_meta(good, d / "c/config_list.safetensors", lambda m: m.update(config=[1, 2]))
    H.with_meta(good, d / "c/config_d_huge.safetensors", lambda m: m["config"].update(d=100_000))
    H.with_meta(good, d / "c/training_list.safetensors", lambda m: m.update(training=[]))
    H.with_meta(good, d / "c/params_path.safetensors", lambda m: m.update(training={"params": "/etc/passwd"}))
    H.with_meta(good, d / "c/params_number.safetensors", lambda m: m.update(training={"params": 5}))
    H.with_meta(good, d / "c/params_dev_zero.safetensors", lambda m: m.update(training={"params": "/dev/zero"}))
    H.with_meta(good, d / "c/faction_number.safetensors",
                lambda m: m.update(training={"params": "arena", "learner_faction": 3}))
    H.with_tensor_values(good, d / "c/nan.safetensors", float("nan"))
    H.with_tensor_values(good, d / "c/inf.safetensors", float("inf"))
    (d / "c/truncated.safetensors").write_bytes(good.read_bytes()[:-100])
    (d / "c/empty.safetensors").write_bytes(b"")


def _save_files(d: Path) -> None:
    from game.ui.saved_game import save_game
    from tests.test_ui_saves import started

    for name in ("encrypted", "huge_member", "state_nested", "state_nan", "not_zip", "empty_zip", "dir"):
        (d / f"s/{name}").mkdir(parents=True)
    sim, rec = started()
    good = d / "s/good.mcsave"
    save_game(good, sim, {"run_id": "x"}, rec)
    H.encrypted_flag(good, d / "s/encrypted/save.mcsave")
    H.zip_of(d / "s/state_nested/save.mcsave", {"sim.npz": b"", "state.json": H.nested_json(5000).encode(),
                                                "recording.json": b"{}"})
    H.zip_of(d / "s/state_nan/save.mcsave", {"sim.npz": b"", "state.json": b'{"format": NaN}',
                                             "recording.json": b"{}"})
    (d / "s/not_zip/save.mcsave").write_bytes(b"PK\x03\x04 not really")
    H.zip_of(d / "s/empty_zip/save.mcsave", {})
    (d / "s/dir/save.mcsave").mkdir()
    # A zip whose central directory claims a member of 4 GiB (the outer directory is last: sim.npz
    # is a zip stored inside).
    data = bytearray(good.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (2**32 - 1).to_bytes(4, "little")
    (d / "s/huge_member/save.mcsave").write_bytes(bytes(data))


def _config_files(d: Path) -> None:
    (d / "t").mkdir()
    configs = {
        "d_negative": '[policy]\noptions = { d = -4 }',
        "heads_not_dividing": '[policy]\noptions = { d = 64, heads = 5 }',
        "d_huge": '[policy]\noptions = { d = 100000 }', "layers_huge": '[policy]\noptions = { layers = 100000 }',
        "heads_zero": '[policy]\noptions = { heads = 0 }', "option_unknown": '[policy]\noptions = { depth = 3 }',
        "option_string": '[policy]\noptions = { d = "64" }', "option_float": '[policy]\noptions = { d = 64.0 }',
        "held_not_bool": '[policy]\noptions = { held_tokens = 1 }', "arch_unknown": '[policy]\narch = "lstm"',
        "local_huge": '[policy]\noptions = { local = 99 }', "threads_huge": "threads = 100000",
        "lr_inf": "[ppo]\nlearning_rate = inf", "lr_nan": "[ppo]\nlearning_rate = nan",
        "lr_1e30": "[ppo]\nlearning_rate = 1e30", "lr_zero": "[ppo]\nlearning_rate = 0.0",
        "lr_negative": "[ppo]\nlearning_rate = -0.1", "gamma_two": "[ppo]\ngamma = 2.0",
        "clip_negative": "[ppo]\nclip_coef = -1.0", "grad_norm_zero": "[ppo]\nmax_grad_norm = 0.0",
        "ent_huge": "[ppo]\nent_coef = 1e9", "worlds_huge": "[ppo]\nnum_worlds = 1000000000",
        "rollout_huge": "[ppo]\nrollout_steps = 1000000000", "epochs_huge": "[ppo]\nupdate_epochs = 1000000000",
        "minibatch_zero": "[ppo]\nminibatch_size = 0", "seed_2p63": "seed = 9223372036854775807",
        "seed_negative": "seed = -1", "pool_huge": "pool_size = 1000000000000",
        "spread_huge": "[loot]\nspread = 1000000000", "snapshot_zero": "[opponents]\nsnapshot_every = 0",
        "scripted_two": "[opponents]\nscripted_fraction = 2.0", "curriculum_negative": "[[curriculum]]\nuntil = -5",
        "unknown_key": "speed = 3", "deep": H.nested_toml(100_000),
        "memory": "params = \"dungeon\"\npool_size = 10000000\n[ppo]\nnum_worlds = 65536\nrollout_steps = 100000",
    }
    for name, text in configs.items():
        (d / f"t/{name}.toml").write_text(text + "\n")
    (d / "t/latin1.toml").write_bytes(b"seed = 1 # \xe9\n")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of hostile files (see :mod:`tests.hostile`)."""
    d = tmp_path_factory.mktemp("hostile")
    for build in (_params_files, _level_files, _recording_files, _checkpoint_files, _save_files, _config_files):
        build(d)
    (d / "a_file").write_text("x")
    (d / "out_dir").mkdir()
    return d


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``main.main(argv)``; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    """Exit code 2, one ``mindcrawl: error:`` line naming what is wrong, no traceback."""
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mindcrawl: error: "), err
    assert "Traceback" not in out + err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


PLAY = ["play", "--headless", "--frames", "1"]
P_CASES = {
    "dev_zero": (["levels", "check", "/dev/zero"], "device"),
    "dev_zero_play": ([*PLAY, "--params", "/dev/zero"], "device"),
    "directory": (["levels", "check", "{d}/p/dir.toml"], "directory"),
    "missing": (["levels", "check", "{d}/p/missing.toml"], "not found"),
    "not_utf8": (["levels", "check", "{d}/p/latin1.toml"], "UTF-8"),
    "deep_nesting": (["levels", "check", "{d}/p/deep.toml"], "nested"),
    "nesting_40": (["levels", "check", "{d}/p/deep40.toml"], "nested"),
    "nan": (["levels", "check", "{d}/p/nan.toml"], "finite"),
    "inf": (["levels", "check", "{d}/p/inf.toml"], "finite"),
    "huge_integer": (["levels", "check", "{d}/p/bigint.toml"], "p/bigint.toml"),
    "oversized_file": (["levels", "check", "{d}/p/big.toml"], "limit"),
    "huge_world_check": (["levels", "check", "{d}/p/huge_world.toml"], "budget"),
    "huge_world_play": ([*PLAY, "--params", "{d}/p/huge_world.toml"], "budget"),
    "huge_world_train": (["train", "--params", "{d}/p/huge_world.toml", "--out", "{d}/run_hw"], "budget"),
    "width_out_of_schema": (["levels", "check", "{d}/p/wide.toml"], "floors.width"),
    "toml_syntax": (["levels", "check", "{d}/p/syntax.toml"], "not valid TOML"),
}
L_CASES = {name: (["levels", "check", f"{{d}}/l/{name}.json"], fragment) for name, fragment in {
    "spawn_on_wall": "wall tile", "two_spawns_one_cell": "already taken", "item_in_wall": "inside a wall",
    "max_hp_zero": "max_hp", "max_hp_negative": "max_hp", "max_hp_2p40": "max_hp", "atk_2p70": "atk",
    "dex_negative": "dex", "damage_1e30": "damage_max", "damage_float": "damage_max", "heal_2p40": "heal",
    "unknown_faction": "pirates", "faction_not_string": "faction", "seed_negative": "seed",
    "seed_2p64": "seed", "seed_float": "seed", "entry_in_wall": "entry", "entry_off_map": "entry",
    "stairs_down_last_floor": "last floor", "stairs_up_first_floor": "stairs up", "lock_id_huge": "lock id",
    "floors_not_list": "floors", "spawn_items_not_list": "spawns", "deep": "nested", "nan": "NaN",
    "infinity": "Infinity", "bigint": "JSON", "truncated": "not valid JSON", "latin1": "UTF-8",
}.items()}
L_CASES["level_missing_file"] = (["levels", "check", "{d}/l/none.json"], "not found")
R_CASES = {name: (["replay", f"{{d}}/r/{name}.json", "--gif", "{d}/out.gif"], fragment) for name, fragment in {
    "action_1e30": "actions[0]", "action_big_int": "actions[0]", "action_negative": "actions[0]",
    "action_out_of_table": "actions[0]", "action_string": "actions[0]", "row_too_short": "actions[0]",
    "seed_infinity": "Infinity", "seed_negative": "seed", "seed_2p64": "seed", "num_actions_1e9": "num_actions",
    "num_actions_negative": "num_actions", "max_turns_zero": "max_turns", "max_turns_1e9": "max_turns",
    "more_turns_than_max": "at most max_turns", "agents_not_list": "agents", "checksums_short": "checksums",
    "checksum_negative": "checksums", "level_spawn_on_wall": "wall tile", "level_missing": "level",
    "player_number": "player", "million_and_one_turns": "at most max_turns (1000000)", "deep": "nested",
    "nested_inside": "nested", "latin1": "UTF-8",
}.items()}
C_CASES = {name: (["eval", f"{{d}}/c/{name}.safetensors", "--episodes", "1"], fragment) for name, fragment in {
    "offsets_string": "data_offsets", "offsets_short": "data_offsets", "offsets_negative": "data_offsets",
    "offsets_float": "data_offsets", "offsets_null": "data_offsets", "offsets_reversed": "data_offsets",
    "offsets_huge": "data_offsets", "shape_string": "shape", "tensor_not_table": "malformed",
    "metadata_list": "__metadata__", "metadata_string": "__metadata__", "metadata_number": "__metadata__",
    "mindcrawl_not_json": "not valid JSON", "mindcrawl_nested": "nested", "num_actions_negative": "num_actions",
    "num_actions_1e9": "num_actions", "num_actions_string": "num_actions", "num_actions_bool": "num_actions",
    "num_actions_float": "num_actions", "arch_list": "architecture", "config_list": "config",
    "config_d_huge": "d: 100000", "training_list": "training", "params_path": "not a shipped preset",
    "params_number": "training.params", "params_dev_zero": "not a shipped preset",
    "faction_number": "learner_faction", "nan": "NaN", "inf": "NaN or infinite", "truncated": "truncated",
    "empty": "too short",
}.items()}
C_CASES["nan_play"] = ([*PLAY, "--preset", "arena", "--checkpoint", "{d}/c/nan.safetensors"], "NaN")
C_CASES["nan_opponent"] = (["eval", "{d}/c/good.safetensors", "--opponent", "{d}/c/nan.safetensors",
                            "--episodes", "1"], "NaN")
C_CASES["checkpoint_dir"] = (["eval", "{d}/c", "--episodes", "1"], "directory")
#: Hostile save files: the game logs these and plays on (tests/test_hostile_game.py runs them).
S_CASES = {"encrypted": "encrypted", "huge_member": "claims", "state_nested": "nested", "state_nan": "NaN",
           "not_zip": "not a Mindcrawl game save", "empty_zip": "not a Mindcrawl game save", "dir": "directory"}
T_CASES = {name: (["train", "--config", f"{{d}}/t/{name}.toml", "--out", f"{{d}}/run_{name}"], fragment)
           for name, fragment in {
    "d_negative": "options.d", "heads_not_dividing": "multiple of heads", "d_huge": "options.d",
    "layers_huge": "options.layers", "heads_zero": "options.heads", "option_unknown": "depth",
    "option_string": "options.d", "option_float": "options.d", "held_not_bool": "held_tokens",
    "arch_unknown": "lstm", "local_huge": "options.local", "threads_huge": "threads", "lr_inf": "finite",
    "lr_nan": "finite", "lr_1e30": "learning_rate", "lr_zero": "learning_rate", "lr_negative": "learning_rate",
    "gamma_two": "gamma", "clip_negative": "clip_coef", "grad_norm_zero": "max_grad_norm", "ent_huge": "ent_coef",
    "worlds_huge": "num_worlds", "rollout_huge": "rollout_steps", "epochs_huge": "update_epochs",
    "minibatch_zero": "minibatch_size", "seed_2p63": "seed", "seed_negative": "seed", "pool_huge": "pool_size",
    "spread_huge": "loot.spread", "snapshot_zero": "snapshot", "scripted_two": "scripted_fraction",
    "curriculum_negative": "curriculum", "unknown_key": "speed", "deep": "nested", "memory": "budget",
    "latin1": "UTF-8",
}.items()}
BIG = "18446744073709551616"
A_CASES = {
    "play_seed_2p64": ([*PLAY, "--seed", BIG], "--seed"),
    "eval_seed_2p64": (["eval", "{d}/c/good.safetensors", "--seed", BIG], "--seed"),
    "train_seed_2p64": (["train", "--seed", BIG, "--out", "{d}/run_seed"], "--seed"),
    "generate_seed_2p64": (["levels", "generate", "--seed", BIG], "--seed"),
    "seed_5000_digits": ([*PLAY, "--seed", "9" * 5000], "--seed"),
    "size_huge": ([*PLAY, "--size", "100000x100000"], "--size"),
    "size_tiny": ([*PLAY, "--size", "1x1"], "--size"),
    "size_garbage": ([*PLAY, "--size", "axb"], "--size"),
    "episodes_huge": (["eval", "{d}/c/good.safetensors", "--episodes", "1000000000000"], "--episodes"),
    "episodes_zero": (["eval", "{d}/c/good.safetensors", "--episodes", "0"], "--episodes"),
    "workers_huge": (["train", "--backend", "ray", "--workers", "100000", "--out", "{d}/run_w"], "workers"),
    "frames_negative": ([*PLAY, "--frames", "-1"], "--frames"),
    "steps_zero": (["train", "--steps", "0", "--out", "{d}/run_s"], "--steps"),
    "keys_unknown": ([*PLAY, "--keys", "nosuchkey"], "--keys"),
    "unknown_preset": ([*PLAY, "--preset", "nope"], "nope"),
    "scenario_nested": (["nav-bench", "--scenarios", "{d}/l/deep.json"], "nested"),
    "scenario_not_utf8": (["nav-bench", "--scenarios", "{d}/l/latin1.json"], "UTF-8"),
}
O_CASES = {
    "screenshot_directory": ([*PLAY, "--preset", "arena", "--screenshot", "{d}/out_dir"], "directory"),
    "screenshot_parent_is_file": ([*PLAY, "--preset", "arena", "--screenshot", "{d}/a_file/shot.png"],
                                  "a_file/shot.png"),
    "screenshot_device": ([*PLAY, "--preset", "arena", "--screenshot", "/dev/full"], "not a regular file"),
    "gif_directory": (["replay", "{d}/r/good.json", "--gif", "{d}/out_dir"], "directory"),
    "gif_parent_is_file": (["replay", "{d}/r/good.json", "--gif", "{d}/a_file/run.gif"], "a_file/run.gif"),
    "eval_json_directory": (["eval", "{d}/c/good.safetensors", "--episodes", "1", "--json", "{d}/out_dir"],
                            "directory"),
    "eval_json_parent_is_file": (["eval", "{d}/c/good.safetensors", "--episodes", "1", "--json",
                                  "{d}/a_file/e.json"], "a_file"),
    "train_out_is_file": (["train", "--out", "{d}/a_file", "--steps", "1"], "a_file"),
    "generate_out_directory": (["levels", "generate", "--out", "{d}/out_dir"], "directory"),
    "generate_png_device": (["levels", "generate", "--png", "/dev/full"], "not a regular file"),
}
CASES = {f"params-{k}": v for k, v in P_CASES.items()} | {f"level-{k}": v for k, v in L_CASES.items()} | \
    {f"recording-{k}": v for k, v in R_CASES.items()} | {f"checkpoint-{k}": v for k, v in C_CASES.items()} | \
    {f"config-{k}": v for k, v in T_CASES.items()} | \
    {f"argument-{k}": v for k, v in A_CASES.items()} | {f"output-{k}": v for k, v in O_CASES.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_is_one_line_exit_2(case: str, files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv, fragment = CASES[case]
    code, out, err = run_cli([a.replace("{d}", str(files)) for a in argv], capsys)
    assert_one_line_error(code, out, err, fragment)
    assert Path("/dev/full").is_char_device()  # never replaced by a rename


def test_the_valid_files_the_table_breaks_are_accepted(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The tables are not vacuous: the unbroken originals load."""
    for argv in (["levels", "check", f"{files}/l/good.json"],):
        code, out, err = run_cli(argv, capsys)
        assert code == 0 and out.startswith("ok:"), err
    from game.ui.recording import Recording
    from game.ui.saved_game import load_game
    from npc.checkpoint import load_checkpoint

    assert Recording.load(files / "r/good.json").turns == 3
    assert load_checkpoint(files / "c/good.safetensors")[0].num_actions == 19
    assert load_game(files / "s/good.mcsave").recording.turns == 3
