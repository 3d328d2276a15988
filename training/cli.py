"""The ``train`` and ``eval`` commands (registered by ``main.py`` through :func:`add_parser`).

``train`` resolves the config from ``--config`` and the command line (``--set KEY=VALUE``
overrides any config key, :mod:`training.overrides`) and drives a
:class:`training.run.TrainRun`, which documents the run directory. ``--backend ray``
runs the same loop with rollouts on Ray actors (:mod:`training.distributed`); the run
directory is the same.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import time
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

from levels.common.errors import UserError
from levels.common.files import atomic_write_text
from levels.limits import MAX_SEED
from levels.params import preset_names
from npc.checkpoint import ARCHITECTURES, load_checkpoint
from npc.policy import Policy
from npc.scripted import ScriptedNPC
from training.config import TrainConfig, load_config, training_memory_problem
from training.evaluate import check_eval_request, evaluate
from training.overrides import apply_overrides
from training.ppo import SimFactory
from training.run import TrainRun
from training.suite import DEFAULT_ROLES, check_roles, resolve_levels, run_suite, summarise
from training.suite_report import plot_suite, print_table

BACKENDS = ("local", "ray")
#: The learner or opponent named ``scripted`` is the scripted NPC.
SCRIPTED = "scripted"
DEFAULT_WORKERS = 2
MAX_WORKERS = 1024


class _TrailingList(argparse._ExtendAction):
    """``extend`` that notes which list option came last on the command line.

    A list option (``--params a.toml b.toml``) also takes the positional checkpoint that
    follows it (``eval --params x.toml CKPT``); :func:`_learner_spec` gives it back.
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        """Extend the list and remember this option as the last list given."""
        items = list(getattr(namespace, self.dest, None) or [])
        setattr(namespace, self.dest, items + list(values or []))
        namespace.trailing_list = self.dest


def add_parser(subparsers: Any) -> None:
    """Register ``train`` and ``eval``."""
    train = subparsers.add_parser("train", help="train an NPC policy with PPO (headless)",
                                  description="Train an NPC policy with PPO against the scripted NPC "
                                  "and snapshots of itself.")
    train.add_argument("--config", help="training config TOML (default: training/configs/default.toml)")
    where = train.add_mutually_exclusive_group()
    where.add_argument("--params", help="level parameter TOML (overrides the config)")
    where.add_argument("--preset", help="level preset name (overrides the config)")
    train.add_argument("--policy", choices=sorted(ARCHITECTURES), help="network (overrides the config)")
    train.add_argument("--steps", type=int, help="total learner agent-steps (overrides the config)")
    train.add_argument("--seed", type=int, help="seed (overrides the config)")
    train.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE",
                       help="override any config key, e.g. --set ppo.learning_rate=3e-4 (repeatable)")
    train.add_argument("--out", default="runs/train", help="run directory (default: runs/train)")
    train.add_argument("--resume", metavar="DIR", help="continue the run in DIR")
    train.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    train.add_argument("--backend", choices=BACKENDS, default="local",
                       help="where rollouts run: this process, or Ray actors (needs the 'ray' extra)")
    train.add_argument("--workers", type=int, help="Ray rollout workers (default 2; --backend ray only)")
    train.add_argument("--address", help="join the Ray cluster at ADDRESS instead of starting a local one "
                       "(--backend ray only)")
    train.set_defaults(run=run_train)

    ev = subparsers.add_parser("eval", help="evaluate a policy checkpoint against an opponent",
                               description="Win rate (95% CI), mean return and episode length on "
                               "seeds disjoint from every training seed. With --suite: every preset "
                               "and role, with outcomes by cause, turns to win, first contact, "
                               "exploration and undone moves (95% intervals), a table and a PNG.")
    ev.add_argument("checkpoint", nargs="?", help="policy .safetensors file, or 'scripted' (the scripted NPC)")
    ev.add_argument("--params", nargs="+", action=_TrailingList, metavar="FILE",
                    help="level parameter TOML (with --suite: any number, played besides --presets)")
    ev.add_argument("--preset", help="level preset name (default: the one it was trained on)")
    ev.add_argument("--episodes", type=int, default=500, help="episodes to play, per game with --suite (default 500)")
    ev.add_argument("--opponent", default="scripted", help="'scripted' or a policy checkpoint")
    ev.add_argument("--seed", type=int, default=0, help="evaluation seed (default 0)")
    ev.add_argument("--deterministic", action="store_true", help="argmax actions instead of sampling")
    ev.add_argument("--json", dest="json_out", help="write the result as JSON here")
    suite = ev.add_argument_group("suite", "evaluate on several levels and in several roles")
    suite.add_argument("--suite", action="store_true", help="play every game of --presets/--params x --roles")
    suite.add_argument("--presets", nargs="*", action=_TrailingList, metavar="NAME",
                       help=f"shipped presets (default: all: {', '.join(preset_names())}; none: --presets alone)")
    suite.add_argument("--roles", nargs="+", action=_TrailingList, metavar="FACTION",
                       help=f"factions the learner plays (default: {' '.join(DEFAULT_ROLES)})")
    suite.add_argument("--png", dest="png_out", help="write the suite's figure here (PNG)")
    ev.set_defaults(run=run_eval)


