"""The design-change adaptation study (``python main.py study adaptation`` and ``study recovery``).

Trains each architecture (transformer, dense embedding, id baseline) with the same
config and budget for several seeds, evaluates every trained policy against the
scripted NPC on the base level parameters and on every design shift
(:mod:`levels.shifts`), and writes a table (Markdown and JSON) and a plot.

Layout of ``--out``::

    study.json                      the settings; a rerun must use the same ones
    runs/<arch>-s<seed>/            a ``train`` run directory (training.cli.TrainRun)
    runs/<arch>-s<seed>/done.json   written when the run finished (rerun skips it)
    evals/<arch>-s<seed>/<cond>.json one evaluation (rerun skips it)
    results.json, results.md, adaptation.png

``study recovery --out DIR`` then retrains finished runs on each shift with the live
learner's PPO settings and records how many learner steps and minutes each needs to
get back within a margin of its base win rate (``recovery/<arch>-s<seed>/<shift>.json``,
``recovery.md``, ``recovery.json``). ``study regret --out DIR`` (:mod:`training.regret`)
retrains them for a fixed budget on the base and on every shift, to split each drop into
difficulty and not adapting.

Every file is written atomically, so an interrupted study resumes where it stopped:
finished runs and evaluations are skipped, an unfinished run continues from its last
checkpoint. Training uses the public API of :mod:`training.ppo` / :mod:`training.cli`.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import io
import json
import os
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from game.spec import ENTITY_COLUMN, ENTITY_DIM, HELD_SLOTS, SELF_DIM
from levels.errors import UserError
from levels.files import atomic_write_bytes, atomic_write_text
from levels.params import LevelParams
from levels.shifts import BASE, Shift, apply_shift, load_shift, shift_names
from npc.baseline import item_ids
from npc.checkpoint import ARCHITECTURES, load_checkpoint
from npc.policy import ATTRIBUTE_COLUMNS, HELD_FLAG_COLUMNS, HELD_SLOT_COLUMNS, ScriptedNPC, held_item_rows
from training.cli import EXIT_INTERRUPTED, TrainRun
from training.config import TrainConfig, config_from_dict, config_to_dict, load_config
from training.curriculum import base_params
from training.evaluate import check_eval_request, evaluate, wilson_interval
from training.ppo import SimFactory, default_sim_factory
from training.rollout import slots_of

#: A retrained policy has recovered on a shift when its win rate there is at least its base win rate minus this.
RECOVERY_MARGIN = 0.05
#: The id baseline's default number of item-id buckets (``IdBaseline(item_ids=...)``).
ITEM_BUCKETS = 32

#: Evaluation episodes per run and condition. A drop is a difference of two win rates that
#: share the base's noise; with 200 episodes one seed's mean drop moved by +-0.03, the size
#: of the goal's margin (docs/adaptation.md, "Third run").
STUDY_EPISODES = 1000

ARCHS = ("transformer", "dense", "baseline")
STUDY_VERSION = 2  # 2: the id baseline sees held items by id too (npc.baseline.IdBaseline.own_features)


# ----------------------------------------------------------------------------- CLI


def add_parser(subparsers: Any) -> None:
    """Register ``study`` (with the ``adaptation`` study)."""
    study = subparsers.add_parser("study", help="experiments built from training runs",
                                  description="Experiments built from training runs.")
    studies = study.add_subparsers(dest="study", required=True, metavar="STUDY")
    ad = studies.add_parser(
        "adaptation", help="train every architecture and measure its win rate under design shifts",
        description="Train the transformer, dense-embedding and id-baseline policies with the same "
        "budget, evaluate each against the scripted NPC on the base level and on every design shift "
        "(levels/shifts/), and write results.md, results.json and adaptation.png. Resumable.")
    ad.add_argument("--config", help="training config TOML (default: training/configs/default.toml)")
    ad.add_argument("--seeds", type=int, default=3, help="training seeds per architecture (default 3)")
    ad.add_argument("--out", default="runs/study-adaptation", help="study directory (default: runs/study-adaptation)")
    ad.add_argument("--steps", type=int, help="learner agent-steps per run (default: the config's total_steps); "
                    "curriculum phase ends scale with it")
    ad.add_argument("--episodes", type=int, default=STUDY_EPISODES,
                    help=f"evaluation episodes per run and condition (default {STUDY_EPISODES:,})")
    ad.add_argument("--shifts", help="comma-separated shift names or TOML paths (default: every shipped shift)")
    ad.add_argument("--archs", default=",".join(ARCHS),
                    help=f"comma-separated architectures (default {','.join(ARCHS)})")
    ad.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    ad.set_defaults(run=run_adaptation)

    rc = studies.add_parser(
        "recovery", help="retrain a study's policies on each shift and measure how long they need to recover",
        description="For trained runs of an adaptation study (--out), continue training each policy on each "
        "design shift with the live learner's PPO settings (training.live.learner.live_config: fresh Adam, "
        "constant rate, the scripted NPC as opponent), evaluate it every --every learner steps, and record the "
        "learner steps and minutes until its win rate on the shift is back within --margin of its base win "
        "rate. Writes recovery.md and recovery.json. Resumable.")
    add_trained_runs_arguments(rc)
    rc.add_argument("--steps", type=int, default=200_000,
                    help="most retraining learner steps per shift (default 200000)")
    rc.add_argument("--every", type=int, default=25_000, help="learner steps between evaluations (default 25000)")
    rc.add_argument("--margin", type=float, default=RECOVERY_MARGIN,
                    help=f"recovered: shift win rate >= base win rate - margin (default {RECOVERY_MARGIN})")
    rc.set_defaults(run=run_recovery)

    from training.regret import add_parser as add_regret_parser  # imported here: training.regret imports this module
    add_regret_parser(studies)

    sh = studies.add_parser(
        "shifts", help="evaluate one policy checkpoint on the base level and on every design shift",
        description="Win rate (Wilson 95% CI), mean return and episode length of one checkpoint against the "
        "scripted NPC on the base level parameters and on each design shift (no training).")
    sh.add_argument("checkpoint", help="policy .safetensors file")
    sh.add_argument("--params", help="level preset or TOML (default: the one the checkpoint was trained on)")
    sh.add_argument("--episodes", type=int, default=STUDY_EPISODES,
                    help=f"episodes per condition (default {STUDY_EPISODES:,})")
    sh.add_argument("--seed", type=int, default=1000, help="evaluation seed (default 1000)")
    sh.add_argument("--shifts", help="comma-separated shift names or TOML paths (default: every shipped shift)")
    sh.add_argument("--json", dest="json_out", help="write the results as JSON here")
    sh.set_defaults(run=run_shifts)


def add_trained_runs_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that pick a finished study's runs and shifts: ``--out --seeds --archs --shifts``."""
    parser.add_argument("--out", default="runs/study-adaptation",
                        help="the study directory (default: runs/study-adaptation)")
    parser.add_argument("--seeds", type=int, default=1, help="training seeds per architecture (default 1: the first)")
    parser.add_argument("--archs", default=",".join(ARCHS),
                        help=f"comma-separated architectures (default {','.join(ARCHS)})")
    parser.add_argument("--shifts", help="comma-separated shift names (default: every shift of the study)")


