"""The train and eval commands, on the tiny fetch task (the real simulator is tested elsewhere)."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

from levels.common.errors import UserError
from npc.checkpoint import load_checkpoint, read_metadata
from training import cli, run
from training.evaluate import wilson_interval
from training.toy import FetchTask


def _factory(params, num_worlds, seed):
    return FetchTask(num_worlds, seed)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def _toy_config(tmp_path: Path, steps: int = 3000) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(f"""
params = "arena"
total_steps = {steps}
threads = 1
checkpoint_every = 1000
[ppo]
num_worlds = 32
rollout_steps = 16
minibatch_size = 256
update_epochs = 2
[policy]
arch = "transformer"
options = {{ d = 16, heads = 2, layers = 1, patch_grid = 0 }}
[opponents]
scripted_fraction = 1.0
[eval]
every = 1500
episodes = 20
num_worlds = 10
""")
    return path


def test_train_writes_a_run_directory_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = _toy_config(tmp_path)
    args = _parse(["train", "--config", str(config), "--out", str(out), "--no-progress", "--seed", "3"])
    assert cli.run_train(args, sim_factory=_factory, base="toy") == 0
    for name in ("config.toml", "metrics.csv", "curve.png", "policy.safetensors", "state.safetensors",
                 "best.safetensors", "eval.json"):
        assert (out / name).exists(), name
    meta = read_metadata(out / "policy.safetensors")
    assert meta["training"]["seed"] == 3 and "train" in meta["training"]["command"]
    assert meta["training"]["stats"]["steps"] >= 3000
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert rows and any(r["eval_win_rate"] for r in rows)
    # Refuses to overwrite, then resumes to a larger step count.
    with pytest.raises(UserError, match="already holds a training run"):
        cli.run_train(_parse(["train", "--config", str(config), "--out", str(out)]), sim_factory=_factory, base="toy")
    steps_before = meta["training"]["stats"]["steps"]
    resume = _parse(["train", "--resume", str(out), "--steps", "5000", "--no-progress"])
    assert cli.run_train(resume, sim_factory=_factory, base="toy") == 0
    after = read_metadata(out / "policy.safetensors")["training"]["stats"]
    assert after["steps"] >= 5000 > steps_before
    assert after["iterations"] > meta["training"]["stats"]["iterations"]


def test_ctrl_c_saves_and_exits_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    args = _parse(["train", "--config", str(_toy_config(tmp_path, 10**6)), "--out", str(out), "--no-progress"])
    calls = {"n": 0}
    original = run.TrainRun.step

    def interrupted(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(run.TrainRun, "step", interrupted)
    assert cli.run_train(args, sim_factory=_factory, base="toy") == run.EXIT_INTERRUPTED
    net, meta = load_checkpoint(out / "policy.safetensors")
    assert meta["training"]["stats"]["iterations"] == 2
    assert (out / "state.safetensors").exists()


def test_eval_prints_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cli.run_train(_parse(["train", "--config", str(_toy_config(tmp_path, 1000)), "--out", str(out),
                          "--no-progress"]), sim_factory=_factory, base="toy")
    report = tmp_path / "eval.json"
    args = _parse(["eval", str(out / "policy.safetensors"), "--episodes", "30", "--json", str(report),
                   "--opponent", str(out / "policy.safetensors")])
    assert cli.run_eval(args, sim_factory=_factory) == 0
    data = json.loads(report.read_text())
    assert data["episodes"] == 30 and data["wins"] + data["losses"] + data["draws"] == 30
    lo, hi = data["ci95"]
    assert lo <= data["win_rate"] <= hi
    assert data["seed_domain"].startswith("evaluation")


def test_bad_command_lines_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a resumable"):
        cli.run_train(_parse(["train", "--resume", str(tmp_path)]))
    with pytest.raises(UserError, match="--steps must be positive"):
        cli.run_train(_parse(["train", "--steps", "0", "--out", str(tmp_path / "x")]))
    with pytest.raises(UserError, match="no such checkpoint"):
        cli.run_eval(_parse(["eval", str(tmp_path / "missing.safetensors")]))
    with pytest.raises(UserError, match="episodes must be positive"):
        cli.run_eval(_parse(["eval", "x", "--episodes", "0"]))


def test_wilson_interval() -> None:
    lo, hi = wilson_interval(80, 100)
    assert 0.71 < lo < 0.72 and 0.86 < hi < 0.87
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)


def test_progress_bar_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = _parse(["train", "--config", str(_toy_config(tmp_path, 600)), "--out", str(out)])
    assert cli.run_train(args, sim_factory=_factory, base="toy") == 0
    assert read_metadata(out / "policy.safetensors")["training"]["command"].startswith("python main.py train")
