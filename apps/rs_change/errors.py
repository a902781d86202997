"""`SceneError`: an input scene we cannot use, with a message that says which file and what was expected."""

from __future__ import annotations


class SceneError(ValueError):
    """A scene file cannot be ingested (unreadable, not georeferenced, no overlap, constant, bad bands).

    A `ValueError` subclass so the `sve` CLI prints it without a traceback and exits 2 (docs/CONVENTIONS.md).
    """
