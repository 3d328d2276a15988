"""Issue 17: non-finite weights are never written, never loaded, never swapped into the game.

Training runs on the tiny fetch task of tests/test_training_cli.py; the hostile input
is a network poisoned with NaN or infinity, the state a diverged update leaves.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from levels.common.errors import UserError
from npc.checkpoint import NonFiniteWeightsError, build_policy, load_checkpoint, save_checkpoint
from tests.hostile import TINY, good_checkpoint, with_tensor_values
from tests.test_training_cli import _factory, _parse, _toy_config
from training import cli
from training.live.controller import LiveController
from training.live.weights import SharedWeights, flatten
from training.ppo import TrainingDivergedError, check_finite_update
from training.run import TrainRun

POISON = {"nan": float("nan"), "inf": float("inf"), "minus_inf": float("-inf")}


def _poisoned(value: float) -> torch.nn.Module:
    net = build_policy("transformer", 19, TINY)
    with torch.no_grad():
        next(iter(net.parameters()))[0].fill_(value)
    return net


@pytest.mark.parametrize("case", sorted(POISON))
def test_a_poisoned_network_is_never_written(case: str, tmp_path) -> None:
    path = good_checkpoint(tmp_path / "policy.safetensors")
    before = path.read_bytes()
    with pytest.raises(NonFiniteWeightsError, match="NaN or infinite"):
        save_checkpoint(path, _poisoned(POISON[case]))
    assert path.read_bytes() == before


@pytest.mark.parametrize("case", sorted(POISON))
def test_a_poisoned_checkpoint_is_never_loaded(case: str, tmp_path) -> None:
    bad = with_tensor_values(good_checkpoint(tmp_path / "good.safetensors"), tmp_path / "bad.safetensors",
                             POISON[case])
    with pytest.raises(UserError, match="NaN or infinite"):
        load_checkpoint(bad)


@pytest.mark.parametrize("case", sorted(POISON))
def test_the_update_check_stops_at_non_finite_weights_or_loss(case: str) -> None:
    good = build_policy("transformer", 19, TINY)
    check_finite_update(good, torch.tensor(1.0), 5e-4)
    with pytest.raises(TrainingDivergedError, match="weights"):
        check_finite_update(_poisoned(POISON[case]), torch.tensor(1.0), 5e-4)
    with pytest.raises(TrainingDivergedError, match="loss"):
        check_finite_update(good, torch.tensor(POISON[case]), 5e-4)


def test_a_diverged_run_stops_and_keeps_the_last_good_checkpoint(tmp_path) -> None:
    out = tmp_path / "run"
    config = _toy_config(tmp_path, steps=1000)
    args = _parse(["train", "--config", str(config), "--out", str(out), "--no-progress"])
    assert cli.run_train(args, sim_factory=_factory, base="toy") == 0
    saved = {name: (out / name).read_bytes() for name in ("policy.safetensors", "best.safetensors",
                                                         "state.safetensors")}
    resume = _parse(["train", "--resume", str(out), "--steps", "3000", "--no-progress"])
    cfg, run_dir, _ = cli._resolve_config(resume)
    from rich.console import Console

    run = TrainRun(cfg, run_dir, True, _factory, "toy", False, Console(), "train")
    with torch.no_grad():  # what a learning rate of 1e30 does to the weights
        next(iter(run.trainer.loop.net.parameters())).fill_(float("nan"))
    with pytest.raises(TrainingDivergedError, match="nothing was saved") as info:
        run.loop()
    assert "\n" not in str(info.value) and str(out) in str(info.value)
    for name, data in saved.items():
        assert (out / name).read_bytes() == data, name
    load_checkpoint(out / "policy.safetensors")


def test_resuming_a_finished_run_adds_no_duplicate_evaluation_row(tmp_path) -> None:
    out = tmp_path / "run"
    config = _toy_config(tmp_path, steps=1000)
    assert cli.run_train(_parse(["train", "--config", str(config), "--out", str(out), "--no-progress"]),
                         sim_factory=_factory, base="toy") == 0
    with (out / "metrics.csv").open() as handle:
        before = list(csv.DictReader(handle))
    assert cli.run_train(_parse(["train", "--resume", str(out), "--no-progress"]),
                         sim_factory=_factory, base="toy") == 0
    with (out / "metrics.csv").open() as handle:
        after = list(csv.DictReader(handle))
    assert after == before
    assert sum(1 for row in after if row["eval_win_rate"]) == 1


class _SharedBlock:
    """The learner client's read side over a real shared-memory block (no learner process)."""

    def __init__(self, shared: SharedWeights) -> None:
        self.shared = shared
        self.learners = ("monsters",)

    def read_weights(self, newer_than: int):
        return self.shared.read(newer_than)

    @property
    def version(self) -> int:
        return self.shared.version()


@pytest.mark.parametrize("case", sorted(POISON))
def test_the_live_controller_keeps_its_last_good_weights(case: str) -> None:
    net = build_policy("transformer", 19, TINY)
    good = flatten(net).copy()
    shared = SharedWeights.create(good.size, good)
    try:
        controller = LiveController(net, "live", _SharedBlock(shared))
        better = good + np.float32(0.01)
        shared.publish(better, 1)
        assert controller.refresh() is not None
        assert np.array_equal(flatten(controller.live), better)
        bad = better.copy()
        bad[3] = POISON[case]
        shared.publish(bad, 2)
        assert controller.refresh() is None
        assert controller.rejected_versions == [2]
        assert np.array_equal(flatten(controller.live), better)  # the last good weights play on
    finally:
        shared.close()
