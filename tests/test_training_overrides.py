"""Any config key from the command line (--set), TensorBoard by default, the curve against steps."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest

from training import cli
from training.config import ConfigError, load_config
from training.overrides import apply_overrides, parse_value
from training.toy import FetchTask


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_values_are_toml_or_bare_strings():
    assert parse_value("3e-4") == pytest.approx(3e-4)
    assert parse_value("true") is True and parse_value("12") == 12
    assert parse_value("dungeon") == "dungeon" and parse_value('"a b"') == "a b"
    assert parse_value("[1, 2]") == [1, 2]


def test_any_key_can_be_overridden_at_any_depth():
    cfg = load_config()
    new = apply_overrides(cfg, ["ppo.learning_rate=3e-4", "params=dungeon", "eval.every=0",
                                "opponents.scripted_fraction=0.5", "policy.options.d=16"])
    assert new.ppo.learning_rate == pytest.approx(3e-4) and new.params == "dungeon"
    assert new.eval.every == 0 and new.opponents.scripted_fraction == 0.5
    assert new.policy.options["d"] == 16
    assert cfg.ppo.learning_rate != new.ppo.learning_rate  # the loaded config is untouched


@pytest.mark.parametrize(("item", "message"), [
    ("ppo.lr=3e-4", "unknown key 'ppo.lr' .*learning_rate"),
    ("ppo.learning_rate=fast", "ppo.learning_rate: expected a number"),
    ("ppo.num_worlds=0", "ppo.num_worlds: must be positive"),
    ("ppo.learning_rate.x=1", "is a value, not a table"),
    ("no_equals_sign", "expected KEY=VALUE"),
])
def test_bad_overrides_are_one_line_config_errors(item, message):
    with pytest.raises(ConfigError, match=message) as err:
        apply_overrides(load_config(), [item])
    assert "\n" not in str(err.value)


def test_train_cli_set_exits_2_on_a_bad_key(tmp_path: Path, capsys):
    import main

    code = main.main(["train", "--out", str(tmp_path / "run"), "--set", "ppo.nope=1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "ppo.nope" in err
    assert not (tmp_path / "run").exists()


def test_a_run_applies_set_writes_tensorboard_and_names_its_win_rates(tmp_path: Path):
    out = tmp_path / "run"
    config = tmp_path / "toy.toml"
    config.write_text("""
params = "arena"
total_steps = 1000
threads = 1
[ppo]
num_worlds = 16
rollout_steps = 16
minibatch_size = 128
update_epochs = 1
[policy]
arch = "transformer"
options = { d = 16, heads = 2, layers = 1, patch_grid = 0 }
[eval]
every = 0
episodes = 10
num_worlds = 10
""")
    args = _parse(["train", "--config", str(config), "--out", str(out), "--no-progress",
                   "--set", "ppo.learning_rate=1e-3", "--set", "eval.episodes=12"])
    assert cli.run_train(args, sim_factory=lambda p, b, s: FetchTask(b, s), base="toy") == 0
    saved = load_config(out / "config.toml")
    assert saved.ppo.learning_rate == pytest.approx(1e-3) and saved.eval.episodes == 12
    events = list((out / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert "train_win_rate" in rows[0] and "win_rate" not in rows[0]
    assert any(r["eval_win_rate"] for r in rows) and rows[-1]["eval_episodes"] == "12"
