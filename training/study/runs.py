"""Bookkeeping of a study directory: settings, names, claims, JSON records and :func:`load_study`.

Several ``study`` processes may share one directory: each claims a run (or a retraining
record) before computing it (:func:`claim`, :func:`release`), and waits
:data:`WAIT_SECONDS` between looks at what others hold.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from levels.common.errors import UserError
from levels.common.files import atomic_write_text
from levels.shifts import Shift
from training.config import TrainConfig, config_from_dict, config_to_dict

#: Evaluation episodes per run and condition. A drop is a difference of two win rates that
#: share the base's noise; with 200 episodes one seed's mean drop moved by +-0.03, the size
#: of the goal's margin (docs/adaptation.md, "Third run").
STUDY_EPISODES = 1000

ARCHS = ("transformer", "dense", "baseline")
STUDY_VERSION = 2  # 2: the id baseline sees held items by id too (npc.baseline.IdBaseline.own_features)


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


WAIT_SECONDS = 10.0
OWNER_FILE = "owner.pid"  # in a claimed directory: the pid of the process holding it


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
    owner = run_dir / OWNER_FILE
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
    (run_dir / OWNER_FILE).unlink(missing_ok=True)


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