def _command_line(args: argparse.Namespace) -> str:
    parts = ["python", "main.py", "study", "adaptation"]
    for option in ("config", "seeds", "out", "steps", "episodes", "shifts", "archs"):
        value = getattr(args, option, None)
        if value is not None:
            parts += [f"--{option}", str(value)]
    return shlex.join(parts)


# ----------------------------------------------------------------------------- settings


@dataclass
class StudySettings:
    """What a study runs; stored in ``study.json`` so that a rerun continues the same study."""

    config: TrainConfig
    archs: list[str]
    seeds: list[int]
    shifts: list[Shift]
    episodes: int
    command: str

    def key(self) -> dict[str, Any]:
        """The settings every run and evaluation of a study directory must share.

        Architectures and seeds may be added on a rerun (each run has its own directory),
        and shifts too; a shift already evaluated must not change its content.
        """
        config = config_to_dict(self.config)
        config.pop("checkpoint_every")  # resume points only: results do not depend on it
        return {"version": STUDY_VERSION, "config": config, "episodes": self.episodes,
                "shifts": {s.name: {"params": s.params, "spawns": s.spawns, "scale": s.scale} for s in self.shifts}}


def scaled_config(cfg: TrainConfig, steps: int | None) -> TrainConfig:
    """``cfg`` with a budget of ``steps``: curriculum phase ends and checkpoints scale with it.

    The in-training evaluation is switched off (the study evaluates afterwards).
    """
    out = copy.deepcopy(cfg)
    if steps is not None and steps != cfg.total_steps:
        ratio = steps / cfg.total_steps
        last = 0
        for phase in out.curriculum:
            phase.until = max(last + 1, round(phase.until * ratio))
            last = phase.until
        out.total_steps = steps
    # A few checkpoints per run (resume points) but never every iteration: saving draws the curve.
    out.checkpoint_every = max(out.total_steps // 4, 8 * out.ppo.num_worlds * out.ppo.rollout_steps)
    out.eval.every = 0
    return out


def parse_names(text: str, what: str) -> list[str]:
    """The names of a comma-separated ``--what`` option; a clear error if none or repeated."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UserError(f"--{what}: name at least one")
    if len(set(names)) != len(names):
        raise UserError(f"--{what}: a name is repeated in {text!r}")
    return names


def parse_study_archs(text: str) -> list[str]:
    """The architectures a comma-separated ``--archs`` names, each one of the study's (:data:`ARCHS`)."""
    archs = parse_names(text, "archs")
    for arch in archs:
        if arch not in ARCHS:
            raise UserError(f"--archs: unknown architecture {arch!r} (choose from {', '.join(ARCHS)})")
    return archs


def resolve_settings(args: argparse.Namespace) -> StudySettings:
    """Check the command line and build the study's settings."""
    if args.seeds <= 0:
        raise UserError(f"--seeds must be positive, got {args.seeds}")
    if args.episodes <= 0:
        raise UserError(f"--episodes must be positive, got {args.episodes}")
    if args.steps is not None and args.steps <= 0:
        raise UserError(f"--steps must be positive, got {args.steps}")
    archs = parse_names(args.archs, "archs")
    for arch in archs:
        if arch not in ARCHITECTURES:
            raise UserError(f"--archs: unknown architecture {arch!r} (known: {', '.join(sorted(ARCHITECTURES))})")
    cfg = scaled_config(load_config(args.config), args.steps)
    shifts = [load_shift(n) for n in parse_names(args.shifts, "shifts")] if args.shifts else \
        [load_shift(n) for n in shift_names()]
    names = [s.name for s in shifts]
    if BASE in names or len(set(names)) != len(names):
        raise UserError(f"--shifts: shift names must be unique and not {BASE!r}: {', '.join(names)}")
    base = base_params(cfg.params)
    for shift in shifts:
        apply_shift(base, shift)  # every shift's errors before any training starts
    seeds = [cfg.seed + i for i in range(args.seeds)]
    return StudySettings(cfg, archs, seeds, shifts, args.episodes, _command_line(args))


# ----------------------------------------------------------------------------- simulators


_ITEM_FLAG = ENTITY_COLUMN["is_melee"]
_CODE_COLUMN = ENTITY_COLUMN["heal"]
# Per held slot: the self column that carries the kind code (the first of the item's attributes).
_HELD_CODE_COLUMN = [columns[0] for columns in HELD_SLOT_COLUMNS]


def _distinct(ids: torch.Tensor) -> bool:
    return len(set(ids.tolist())) == len(ids)


def kind_code_scale(kinds: int) -> float:
    """A code value per kind id that makes :func:`npc.baseline.item_ids` distinct for ids ``1..kinds``.

    Distinct both for floor items (:meth:`KindIdSim.code`'s token code) and within each
    held slot (its ``self`` code, hashed through :func:`npc.policy.held_item_rows`).
    """
    codes = torch.arange(1, kinds + 1, dtype=torch.float32)
    for multiple in range(1, 64):
        scale = multiple / 20.0
        rows = torch.zeros(kinds, ENTITY_DIM)
        rows[:, _ITEM_FLAG] = 1.0
        rows[:, _CODE_COLUMN] = codes * scale
        ok = _distinct(item_ids(rows, ITEM_BUCKETS))
        own = torch.zeros(kinds, SELF_DIM)
        for slot in range(HELD_SLOTS):
            own[:, HELD_FLAG_COLUMNS[slot]] = 1.0
            own[:, _HELD_CODE_COLUMN[slot]] = codes * scale
        held = item_ids(held_item_rows(own), ITEM_BUCKETS)
        ok = ok and all(_distinct(held[:, slot]) for slot in range(HELD_SLOTS))
        if ok:
            return scale
    raise ValueError(f"no collision-free kind code for {kinds} kinds (the baseline has {ITEM_BUCKETS} buckets)")


class KindIdSim:
    """A simulator whose learner-faction item tokens show their kind id, not their attributes (id baseline).

    ``training.rollout`` hands networks only the keys in ``npc.policy.OBS_KEYS``, so the
    simulator's ``entity_kind`` never reaches :class:`npc.baseline.IdBaseline`, which then
    hashes an item's attributes instead. For the baseline's runs this wrapper replaces each
    item token's attributes by a code of its ``entity_kind`` id (every attribute column
    zeroed but one item flag and one column holding id x scale, the scale chosen so that
    no two ids share a bucket), so the baseline's item code is the kind's id, category
    included, as in DeepCrawl's baseline: a re-tuned kind keeps its code, a new kind gets a
    code never seen in training. Held items are coded the same way in the ``self`` vector
    (each slot's attribute columns zeroed but the first, which holds id x scale; from
    ``held_kind``), so the baseline sees what it holds by id too. Only the learner
    faction's slots are rewritten; opponents (the scripted NPC) see the true attributes.
    ``entity_kind`` and ``held_kind`` are removed from the observations, so acting and the
    PPO update read the same codes even if the rollout starts passing optional keys on.
    """

    def __init__(self, sim: Any, faction: str, kinds: int) -> None:
        self.sim = sim
        self.slots = slots_of(sim, faction)
        self.scale = kind_code_scale(kinds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sim, name)

    def code(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``obs`` with the learner slots' item tokens replaced by their kind code (a copy)."""
        out = dict(obs)
        entities = obs["entities"].copy()
        mine = entities[:, self.slots]
        kind = obs["entity_kind"][:, self.slots]
        item = kind > 0
        coded = mine[item]
        coded[:, list(ATTRIBUTE_COLUMNS)] = 0.0
        coded[:, _ITEM_FLAG] = 1.0
        coded[:, _CODE_COLUMN] = kind[item] * self.scale
        mine[item] = coded
        entities[:, self.slots] = mine
        out["entities"] = entities
        own = obs["self"].copy()
        held = obs["held_kind"][:, self.slots]
        mine_own = own[:, self.slots]
        for slot, columns in enumerate(HELD_SLOT_COLUMNS):
            holding = held[..., slot] > 0
            rows = mine_own[holding]
            rows[:, list(columns)] = 0.0
            rows[:, _HELD_CODE_COLUMN[slot]] = held[..., slot][holding] * self.scale
            mine_own[holding] = rows
        own[:, self.slots] = mine_own
        out["self"] = own
        del out["entity_kind"], out["held_kind"]
        return out

    def code_of(self, kind_name: str) -> float:
        """The value :meth:`code` writes for items of kind ``kind_name`` (a loot kind of the level)."""
        return (self.sim.entity_kind_names.index(kind_name) + 1) * self.scale

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Like the simulator's ``reset``, coded."""
        return self.code(self.sim.reset(seed))

    def step(self, actions: np.ndarray) -> Any:
        """Like the simulator's ``step``, coded."""
        obs, reward, terminated, truncated, info = self.sim.step(actions)
        return self.code(obs), reward, terminated, truncated, info


#: How the id baseline sees items, as recorded with each of its evaluations.
ID_SOURCE = ("kind ids: the simulator's entity_kind, written into the item attribute columns the baseline "
             "hashes (training.study.KindIdSim; training.rollout does not pass entity_kind itself)")


def sim_factory_for(arch: str, pool_size: int, faction: str = "hero") -> SimFactory:
    """The simulator factory of ``arch``'s runs; the id baseline's sees items by kind id (:class:`KindIdSim`)."""
    if arch != "baseline":
        return lambda params, num_worlds, seed: default_sim_factory(params, num_worlds, seed, pool_size)
    from game.batch import BatchedSim

    def with_ids(params: Any, num_worlds: int, seed: int) -> Any:
        sim = BatchedSim(params, num_worlds=num_worlds, seed=seed, pool_size=pool_size, entity_kind=True)
        return KindIdSim(sim, faction, len(sim.entity_kind_names))
    return with_ids


# ----------------------------------------------------------------------------- the study


WAIT_SECONDS = 10.0
_OWNER = "owner.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim(run_dir: Path) -> bool:
    """Claim ``run_dir`` for this process; False while another live process holds it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    owner = run_dir / _OWNER
    try:
        fd = os.open(owner, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            pid = int(owner.read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid == os.getpid() or (pid > 0 and _alive(pid)):
            return pid == os.getpid()
        owner.unlink(missing_ok=True)  # left by a process that died
        return claim(run_dir)
    with os.fdopen(fd, "w") as handle:
        handle.write(str(os.getpid()))
    return True


def release(run_dir: Path) -> None:
    """Give up this process's claim on ``run_dir``."""
    (run_dir / _OWNER).unlink(missing_ok=True)


def run_name(arch: str, seed: int) -> str:
    """The directory name of one run of a study: ``<arch>-s<seed>``."""
    return f"{arch}-s{seed}"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def read_json(path: Path) -> Any:
    """Read a JSON file the study wrote; a one-line error naming it if unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read ({exc}); delete it to redo that step") from None


class Study:
    """One adaptation study in one directory (see the module docstring)."""

    def __init__(self, settings: StudySettings, out: Path, console: Console, progress: bool = True) -> None:
        self.s = settings
        self.out = out
        self.console = console
        self.progress = progress
        self.base = base_params(settings.config.params)
        self.conditions: dict[str, LevelParams] = {BASE: self.base}
        for shift in settings.shifts:
            self.conditions[shift.name] = apply_shift(self.base, shift)
        self.log: Callable[[str], None] = console.print

    def check_directory(self) -> None:
        """Refuse a directory that holds a study with other settings; record ours."""
        meta_path = self.out / "study.json"
        key = json.loads(json.dumps(self.s.key()))
        if meta_path.exists():
            old = read_json(meta_path).get("key", {})
            if isinstance(old.get("config"), dict):
                old["config"].pop("checkpoint_every", None)  # recorded by the first version of this file
            for field_name in ("version", "config", "episodes"):
                if old.get(field_name) != key[field_name]:
                    raise UserError(f"{meta_path}: this directory holds a study with another {field_name} "
                                    f"(the training config includes --steps); use another --out")
            for name, content in key["shifts"].items():
                if name in old.get("shifts", {}) and old["shifts"][name] != content:
                    raise UserError(f"{meta_path}: shift {name!r} differs from the one this study evaluated; "
                                    f"rename it or use another --out")
            key["shifts"] = {**old.get("shifts", {}), **key["shifts"]}
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(meta_path, {"key": key, "command": self.s.command})

    def arch_config(self, arch: str, seed: int) -> TrainConfig:
        """The config of one run: the study config with this architecture and seed."""
        cfg = copy.deepcopy(self.s.config)
        if arch != cfg.policy.arch:
            cfg.policy.arch, cfg.policy.options = arch, {}
        cfg.seed = seed
        return cfg

    def train(self, arch: str, seed: int, advance: Callable[[int], None]) -> float | None:
        """Train one run unless it is finished; returns its training minutes.

        ``None`` when another live process is training that run (several ``study``
        processes may share one directory: each claims a run before training it).
        """
        run_dir = self.out / "runs" / run_name(arch, seed)
        done = run_dir / "done.json"
        if not done.exists() and not claim(run_dir):
            return None
        try:
            if done.exists():  # finished earlier, or by another process just before we claimed it
                minutes = float(read_json(done)["minutes"])
                advance(self.s.config.total_steps)
                return minutes
            return self._train(run_dir, arch, seed, advance)
        finally:
            if (run_dir / _OWNER).exists() and claim(run_dir):  # ours: let go
                release(run_dir)

    def _train(self, run_dir: Path, arch: str, seed: int, advance: Callable[[int], None]) -> float:
        done = run_dir / "done.json"
        cfg = self.arch_config(arch, seed)
        resume = (run_dir / "state.safetensors").exists() and (run_dir / "policy.safetensors").exists()
        command = f"{self.s.command}  # run {run_name(arch, seed)}"
        factory = sim_factory_for(arch, cfg.pool_size, cfg.learner_faction)
        run = TrainRun(cfg, run_dir, resume, factory, None, False, self.console, command)
        advance(run.trainer.steps)
        try:
            while run.trainer.steps < cfg.total_steps:
                before = run.trainer.steps
                run.step()
                advance(run.trainer.steps - before)
        except KeyboardInterrupt:
            run.save()
            run.log.close()
            raise
        run.save()
        run.log.close()
        minutes = run.minutes()
        record = {"arch": arch, "seed": seed, "steps": run.trainer.steps, "minutes": minutes}
        if arch == "baseline":
            record["item_ids"] = ID_SOURCE
        write_json(done, record)
        return minutes

    def evaluate(self, arch: str, seed: int, condition: str) -> dict[str, Any]:
        """Evaluate one run on one condition unless already done; returns the result."""
        path = self.out / "evals" / run_name(arch, seed) / f"{condition}.json"
        if path.exists():
            return read_json(path)
        cfg = self.arch_config(arch, seed)
        torch.set_num_threads(cfg.threads)
        net, _meta = load_checkpoint(self.out / "runs" / run_name(arch, seed) / "policy.safetensors")
        clock = time.perf_counter()
        # One evaluation seed per training seed, shared by every architecture and condition:
        # the architectures meet the same levels.
        result = evaluate(net, ScriptedNPC(), self.conditions[condition], self.s.episodes, 1000 + seed,
                          cfg.learner_faction, cfg.eval.num_worlds,
                          sim_factory=sim_factory_for(arch, cfg.pool_size, cfg.learner_faction))
        out = {"arch": arch, "seed": seed, "condition": condition, "eval_seed": 1000 + seed,
               "seconds": time.perf_counter() - clock, **result.to_dict()}
        if arch == "baseline":
            out["item_ids"] = ID_SOURCE
        write_json(path, out)
        return out

    def run(self) -> dict[str, Any]:
        """Train and evaluate everything not yet done, then write the results; returns them."""
        self.check_directory()
        clock = time.perf_counter()
        runs = [(a, s) for s in self.s.seeds for a in self.s.archs]
        total_steps = len(runs) * self.s.config.total_steps
        total_evals = len(runs) * len(self.conditions)
        minutes: dict[str, float] = {}
        evals: list[dict[str, Any]] = []
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[info]}"), TimeElapsedColumn())
        with Progress(*columns, console=self.console, disable=not self.progress) as bar:
            train_task = bar.add_task("train", total=total_steps, info="")
            eval_task = bar.add_task("eval ", total=total_evals, info="")
            pending = runs
            while pending:
                busy = []  # runs another live process is training in this directory
                for arch, seed in pending:
                    name = run_name(arch, seed)
                    bar.update(train_task, info=name)
                    trained = self.train(arch, seed, lambda n: bar.advance(train_task, n))
                    if trained is None:
                        busy.append((arch, seed))
                        continue
                    minutes[name] = trained
                    if not self.progress:
                        self.log(f"trained {name} ({minutes[name]:.1f} min)")
                    for condition in self.conditions:
                        bar.update(eval_task, info=f"{name} on {condition}")
                        evals.append(self.evaluate(arch, seed, condition))
                        bar.advance(eval_task)
                        if not self.progress:
                            e = evals[-1]
                            self.log(f"eval {name} on {condition}: win {e['win_rate']:.3f}")
                if len(busy) == len(pending):
                    bar.update(train_task, info=f"waiting for {len(busy)} run(s) trained by another process")
                    time.sleep(WAIT_SECONDS)
                pending = busy
        results = summarise(evals, self.s.archs, list(self.conditions), self.s.seeds)
        results.update(
            command=self.s.command, params=self.s.config.params, steps=self.s.config.total_steps,
            episodes=self.s.episodes, seeds=self.s.seeds, train_minutes=minutes,
            this_invocation_minutes=(time.perf_counter() - clock) / 60,
            shifts={s.name: s.description for s in self.s.shifts},
            baseline_item_ids=sorted({e["item_ids"] for e in evals if "item_ids" in e}),
        )
        write_json(self.out / "results.json", results)
        atomic_write_text(self.out / "results.md", markdown(results))
        plot(results, self.out / "adaptation.png")
        return results


# ----------------------------------------------------------------------------- results


def summarise(evals: Sequence[dict[str, Any]], archs: Sequence[str], conditions: Sequence[str],
              seeds: Sequence[int]) -> dict[str, Any]:
    """Pool evaluations per architecture and condition; win-rate drops from the base per shift.

    ``table[arch][condition]`` pools the seeds' episodes (Wilson 95% interval on the pooled
    count) and averages return and length. ``drop[arch][shift]`` is the mean over seeds of
    (base win rate - shift win rate) with its standard error over seeds; ``relative_drop``
    is the mean drop over shifts divided by the base win rate. ``claim`` compares
    the mean drop over shifts of the transformer with half the baseline's, and the
    transformer's mean shifted win rate and mean drop with the dense embedding's.
    """
    by = {(e["arch"], e["seed"], e["condition"]): e for e in evals}
    shifts = [c for c in conditions if c != BASE]
    table: dict[str, dict[str, Any]] = {}
    drop: dict[str, dict[str, Any]] = {}
    summary: dict[str, dict[str, float]] = {}
    for arch in archs:
        table[arch], drop[arch] = {}, {}
        for cond in conditions:
            rows = [by[(arch, s, cond)] for s in seeds]
            wins, n = sum(r["wins"] for r in rows), sum(r["episodes"] for r in rows)
            low, high = wilson_interval(wins, n)
            table[arch][cond] = {
                "wins": wins, "episodes": n, "win_rate": wins / n, "ci95": [low, high],
                "seed_win_rates": [r["win_rate"] for r in rows],
                "mean_return": float(np.mean([r["mean_return"] for r in rows])),
                "mean_length": float(np.mean([r["mean_length"] for r in rows])),
            }
        for cond in shifts:
            per_seed = [by[(arch, s, BASE)]["win_rate"] - by[(arch, s, cond)]["win_rate"] for s in seeds]
            se = float(np.std(per_seed, ddof=1) / np.sqrt(len(per_seed))) if len(per_seed) > 1 else float("nan")
            drop[arch][cond] = {"mean": float(np.mean(per_seed)), "se": se, "per_seed": per_seed}
        summary[arch] = {
            "base_win_rate": table[arch][BASE]["win_rate"],
            "mean_shift_win_rate": float(np.mean([table[arch][c]["win_rate"] for c in shifts])) if shifts else
            float("nan"),
            "mean_drop": float(np.mean([drop[arch][c]["mean"] for c in shifts])) if shifts else float("nan"),
        }
        if shifts:
            seed_drops = [float(np.mean([drop[arch][c]["per_seed"][i] for c in shifts])) for i in range(len(seeds))]
            summary[arch]["mean_drop_per_seed"] = seed_drops
            summary[arch]["mean_drop_se"] = float(np.std(seed_drops, ddof=1) / np.sqrt(len(seeds))) \
                if len(seeds) > 1 else float("nan")
        base_rate = summary[arch]["base_win_rate"]
        # The drop as a share of what there was to lose: a weaker policy has less win rate to give up.
        summary[arch]["relative_drop"] = summary[arch]["mean_drop"] / base_rate if base_rate > 0 else float("nan")
    return {"archs": list(archs), "conditions": list(conditions), "table": table, "drop": drop,
            "summary": summary, "claim": goal_check(summary, drop, shifts)}


def goal_check(summary: dict[str, dict[str, float]], drop: dict[str, dict[str, Any]],
          shifts: Sequence[str]) -> dict[str, Any]:
    """The issue's goal, checked on the averages and shift by shift (``None`` where an arch is missing)."""
    out: dict[str, Any] = {}
    if "transformer" in summary and "baseline" in summary:
        t, b = summary["transformer"]["mean_drop"], summary["baseline"]["mean_drop"]
        out["half_of_baseline_drop"] = bool(t <= 0.5 * b)
        out["per_shift_half_of_baseline_drop"] = {
            c: bool(drop["transformer"][c]["mean"] <= 0.5 * drop["baseline"][c]["mean"]) for c in shifts}
        t_se = summary["transformer"].get("mean_drop_se", float("nan"))
        b_se = summary["baseline"].get("mean_drop_se", float("nan"))
        # Below 0 meets the goal; the runs of the two architectures are independent.
        out["margin"] = {"value": float(t - 0.5 * b), "se": float(np.hypot(t_se, 0.5 * b_se))}
        t_seeds = summary["transformer"].get("mean_drop_per_seed", [])
        b_seeds = summary["baseline"].get("mean_drop_per_seed", [])
        if t_seeds and len(t_seeds) == len(b_seeds):
            # Same seed index, same evaluation levels: the goal within each pair of runs.
            out["per_seed_half_of_baseline_drop"] = [bool(x <= 0.5 * y) for x, y in zip(t_seeds, b_seeds, strict=True)]
        if "relative_drop" in summary["transformer"] and "relative_drop" in summary["baseline"]:
            out["relative_half_of_baseline_drop"] = bool(
                summary["transformer"]["relative_drop"] <= 0.5 * summary["baseline"]["relative_drop"])
    if "transformer" in summary and "dense" in summary:
        t, d = summary["transformer"], summary["dense"]
        out["shift_win_rate_at_least_dense"] = bool(t["mean_shift_win_rate"] >= d["mean_shift_win_rate"])
        out["drop_at_most_dense"] = bool(t["mean_drop"] <= d["mean_drop"])
    return out


def _pct(x: float) -> str:
    return f"{x:.3f}"


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown: the win-rate table, the drops, the averages and the claim."""
    archs, conds = results["archs"], results["conditions"]
    table, drop = results["table"], results["drop"]
    lines = [f"# Adaptation study: {results['params']}, {results['steps']:,} learner steps per run, "
             f"seeds {', '.join(map(str, results['seeds']))}, {results['episodes']} evaluation episodes "
             f"per run and condition", "", f"Command: `{results['command']}`", ""]
    if results.get("baseline_item_ids"):
        lines += [f"The id baseline saw items by: {'; '.join(results['baseline_item_ids'])}.", ""]
    lines += ["## Win rate against the scripted NPC (seeds pooled, Wilson 95% CI), mean return, mean length", ""]
    lines.append("| condition | " + " | ".join(archs) + " |")
    lines.append("|---|" + "---|" * len(archs))
    for cond in conds:
        cells = []
        for arch in archs:
            r = table[arch][cond]
            cells.append(f"{_pct(r['win_rate'])} ({_pct(r['ci95'][0])}-{_pct(r['ci95'][1])}); "
                         f"ret {r['mean_return']:.2f}; len {r['mean_length']:.1f}")
        lines.append(f"| {cond} | " + " | ".join(cells) + " |")
    shifts = [c for c in conds if c != BASE]
    if shifts:
        lines += ["", "## Win-rate drop from the base (mean over seeds +- standard error; negative: better)", ""]
        lines.append("| shift | " + " | ".join(archs) + " |")
        lines.append("|---|" + "---|" * len(archs))
        for cond in shifts:
            lines.append(f"| {cond} | " + " | ".join(
                f"{drop[a][cond]['mean']:+.3f} +- {drop[a][cond]['se']:.3f}" for a in archs) + " |")
        lines += ["", "| arch | base win rate | mean win rate over shifts | mean drop (+- SE over seeds) | "
                  "mean drop per seed | mean drop / base win rate |", "|---|---|---|---|---|---|"]
        for arch in archs:
            s = results["summary"][arch]
            per_seed = ", ".join(f"{x:+.3f}" for x in s.get("mean_drop_per_seed", []))
            lines.append(f"| {arch} | {_pct(s['base_win_rate'])} | {_pct(s['mean_shift_win_rate'])} | "
                         f"{s['mean_drop']:+.3f} +- {s.get('mean_drop_se', float('nan')):.3f} | {per_seed} | "
                         f"{s.get('relative_drop', float('nan')):+.3f} |")
        c = results["claim"]
        lines += ["", "## The goal", ""]
        if "half_of_baseline_drop" in c:
            held = [k for k, v in c["per_shift_half_of_baseline_drop"].items() if v]
            lines.append(f"- transformer's mean drop <= half the baseline's: **{c['half_of_baseline_drop']}** "
                         f"(per shift it holds on {len(held)} of {len(shifts)}: {', '.join(held) or 'none'})")
            if "margin" in c:
                lines.append(f"- the margin, transformer's mean drop minus half the baseline's: "
                             f"{c['margin']['value']:+.3f} +- {c['margin']['se']:.3f} (standard error over seeds; "
                             f"below 0 meets the goal)")
            if "per_seed_half_of_baseline_drop" in c:
                pairs = c["per_seed_half_of_baseline_drop"]
                lines.append(f"- the same within each pair of runs with the same seed: holds for {sum(pairs)} of "
                             f"{len(pairs)} seeds")
            if "relative_half_of_baseline_drop" in c:
                lines.append(f"- not the issue's criterion, for reading it: the same with drops relative to each "
                             f"architecture's base win rate: **{c['relative_half_of_baseline_drop']}**")
        if "shift_win_rate_at_least_dense" in c:
            lines.append(f"- transformer's mean win rate over shifts >= dense's: "
                         f"**{c['shift_win_rate_at_least_dense']}**; mean drop <= dense's: "
                         f"**{c['drop_at_most_dense']}**")
    if results.get("shifts"):
        lines += ["", "## Shifts", ""] + [f"- `{k}`: {v}" for k, v in results["shifts"].items()]
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    """Two panels: pooled win rate per condition (Wilson 95% CI), and the drop from the base per shift (+- SE)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs, conds, table, drop = results["archs"], results["conditions"], results["table"], results["drop"]
    shifts = [c for c in conds if c != BASE]
    fig, axes = plt.subplots(2, 1, figsize=(max(8.0, 0.9 * len(conds) + 2), 8.0), dpi=100)
    width = 0.8 / len(archs)
    top = 0.0
    for panel, names in ((0, conds), (1, shifts)):
        ax = axes[panel]
        x = np.arange(len(names))
        for i, arch in enumerate(archs):
            offset = x + (i - (len(archs) - 1) / 2) * width
            if panel == 0:
                rates = np.array([table[arch][c]["win_rate"] for c in names])
                low = rates - np.array([table[arch][c]["ci95"][0] for c in names])
                high = np.array([table[arch][c]["ci95"][1] for c in names]) - rates
                top = max(top, float((rates + high).max()))
                ax.bar(offset, rates, width, yerr=[low, high], capsize=2, label=arch)
            else:
                means = np.array([drop[arch][c]["mean"] for c in names])
                se = np.nan_to_num(np.array([drop[arch][c]["se"] for c in names]))
                ax.bar(offset, means, width, yerr=se, capsize=2, label=arch)
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylim(0, min(1.0, top + 0.05))
    axes[0].set_ylabel("win rate vs scripted NPC (95% CI)")
    axes[0].set_title(f"Adaptation to design shifts on {results['params']}\n{results['steps']:,} learner steps "
                      f"per run, {len(results['seeds'])} seed(s), {results['episodes']} episodes per run and condition",
                      fontsize=10)
    axes[1].axhline(0.0, color="black", linewidth=0.8)
    axes[1].set_ylabel("win-rate drop from base (+- SE over seeds)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())


# ----------------------------------------------------------------------------- recovery


def retraining_config(arch: str, net: torch.nn.Module, faction: str, seed: int) -> TrainConfig:
    """The live learner's training config (:func:`training.live.learner.live_config` with its defaults)."""
    from training.live.learner import live_config
    from training.live.protocol import LearnerInit

    init = LearnerInit(shm_name="", arch=arch, net_config=dict(net.config), num_actions=net.num_actions,
                       params={}, generation=0, learners=(faction,), seed=seed)
    return live_config(init)


@dataclass
class RecoveryPoint:
    """One evaluation of a policy being retrained on a shift."""

    steps: int  # retraining learner steps so far
    minutes: float  # wall-clock minutes of rollouts and updates so far (evaluations excluded)
    win_rate: float
    ci95: tuple[float, float]


def retrain_on_shift(arch: str, net: Any, params: LevelParams, seed: int, faction: str, pool_size: int,
                     target: float, steps: int, every: int, episodes: int, eval_worlds: int,
                     first: RecoveryPoint) -> list[RecoveryPoint]:
    """Train ``net`` (in place) on ``params`` the way the live learner does, until it recovers or ``steps``.

    The live learner's loop without its process, shared memory and game trajectories:
    rollouts against the scripted NPC on a simulator of the shifted parameters (the
    baseline's with kind ids, as in the study), :func:`training.ppo.ppo_update` with
    :func:`retraining_config`, a fresh Adam at a constant rate. Every ``every`` learner
    steps the policy is evaluated as the study evaluates (same evaluation seed); the curve
    stops at the first point whose win rate reaches ``target``. ``first`` is the point at 0
    steps (the study's own evaluation of the shift).
    """
    from game.layout import AgentLayout
    from training.ppo import TRAIN_SEED_TAG, derived_seed, ppo_update
    from training.rollout import Collector

    cfg = retraining_config(arch, net, faction, seed)
    layout = AgentLayout.from_params(params)
    slots = layout.slots[layout.factions.index(faction)]
    worlds = max(2, cfg.ppo.num_worlds // max(1, slots))
    factory = sim_factory_for(arch, pool_size, faction)
    sim = factory(params, worlds, derived_seed(TRAIN_SEED_TAG, seed, 1_000_003, 0))  # not a training run's seed
    generator = torch.Generator().manual_seed(seed)
    collector = Collector(sim, faction, np.random.default_rng(np.random.SeedSequence([seed, 11])), generator)
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.ppo.learning_rate, eps=1e-5)
    scripted = ScriptedNPC()
    points = [first]
    trained, seconds, next_eval = 0, 0.0, every
    while first.win_rate < target and trained < steps:
        clock = time.perf_counter()
        batch = collector.collect(net, [scripted], [1.0], cfg.ppo.rollout_steps)
        trained += ppo_update(net, optimizer, batch, cfg, generator).samples
        seconds += time.perf_counter() - clock
        if trained >= next_eval or trained >= steps:
            next_eval += every
            result = evaluate(net, ScriptedNPC(), params, episodes, 1000 + seed, faction, eval_worlds,
                              sim_factory=sim_factory_for(arch, pool_size, faction))
            points.append(RecoveryPoint(trained, seconds / 60, result.win_rate, result.ci95))
            if result.win_rate >= target:
                break
    return points


def recovery_summary(records: Sequence[dict[str, Any]], archs: Sequence[str], shifts: Sequence[str]
                     ) -> dict[str, Any]:
    """Per architecture and shift: recovered runs, and mean steps and minutes to recover (recovered runs only)."""
    table: dict[str, dict[str, Any]] = {}
    for arch in archs:
        table[arch] = {}
        for shift in shifts:
            rows = [r for r in records if r["arch"] == arch and r["shift"] == shift]
            done = [r for r in rows if r["recovered_at"] is not None]
            table[arch][shift] = {
                "runs": len(rows), "recovered": len(done),
                "steps": float(np.mean([r["recovered_at"]["steps"] for r in done])) if done else None,
                "minutes": float(np.mean([r["recovered_at"]["minutes"] for r in done])) if done else None,
                "max_steps": max((r["max_steps"] for r in rows), default=0),
                "drop": float(np.mean([r["target"] + r["margin"] - r["points"][0]["win_rate"] for r in rows]))
                if rows else None,
            }
    return table


def recovery_markdown(summary: dict[str, Any], archs: Sequence[str], shifts: Sequence[str], margin: float,
                      seeds: Sequence[int], command: str) -> str:
    """The recovery table as Markdown: learner steps and minutes to recover per architecture and shift."""
    lines = [f"# Retraining to recover on each shift (seeds {', '.join(map(str, seeds))})", "",
             f"Command: `{command}`", "",
             f"Cell: drop at the start; learner steps (thousands) and wall-clock minutes of retraining until the "
             f"win rate on the shift is within {margin} of the run's base win rate (mean over recovered seeds; "
             f"recovered seeds / seeds). `0k` = within the margin before any retraining; `no` = not within the "
             f"budget.", "", "| shift | " + " | ".join(archs) + " |", "|---|" + "---|" * len(archs)]
    for shift in shifts:
        cells = []
        for arch in archs:
            c = summary[arch][shift]
            if not c["runs"]:
                cells.append("")
            elif not c["recovered"]:
                cells.append(f"drop {c['drop']:+.3f}; no (> {c['max_steps'] // 1000}k steps)")
            else:
                cells.append(f"drop {c['drop']:+.3f}; {c['steps'] / 1000:.0f}k steps, {c['minutes']:.2f} min "
                             f"({c['recovered']}/{c['runs']})")
        lines.append(f"| {shift} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def load_study(out: Path, shifts_option: str | None) -> tuple[dict[str, Any], TrainConfig, list[str]]:
    """A study directory's record and training config, and the shifts a ``--shifts`` option names.

    No option: every shift of the study. A one-line error if ``out`` holds no study or a
    named shift is not one of its shifts.
    """
    meta_path = out / "study.json"
    if not meta_path.exists():
        raise UserError(f"--out {out}: no study.json (run `study adaptation --out {out}` first)")
    meta = read_json(meta_path)
    cfg = config_from_dict(meta["key"]["config"], str(meta_path))
    shifts = parse_names(shifts_option, "shifts") if shifts_option else sorted(meta["key"]["shifts"])
    for shift in shifts:
        if shift not in meta["key"]["shifts"]:
            raise UserError(f"--shifts: {shift!r} is not a shift of the study in {out}")
    return meta, cfg, shifts


def run_recovery(args: argparse.Namespace) -> int:
    """The ``study recovery`` command."""
    out = Path(args.out)
    for name in ("seeds", "steps", "every"):
        if getattr(args, name) <= 0:
            raise UserError(f"--{name} must be positive, got {getattr(args, name)}")
    if not 0 <= args.margin < 1:
        raise UserError(f"--margin must lie in [0, 1), got {args.margin}")
    meta, cfg, shifts = load_study(out, args.shifts)
    archs = parse_study_archs(args.archs)
    seeds = [cfg.seed + i for i in range(args.seeds)]
    base = base_params(cfg.params)
    conditions = {name: apply_shift(base, load_shift(name)) for name in shifts}
    torch.set_num_threads(cfg.threads)
    console = Console(soft_wrap=True)
    command = shlex.join(["python", "main.py", "study", "recovery", "--out", str(out), "--seeds", str(args.seeds),
                          "--archs", args.archs, *(["--shifts", args.shifts] if args.shifts else []),
                          "--steps", str(args.steps), "--every", str(args.every), "--margin", str(args.margin)])
    records = []
    for seed in seeds:
        for arch in archs:
            run = run_name(arch, seed)
            policy = out / "runs" / run / "policy.safetensors"
            if not (out / "runs" / run / "done.json").exists():
                raise UserError(f"{out / 'runs' / run}: the run is not finished (finish the study first)")
            base_eval = read_json(out / "evals" / run / f"{BASE}.json")
            for shift in shifts:
                path = out / "recovery" / run / f"{shift}.json"
                if path.exists():
                    record = read_json(path)
                    same = record["margin"] == args.margin and record["every"] == args.every
                    if same and (record["recovered_at"] is not None or record["max_steps"] >= args.steps):
                        records.append(record)
                        continue
                start = read_json(out / "evals" / run / f"{shift}.json")
                net, _meta = load_checkpoint(policy)
                target = base_eval["win_rate"] - args.margin
                first = RecoveryPoint(0, 0.0, start["win_rate"], tuple(start["ci95"]))
                points = retrain_on_shift(arch, net, conditions[shift], seed, cfg.learner_faction, cfg.pool_size,
                                          target, args.steps, args.every, int(meta["key"]["episodes"]),
                                          cfg.eval.num_worlds, first)
                reached = next((p for p in points if p.win_rate >= target), None)
                record = {"arch": arch, "seed": seed, "shift": shift, "target": target, "margin": args.margin,
                          "max_steps": args.steps, "every": args.every,
                          "points": [dataclasses.asdict(p) for p in points],
                          "recovered_at": dataclasses.asdict(reached) if reached else None}
                write_json(path, record)
                records.append(record)
                console.print(f"{run} on {shift}: " + (f"recovered after {reached.steps} steps "
                              f"({reached.minutes:.2f} min)" if reached else f"not recovered in {args.steps} steps"))
    summary = recovery_summary(records, archs, shifts)
    write_json(out / "recovery.json", {"command": command, "seeds": seeds, "margin": args.margin,
                                        "summary": summary, "records": records})
    atomic_write_text(out / "recovery.md", recovery_markdown(summary, archs, shifts, args.margin, seeds, command))
    console.print(f"results in {out}/recovery.md and recovery.json")
    return 0


def run_adaptation(args: argparse.Namespace) -> int:
    """The ``study adaptation`` command."""
    settings = resolve_settings(args)
    console = Console(soft_wrap=True)
    study = Study(settings, Path(args.out), console, progress=not args.no_progress)
    try:
        results = study.run()
    except KeyboardInterrupt:
        console.print(f"interrupted; finished runs and evaluations are saved. Continue with: {settings.command}")
        return EXIT_INTERRUPTED
    for arch, s in results["summary"].items():
        console.print(f"{arch}: base {s['base_win_rate']:.3f}, mean over shifts {s['mean_shift_win_rate']:.3f}, "
                      f"mean drop {s['mean_drop']:+.3f}")
    console.print(f"results in {args.out}/results.md, results.json, adaptation.png")
    return 0


def run_shifts(args: argparse.Namespace) -> int:
    """The ``study shifts`` command: one checkpoint, the base and every shift, a table."""
    from rich.table import Table

    check_eval_request(args.episodes, args.seed)
    net, meta = load_checkpoint(args.checkpoint)
    training = meta.get("training", {})
    base = base_params(args.params or training.get("params") or "arena")
    faction = training.get("learner_faction", "hero")
    shifts = [load_shift(n) for n in parse_names(args.shifts, "shifts")] if args.shifts else \
        [load_shift(n) for n in shift_names()]
    conditions = {BASE: base, **{s.name: apply_shift(base, s) for s in shifts}}
    torch.set_num_threads(1)
    table = Table(title=f"{args.checkpoint} vs scripted NPC ({args.episodes} episodes per condition)")
    for column in ("condition", "win rate", "95% CI", "drop", "return", "length"):
        table.add_column(column, justify="left" if column == "condition" else "right")
    rows = {}
    for name, params in conditions.items():
        result = evaluate(net, ScriptedNPC(), params, args.episodes, args.seed, faction)
        rows[name] = result.to_dict()
        drop = rows[BASE]["win_rate"] - result.win_rate
        table.add_row(name, f"{result.win_rate:.3f}", f"{result.ci95[0]:.3f}-{result.ci95[1]:.3f}",
                      "" if name == BASE else f"{drop:+.3f}", f"{result.mean_return:.2f}", f"{result.mean_length:.1f}")
    Console().print(table)
    if args.json_out:
        out = {"checkpoint": str(args.checkpoint), "seed": args.seed, "episodes": args.episodes,
               "faction": faction, "conditions": rows}
        atomic_write_text(args.json_out, json.dumps(out, indent=2) + "\n")
    return 0
