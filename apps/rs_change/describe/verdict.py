"""A tile's change flag and score, read off the model's caption (and heatmap, for stateful models).

The flag rule, deterministic so a GIS layer can be reproduced from the captions alone: lower-case the caption
and keep letters only; it says "no change" when it is empty, or when it holds a no-change phrase (LEVIR-CC's
annotators write "the scene is the same as before", "there is no difference", "no change has occurred",
"the two scenes seem identical", "(almost) nothing has changed", "the scene remains unchanged", ...) and no
contrast word ("except", "but", "apart from", ...) that would introduce a change after it. Any other caption
describes a change. "almost nothing has changed" counts as no change, as in LEVIR-CC, whose change flag is 0
for the pairs annotated that way.

The score: `Describer` scales each heatmap to its own maximum, so a heatmap says *where* in a tile the model
saw change, not *how much*; its mean is the changed share of the tile relative to the strongest change. A
tile's score is therefore 0 when its caption says no change, else the mean of its heatmap over valid pixels
(stateful models) or 1 (stateless models, which have no heatmap): comparable between changed tiles, and a
ranking of them by extent.
"""

from __future__ import annotations

import re

import numpy as np

NO_CHANGE = re.compile(
    r"\b(?:no (?:obvious |significant |visible |apparent )?(?:change|changes|difference|differences)"
    r"|nothing (?:has |have )?chang(?:e|es|ed)"
    r"|(?:same|identical|unchanged|similar) as before"
    r"|(?:is|are|remains?|seems?|looks?|keeps?|stays?) (?:almost |nearly |exactly |completely |just )?"
    r"(?:the )?(?:same|identical|unchanged|similar)"
    r"|unchanged)\b"
)
CONTRAST = re.compile(r"\b(?:except|but|apart from|other than|besides|however|while|whereas)\b")


def normalise(caption: str) -> str:
    """Lower case, letters and single spaces only: what the rule matches against."""
    return " ".join(re.sub(r"[^a-z]+", " ", caption.lower()).split())


def says_change(caption: str) -> bool:
    """True when `caption` describes a change (the rule in the module docstring)."""
    text = normalise(caption)
    return bool(text) and not (NO_CHANGE.search(text) and not CONTRAST.search(text))


def change_score(changed: bool, heatmap: np.ndarray | None) -> float:
    """0 for an unchanged tile; the mean of the heatmap's finite values, or 1 without a heatmap, otherwise."""
    if not changed:
        return 0.0
    if heatmap is None:
        return 1.0
    finite = heatmap[np.isfinite(heatmap)]
    return float(finite.mean()) if finite.size else 1.0
