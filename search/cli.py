"""The ``nav-bench`` subcommand: every navigator on every scenario, a table, a plot, JSON."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from levels.common.errors import UserError
from levels.common.files import atomic_write_bytes, atomic_write_text
from search.bench import NAVIGATORS, run_suite
from search.report import TEAM_KINDS, plot_png, render_table, summarize, team_summary, to_json
from search.scenario import load_scenarios

DEFAULT_SCENARIOS = Path(__file__).parent / "scenarios"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``nav-bench`` on a ``main.py`` subparsers object."""
    parser = subparsers.add_parser(
        "nav-bench", help="benchmark the navigators (Hebbian, D* Lite, A* oracle) on navigation scenarios",
        description="Run every navigator on every scenario; report success, steps over the oracle's, "
                    "extra steps after events, steps until a reopened shortcut is used, planning time "
                    "per step and graph size.")
    parser.add_argument("--scenarios", default=str(DEFAULT_SCENARIOS), metavar="FILE_OR_DIR",
                        help="a scenario JSON file or a directory of them (default: the shipped suite)")
    parser.add_argument("--json", metavar="OUT", help="write runs, summary and checks as JSON")
    parser.add_argument("--png", metavar="OUT", help="write a plot (steps/oracle and planning time per kind)")
    parser.add_argument("--navigators", default=",".join(NAVIGATORS), metavar="NAMES",
                        help=f"comma-separated subset of: {', '.join(NAVIGATORS)} (the oracle always runs)")
    parser.add_argument("--kind", action="append", metavar="KIND", help="only scenarios of this kind (repeatable)")
    parser.add_argument("--team", type=int, default=0, metavar="AGENTS",
                        help="also run AGENTS agents one after another on the static scenarios, each with "
                             "its own memory or one shared team memory (Hebbian graph vs D* Lite map)")
    parser.set_defaults(run=run)  # main.py calls args.run(args)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; 0 when every check passed, 1 otherwise (bad input raises UserError)."""
    names = [n.strip() for n in args.navigators.split(",") if n.strip()]
    unknown = [n for n in names if n not in NAVIGATORS]
    if unknown:
        raise UserError(f"--navigators: unknown navigator {unknown[0]!r} (known: {', '.join(NAVIGATORS)})")
    if args.team == 1 or args.team < 0:
        raise UserError(f"--team: {args.team} agents; a team needs at least 2 (0: no team runs)")
    scenarios = load_scenarios(args.scenarios)
    if args.kind:
        scenarios = [s for s in scenarios if s.kind in args.kind]
        if not scenarios:
            raise UserError(f"--kind: no scenario of kind {', '.join(args.kind)} in {args.scenarios}")
    started = time.perf_counter()
    runs = run_suite(scenarios, names)
    summary = summarize(runs)
    if args.team:
        summary["team"] = team_summary([s for s in scenarios if s.kind in TEAM_KINDS], args.team)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["scenarios"] = len(scenarios)
    sys.stdout.write(render_table(summary))
    print(f"{len(scenarios)} scenarios, {len(names)} navigators in {summary['seconds']} s")
    try:
        if args.json:
            atomic_write_text(args.json, to_json(runs, summary, " ".join(sys.argv)))
        if args.png:
            atomic_write_bytes(args.png, plot_png(summary))
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename or 'output'}: {exc.strerror or exc}") from None
    return 0 if all(c["pass"] for c in summary["checks"]) else 1


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m search.cli [options]`` (same as ``main.py nav-bench``)."""
    parser = argparse.ArgumentParser(prog="nav-bench")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(["nav-bench", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.run(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
