"""Errors a user can act on. `sve eval` prints them through the suite's one error path (`sve_core.errors`):
without a traceback, exit 2, so each message names the file, the field and what was expected."""

from __future__ import annotations

from sve_core.errors import UserError


class EvaluationInputError(ValueError):
    """Predictions or references that cannot be scored as given (bad JSON, missing or extra ids, empty fields)."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset folder lacks a file that its documented layout requires."""


class DatasetFormatError(ValueError):
    """A dataset file exists but a field is missing or holds something other than the documented format."""


class JavaNotFoundError(FileNotFoundError):
    """No `java` executable: pycocoevalcap's PTB tokenizer and METEOR 1.5 are Java programs."""


class CaptionerUnavailableError(UserError, ImportError):
    """`--model` needs `sve_core.inference.load_describer`, which could not be imported."""


class JudgeError(UserError, RuntimeError):
    """The judge endpoint could not be reached or answered with something other than a chat completion."""


def describe_ids(ids: list[str], limit: int = 10) -> str:
    """A short, stable listing of offending ids for error messages (the first `limit`, then a count)."""
    shown = ", ".join(repr(i) for i in sorted(ids)[:limit])
    return shown if len(ids) <= limit else f"{shown}, ... ({len(ids) - limit} more)"
