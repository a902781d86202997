"""The `sve` command. Each part of the suite owns its subcommands in its own `cli.py`-style module with a
`register(subparsers)` function; this file only lists them and imports the one asked for, so `sve --help`
stays fast."""

from __future__ import annotations

import argparse
import importlib
import sys

from sve_core.errors import run_command

# subcommand -> (module defining `register(subparsers)`, one-line help shown by `sve --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("sve_core.check", "inject every SVE variant into a model and print a PASS/FAIL table"),
    "train": ("sve_core.train_cli", "multi-image SFT with SVE (single process, torchrun or accelerate)"),
    "bench": ("evaluation.controlled.cli", "benchmarks: the controlled design study"),
    "eval": ("evaluation.cli", "score captions, LEVIR-CC, CXR change reports, or judge two systems"),
    "cxr": ("apps.cxr.cli", "longitudinal chest X-ray change reports from DICOM"),
    "rs": ("apps.rs_change.cli", "bitemporal GeoTIFF change captioning"),
    "diff": ("apps.image_diff.cli", "describe what changed between 2-3 images"),
    "serve": ("apps.serve", "the whole suite as one Gradio app (127.0.0.1 by default)"),
}


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """Full parser for `command`; the others appear as placeholders so `sve --help` lists everything."""
    parser = argparse.ArgumentParser(
        prog="sve", description="Stateful Visual Encoder suite: make vision-language models see change."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        if name == command:
            importlib.import_module(module).register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the command through the suite's one error path (`sve_core.errors.run_command`): errors a user can
    act on print as one line and exit 2; set SVE_DEBUG=1 to see the traceback instead."""
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(command)
    args = parser.parse_args(argv)
    return run_command(" ".join(["sve", *_subcommands(parser, argv)]), args.func, args)


def _subcommands(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """The leading words of `argv` that name (nested) subcommands, e.g. ["rs", "describe"]: the prefix of the
    command's error messages."""
    words = []
    for word in argv:
        choices = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})
        if word not in choices:
            break
        words.append(word)
        parser = choices[word]
    return words


if __name__ == "__main__":
    raise SystemExit(main())
