"""Mindcrawl's command line: ``python main.py COMMAND ...`` (``--help`` lists the commands).

This file only builds the parser and dispatches. Each package contributes its commands
with an ``add_parser(subparsers)`` function that registers them and sets ``run`` (a
function of the parsed arguments returning an exit code). Bad input anywhere raises
``levels.common.errors.UserError``, printed here as one line with exit code 2.

:func:`main` is also the one backstop for failures no command anticipated (see
docs/reliability.md): an ``OSError`` is reported with its path and reason, a
``RecursionError`` or ``MemoryError`` as input too deep or too large, and a second
Ctrl-C as an interruption: always one line and exit code 2 (130 for Ctrl-C), never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing
from collections.abc import Callable
from typing import Any

from levels.common.errors import UserError, os_error_message

PROG = "mindcrawl"
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _command_groups() -> list[Callable[[Any], None]]:
    """The ``add_parser`` functions of every package with commands, in help order."""
    import game.ui.cli
    import levels.cli
    import search.cli
    import training.cli
    import training.study.cli

    return [
        game.ui.cli.add_parser,  # play, replay
        levels.cli.add_parser,
        training.cli.add_parser,  # train, eval
        training.study.cli.add_parser,  # study adaptation, recovery, regret, shifts
        search.cli.add_parser,  # nav-bench
    ]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one ``mindcrawl: error:`` line, exit code 2."""

    def error(self, message: str) -> typing.NoReturn:
        """Print the error as one line naming the command (``--help`` shows the usage)."""
        command = self.prog.removeprefix(PROG).strip()
        where = f"{command}: " if command else ""
        report_error(f"{where}{message} (see: {self.prog} --help)")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every command group registered."""
    parser = OneLineParser(
        prog=PROG,
        description="Mindcrawl: procedural multi-floor dungeons and game-AI experiments.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_parser in _command_groups():
        add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (2 for usage and input errors)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.run(args)
    except UserError as exc:
        return report_error(str(exc))
    except BrokenPipeError:  # e.g. `main.py levels schema | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a file operation no loader or writer wrapped
        return report_error(os_error_message(exc))
    except RecursionError:
        return report_error("input nested too deeply to process")
    except MemoryError:
        return report_error("out of memory: the input asks for more than this machine has "
                            "(see docs/reliability.md for the memory budget)")
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def report_error(message: str) -> int:
    """Print ``mindcrawl: error: <message>`` as exactly one line; returns the exit code 2."""
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