# ----------------------------------------------------------------------------- train


def _command_line(args: argparse.Namespace) -> str:
    """The ``train`` command that reproduces this run, rebuilt from the parsed options."""
    parts = ["python", "main.py", "train"]
    if getattr(args, "backend", "local") != "local":
        parts += ["--backend", args.backend]
    for option in ("config", "params", "preset", "policy", "steps", "seed", "out", "resume", "workers", "address"):
        value = getattr(args, option, None)
        if value is not None and not (option == "out" and args.resume):
            parts += [f"--{option}", str(value)]
    for item in getattr(args, "overrides", None) or []:
        parts += ["--set", item]
    return shlex.join(parts)


def _workers(args: argparse.Namespace) -> int:
    """The Ray worker count; refuses Ray-only options with the local backend."""
    backend = getattr(args, "backend", "local")
    if backend == "local":
        for option in ("workers", "address"):
            if getattr(args, option, None) is not None:
                raise UserError(f"--{option} only applies to --backend ray")
        return 0
    workers = DEFAULT_WORKERS if args.workers is None else args.workers
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    if workers > MAX_WORKERS:
        raise UserError(f"--workers must be at most {MAX_WORKERS}, got {workers}")
    return workers


def _resolve_config(args: argparse.Namespace) -> tuple[TrainConfig, Path, bool]:
    """The config with command-line overrides, the run directory, and whether it resumes."""
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "config.toml").exists() or not (run_dir / "state.safetensors").exists():
            raise UserError(f"{run_dir}: not a resumable training run (config.toml or state.safetensors missing)")
        if (args.config or args.params or args.preset or args.policy or args.seed is not None
                or getattr(args, "overrides", None)):
            raise UserError("--resume continues a run with its own config; only --steps may change")
        cfg = load_config(run_dir / "config.toml")
    else:
        run_dir = Path(args.out)
        if (run_dir / "state.safetensors").exists():
            raise UserError(f"{run_dir}: already holds a training run (use --resume {run_dir} or another --out)")
        cfg = load_config(args.config)
        if args.params or args.preset:
            cfg.params = args.params or args.preset
        if args.policy and args.policy != cfg.policy.arch:
            cfg.policy.arch, cfg.policy.options = args.policy, {}
        if args.seed is not None:
            if args.seed < 0:
                raise UserError(f"--seed must be non-negative, got {args.seed}")
            if args.seed > MAX_SEED:
                raise UserError(f"--seed must be at most {MAX_SEED}, got {args.seed}")
            cfg.seed = args.seed
        cfg = apply_overrides(cfg, getattr(args, "overrides", None) or [])
    if args.steps is not None:
        if args.steps <= 0:
            raise UserError(f"--steps must be positive, got {args.steps}")
        cfg.total_steps = args.steps
    return cfg, run_dir, bool(args.resume)


