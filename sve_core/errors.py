"""The one CLI error path of the suite: what a user-facing error is, how it is printed, and the exit code.

Every `sve` subcommand's `func(args)` runs through `run_command`. Errors a user can act on (`ValueError` and its
subclasses, which every input error of the suite is, and missing files) print as one line naming the command and
exit 2; set ``SVE_DEBUG=1`` to see the traceback instead. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

USAGE_ERROR = 2


def run_command(prog: str, args: argparse.Namespace) -> int:
    """`args.func(args)` as an exit code; a user error prints ``<prog>: error: <message>`` and returns 2."""
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as error:
        if os.environ.get("SVE_DEBUG"):
            raise
        print(f"{prog}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
