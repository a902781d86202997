"""A tile's verdict: p(change) from the model's own likelihoods, a flag at a calibrated threshold, the changed
area of its change map, and whether the caption agrees.

p(change) = 1 - P(no-change answer | images): the probability the model gives, by teacher forcing, to the
exact answer it was trained to give for an unchanged pair (`NO_CHANGE_ANSWER`, the canonical sentence of the
synthetic data and LEVIR-CC's most frequent one); every other answer it could give describes a change.

Read both ways (`either_way`): a pair's p(change) is the larger of the model's p(change) for (before, after) and
for (after, before). Whether two acquisitions differ does not depend on their order, but a model's reading does:
the demo model calls a building added p 0.997 and the same building demolished (the pair swapped) 0.18, and one
tile of the real Landsat no-change pair 0.50 one way and 0.72 the other. The larger of the two makes the flags the
same with the dates swapped and keeps a change the model only sees one way. Measured on the shipped model against
reading one way, each calibrated on the same validation split (docs/RS_CHANGE.md): tile F1 and AUROC higher on
both test splits, the Landsat no-change pair flagged in no tile either way, the added building still first. The
mean of the two was also measured: as good on the synthetic split, worse on the Landsat crop (docs/RS_CHANGE.md). A tile is flagged when p(change) >= the
threshold (`calibration.py`, or `--threshold`).

The caption is still generated and shown. Read by a deterministic rule (`says_change`) it may disagree with the
probability; the tile then says so (`disagreement`) instead of one silently overriding the other. The rule:
lower-case the caption and keep letters only; it says "no change" when it is empty, or when it holds a no-change
phrase (LEVIR-CC's annotators write "the scene is the same as before", "there is no difference", "no change has
occurred", "the two scenes seem identical", "(almost) nothing has changed", "the scene remains unchanged", ...)
and no contrast word ("except", "but", "apart from", ...) that would introduce a change after it.

Ranking: by p(change), then by changed area (the share of the tile's valid pixels whose change-map value, raw
key dissimilarity on one scale for the whole scene, reaches the calibrated map threshold), so a strong, small
change outranks faint diffuse noise that spreads over a tile.
"""

from __future__ import annotations

import re

import numpy as np

from apps.rs_change.synthetic.captions import NO_CHANGE

NO_CHANGE_ANSWER = NO_CHANGE[0] + "."  # the synthetic data's canonical no-change answer, as trained

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


def change_probability(no_change_log_likelihood: float) -> float:
    """p(change) from the log-likelihood of `NO_CHANGE_ANSWER`."""
    return float(np.clip(1.0 - np.exp(no_change_log_likelihood), 0.0, 1.0))


def either_way(forward: float, backward: float) -> float:
    """A pair's p(change) from the model's p(change) read forward and with the dates swapped: the larger."""
    return max(forward, backward)


def changed_area(heatmap: np.ndarray | None, map_threshold: float) -> float:
    """Share of the finite pixels of `heatmap` at or above `map_threshold`; 0 without a map."""
    if heatmap is None:
        return 0.0
    finite = heatmap[np.isfinite(heatmap)]
    return float((finite >= map_threshold).mean()) if finite.size else 0.0


def disagreement(caption: str, changed: bool, probability: float) -> str:
    """'' when the caption and the flag agree, else a sentence saying how they differ."""
    if says_change(caption) == changed:
        return ""
    if changed:
        return f"the caption describes no change, but p(change) = {probability:.2f} is at or above the threshold"
    return f"the caption describes a change, but p(change) = {probability:.2f} is below the threshold"