def run_train(args: argparse.Namespace, sim_factory: SimFactory | None = None, base: Any = None) -> int:
    """The ``train`` command (``sim_factory``/``base`` let tests train on a toy task)."""
    workers = _workers(args)
    if workers:
        from training.distributed import import_ray

        import_ray()  # before reading anything: a missing extra is the first thing to report
    cfg, run_dir, resume = _resolve_config(args)
    memory = training_memory_problem(cfg)
    if memory:
        raise UserError(memory)
    console = Console(soft_wrap=True)
    command = _command_line(args)
    if not workers:
        run = TrainRun(cfg, run_dir, resume, sim_factory, base, not args.no_progress, console, command)
        return run.loop()
    return _run_train_on_ray(args, cfg, run_dir, resume, sim_factory, base, console, command, workers)


def _run_train_on_ray(args: argparse.Namespace, cfg: TrainConfig, run_dir: Path, resume: bool,
                      sim_factory: SimFactory | None, base: Any, console: Console, command: str, workers: int) -> int:
    """The same run as :class:`TrainRun` does locally, with rollouts on Ray actors."""
    import ray

    from training.distributed.trainer import RayTrainer, connect

    started = connect(args.address, workers)
    run: TrainRun | None = None
    try:
        run = TrainRun(cfg, run_dir, resume, sim_factory, base, not args.no_progress, console, command,
                       make_trainer=functools.partial(RayTrainer, workers=workers))
        where = args.address or "a local Ray instance"
        console.print(f"ray: {workers} rollout workers on {where} "
                      f"({ray.cluster_resources().get('CPU', 0):g} CPUs in the cluster)")
        return run.loop()
    finally:
        if run is not None:
            run.trainer.close()
        if started:
            ray.shutdown()


# ----------------------------------------------------------------------------- eval


def _opponent(spec: str, num_actions: int) -> tuple[Policy, str]:
    if spec == SCRIPTED:
        return ScriptedNPC(), SCRIPTED
    net, _ = load_checkpoint(spec, num_actions=num_actions)
    return net, str(spec)


def _learner_spec(args: argparse.Namespace) -> str:
    """The checkpoint (or ``scripted``), taken back from the last list option if it swallowed it."""
    if args.checkpoint is not None:
        return str(args.checkpoint)
    dest = getattr(args, "trailing_list", None)
    values = getattr(args, dest) if dest else None
    if not values:
        raise UserError("eval: name a policy checkpoint or 'scripted' (see: mindcrawl eval --help)")
    args.trailing_list = None
    return str(values.pop())


def _learner(spec: str) -> tuple[Policy, dict[str, Any], int]:
    """The learner's policy, its checkpoint metadata ({} for the scripted NPC) and its action count."""
    if spec == SCRIPTED:
        from game.actions import CORE_ACTIONS

        return ScriptedNPC(), {}, CORE_ACTIONS
    net, meta = load_checkpoint(spec)
    return net, meta, net.num_actions


def _trained_preset(checkpoint: str, recorded: Any) -> str:
    """The preset a checkpoint was trained on; a recorded file path is never opened.

    A checkpoint is a user file too: reading the path its metadata names would let it
    make ``eval`` open any file, so only shipped preset names are taken from it.
    """
    if recorded is None:
        return "arena"
    if not isinstance(recorded, str):
        raise UserError(f"{checkpoint}: training.params is not a string")
    if recorded not in preset_names():
        raise UserError(f"{checkpoint}: trained on {recorded[:80]!r}, not a shipped preset: "
                        "name the level with --params FILE or --preset NAME")
    return recorded


