"""Training with rollouts on Ray actors (``--backend ray``), on the tiny fetch task.

One local Ray instance (2 CPUs, no dashboard) serves every test in this module.
"""

from __future__ import annotations

import argparse
import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

ray = pytest.importorskip("ray")

from npc.checkpoint import load_checkpoint, read_metadata  # noqa: E402
from tests.test_training_cli import _toy_config  # noqa: E402
from training import cli  # noqa: E402
from training.config import load_config  # noqa: E402
from training.distributed.trainer import RayTrainer  # noqa: E402
from training.toy import FetchTask  # noqa: E402


def _factory(params, num_worlds, seed):
    return FetchTask(num_worlds, seed)


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="warning")
    yield
    ray.shutdown()


@pytest.fixture(scope="class")
def trainer(ray_session: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayTrainer]:
    """Two workers for the tests of one class (closed after it: the session has only 2 CPUs)."""
    torch.set_num_threads(1)
    cfg = load_config(_toy_config(tmp_path_factory.mktemp("cfg")))
    t = RayTrainer(cfg, workers=2, sim_factory=_factory, base="toy")
    yield t
    t.close()


def _weights(t: RayTrainer) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in t.loop.net.state_dict().items()}


class TestTwoWorkers:
    """A RayTrainer with two workers: batches from both, weights change, a killed worker is replaced."""

    def test_two_workers_feed_the_learner_and_the_weights_change(self, trainer: RayTrainer) -> None:
        trainer.iterate()
        before = _weights(trainer)
        for _ in range(3):
            stats, _ = trainer.iterate()
            sources = trainer.pool_stats.last_sources
            assert [s.slot for s in sources] == [0, 1]
            assert all(s.samples > 0 for s in sources)
            # The learner trained on exactly the two workers' samples, collected in two other processes.
            assert stats.samples == sum(s.samples for s in sources)
            assert len({s.pid for s in sources} | {os.getpid()}) == 3
        after = _weights(trainer)
        assert any(not torch.equal(before[k], after[k]) for k in before)
        assert trainer.collector.puts >= 3  # one weight broadcast per update

    def test_a_killed_worker_is_replaced_and_training_goes_on(self, trainer: RayTrainer) -> None:
        trainer.iterate()
        old = trainer.pool_stats.last_sources[0]
        replaced, steps, iteration = trainer.pool_stats.replacements, trainer.steps, trainer.iteration
        ray.kill(trainer.pool.handles[0])
        stats, _ = trainer.iterate()
        new = trainer.pool_stats.last_sources[0]
        assert trainer.pool_stats.replacements == replaced + 1
        assert (new.slot, new.incarnation) == (0, old.incarnation + 1) and new.pid != old.pid
        assert new.samples > 0 and stats.samples == sum(s.samples for s in trainer.pool_stats.last_sources)
        assert trainer.iteration == iteration + 1 and trainer.steps > steps
        trainer.iterate()  # and the replacement keeps working
        assert trainer.pool_stats.last_sources[0].pid == new.pid


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_train_command_on_ray_writes_a_local_style_run_and_resumes(ray_session: None, tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = _toy_config(tmp_path, steps=2000)
    args = _parse(["train", "--backend", "ray", "--workers", "2", "--config", str(config), "--out", str(out),
                   "--no-progress", "--seed", "3"])
    assert cli.run_train(args, sim_factory=_factory, base="toy") == 0
    for name in ("config.toml", "metrics.csv", "curve.png", "policy.safetensors", "state.safetensors", "eval.json"):
        assert (out / name).exists(), name
    meta = read_metadata(out / "policy.safetensors")["training"]
    assert "--backend ray" in meta["command"] and "--workers 2" in meta["command"]
    assert meta["stats"]["steps"] >= 2000
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert rows and all(float(r["rollout_s"]) > 0 for r in rows if r["rollout_s"])
    load_checkpoint(out / "policy.safetensors")
    assert ray.is_initialized()  # the command joined the running instance and left it running
    resume = _parse(["train", "--backend", "ray", "--resume", str(out), "--steps", "3000", "--no-progress"])
    assert cli.run_train(resume, sim_factory=_factory, base="toy") == 0
    after = read_metadata(out / "policy.safetensors")["training"]["stats"]
    assert after["steps"] >= 3000 and after["iterations"] > meta["stats"]["iterations"]
