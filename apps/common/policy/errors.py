"""`InputRefused`: an input the policy will not open, with one line naming the file, the limit and its flag."""

from __future__ import annotations


class InputRefused(ValueError):
    """A file broke the input policy (format not allowed, over a size cap, unsafe archive member).

    A `ValueError` so every `sve` command prints it as one line and exits 2, and `safe_handler` shows it in the
    UI. Messages name files by base name only (a folder may be named after a patient).
    """