def run_eval(args: argparse.Namespace, sim_factory: SimFactory | None = None) -> int:
    """The ``eval`` command (``--suite``: :func:`run_eval_suite`)."""
    spec = _learner_spec(args)
    if args.suite:
        return run_eval_suite(args, spec)
    for option in ("presets", "roles", "png_out"):
        if getattr(args, option, None) is not None:
            raise UserError(f"--{option.removesuffix('_out')} only applies to --suite")
    if args.params and len(args.params) > 1:
        raise UserError(f"--params: one file without --suite, got {len(args.params)}")
    if args.params and args.preset:
        raise UserError("--params and --preset exclude each other (one level without --suite)")
    check_eval_request(args.episodes, args.seed)
    net, meta, num_actions = _learner(spec)
    training = meta.get("training", {})
    params = (args.params[0] if args.params else None) or args.preset or _trained_preset(spec, training.get("params"))
    faction = training.get("learner_faction", "hero")
    if not isinstance(faction, str):
        raise UserError(f"{spec}: training.learner_faction is not a string")
    opponent, opponent_name = _opponent(args.opponent, num_actions)
    torch.set_num_threads(2)
    result = evaluate(net, opponent, params, args.episodes, args.seed, faction,
                      deterministic=args.deterministic, sim_factory=sim_factory)
    out = {"checkpoint": spec, "params": str(params), "opponent": opponent_name,
           "faction": faction, "seed": args.seed, "deterministic": args.deterministic,
           "seed_domain": "evaluation (disjoint from training seeds)", **result.to_dict()}
    table = Table(title=f"{spec} vs {opponent_name} on {params}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("episodes", str(result.episodes))
    table.add_row("wins / losses / draws", f"{result.wins} / {result.losses} / {result.draws}")
    for outcome, causes in result.by_cause.items():
        if causes:
            table.add_row(f"  {outcome} by cause", ", ".join(f"{c} {n}" for c, n in sorted(causes.items())))
    table.add_row("win rate", f"{result.win_rate:.3f}")
    table.add_row("95% CI (Wilson)", f"{result.ci95[0]:.3f} - {result.ci95[1]:.3f}")
    table.add_row("mean return", f"{result.mean_return:.3f}")
    table.add_row("mean episode length", f"{result.mean_length:.1f}")
    Console().print(table)
    if args.json_out:
        atomic_write_text(args.json_out, json.dumps(out, indent=2) + "\n")
    return 0


def run_eval_suite(args: argparse.Namespace, spec: str) -> int:
    """``eval --suite``: every preset/params file x role; table, JSON and PNG."""
    if args.preset is not None:
        raise UserError("--preset: with --suite name the levels with --presets (and --params)")
    check_eval_request(args.episodes, args.seed)
    presets = preset_names() if args.presets is None else args.presets
    levels = resolve_levels(presets, args.params or [])
    roles = list(DEFAULT_ROLES) if args.roles is None else args.roles
    check_roles(levels, roles)
    net, _, num_actions = _learner(spec)
    opponent, opponent_name = _opponent(args.opponent, num_actions)
    torch.set_num_threads(2)
    console = Console(soft_wrap=True)
    if not console.is_terminal:  # a file or a pipe: the whole table on long lines, no wrapped cells
        console = Console(soft_wrap=True, width=250)
    started = time.perf_counter()

    def report(game: Any) -> None:
        s = summarise(game)
        w = s["outcomes"]["wins"]
        console.print(f"{game.level} as {game.role}: {w['count']} of {s['episodes']} won "
                      f"({w['ci'][0]:.3f}-{w['ci'][1]:.3f}), {game.seconds:.1f} s")

    games = run_suite(net, opponent, levels, roles, args.episodes, args.seed, args.deterministic, on_game=report)
    summaries = [summarise(g) for g in games]
    title = f"{spec} vs {opponent_name}, {args.episodes} episodes per game, seed {args.seed}"
    print_table(summaries, title, console)
    console.print(f"suite: {len(games)} games in {time.perf_counter() - started:.1f} s")
    if args.json_out:
        out = {"learner": spec, "opponent": opponent_name, "seed": args.seed, "episodes": args.episodes,
               "deterministic": args.deterministic, "seed_domain": "evaluation (disjoint from training seeds)",
               "levels": [level.name for level in levels], "roles": roles, "games": summaries,
               "seconds": round(time.perf_counter() - started, 1)}
        atomic_write_text(args.json_out, json.dumps(out, indent=2) + "\n")
    if args.png_out:
        plot_suite(summaries, args.png_out, title)
    return 0
