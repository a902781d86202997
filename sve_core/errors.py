"""The one user-facing error type and the one CLI error path of the suite.

An error a user can act on names the file, the field, what was expected and which flag changes a limit. The
suite's input checks raise `ValueError` subclasses (or `OSError` for files that cannot be read); errors of other
kinds that are still the user's to fix (a diverged training run, a judge endpoint that refuses) also derive from
`UserError`. `run_command` is the only place that turns them into one line on stderr and exit code 2; set
``SVE_DEBUG=1`` to see the traceback instead. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

USAGE_ERROR = 2
CANCELLED = 130  # the shell's code for Ctrl-C


class UserError(Exception):
    """An error whose message tells the user what to change; printed without a traceback."""


USER_ERRORS: tuple[type[BaseException], ...] = (UserError, ValueError, OSError)


def run_command(prog: str, func: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """`func(args)` as an exit code; a user error prints ``<prog>: error: <message>`` and returns 2; Ctrl-C
    prints ``<prog>: cancelled`` and returns 130 (long commands keep what they finished for a resume)."""
    try:
        return int(func(args) or 0)
    except USER_ERRORS as error:
        if os.environ.get("SVE_DEBUG"):
            raise
        print(f"{prog}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: cancelled", file=sys.stderr)
        return CANCELLED


def module_main(module: str, doc: str | None, add_arguments: Callable[[argparse.ArgumentParser], None],
                run: Callable[[argparse.Namespace], int | None], argv: Sequence[str] | None) -> int:
    """The ``python -m <module>`` entry point of a module that also backs an `sve` subcommand: the same arguments
    (`add_arguments`), the first line of the module docstring as description, and the one error path."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=(doc or "").split("\n")[0])
    add_arguments(parser)
    return run_command(parser.prog, run, parser.parse_args(argv))


def group_main(group: str, module: str, register: Callable[[argparse._SubParsersAction], None],
               argv: Sequence[str] | None) -> int:
    """The ``python -m <module> COMMAND ...`` entry point of a module owning the `sve <group>` subcommands (what
    torchrun and ``accelerate launch -m`` start in each process): the same parser as `sve <group>`, the one error
    path."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}")
    register(parser.add_subparsers())
    args = parser.parse_args([group, *(sys.argv[1:] if argv is None else argv)])
    return run_command(f"sve {group} {getattr(args, f'{group}_command')}", args.func, args)
