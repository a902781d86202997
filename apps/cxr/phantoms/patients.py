"""Seeded synthetic chest radiograph phantoms: a patient, two visits, and the findings that changed between them.

A `PhantomPair` is what one training record needs: a patient whose anatomy stays fixed, a prior and a current
visit that differ in positioning, exposure and inspiration (nuisance), and in 0-2 findings that appear or
resolve (signal). Findings that persist may grow or shrink without being reported, as in Medical-Diff-VQA's
difference questions, which only compare which findings are present. About 30 % of pairs have no change.
Rendering is `apps.cxr.phantoms.render`; the answer text follows the Medical-Diff-VQA templates (REFERENCE §4).

Sides are fixed per patient so one place is never claimed by two findings: an effusion and an atelectasis are
on opposite bases (fluid would hide the collapsed band), a pneumothorax is opposite a consolidation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

FINDINGS = ("pleural effusion", "cardiomegaly", "consolidation", "pneumothorax", "edema", "atelectasis")
CHANGE_QUESTION = "<image><image>What has changed compared to the reference image?"
NO_CHANGE_ANSWER = "nothing has changed."
# Single-image description, stage 1 of the demo models' recipe (docs/RECIPE.md): what one study shows.
FINDINGS_QUESTION = "<image>Which findings does this chest radiograph show?"
NO_FINDING_ANSWER = "no finding."
NO_CHANGE_RATE = 0.3
# Present findings have a severity in [MIN_SEVERITY, MAX_SEVERITY]; below it a finding would not be visible.
MIN_SEVERITY, MAX_SEVERITY = 0.55, 1.1
_PRIOR_RATE = 0.18
_MAX_PRIOR_FINDINGS = 3


def _join(names: Sequence[str]) -> str:
    """'A', 'A, and B', 'A, B, and C': Medical-Diff-VQA puts ", and" before the last item even of two."""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + ", and " + names[-1]


def findings_answer(present: Sequence[str]) -> str:
    """What one radiograph shows, for the single-image pretraining records (`FINDINGS_QUESTION`)."""
    return f"{_join(present)}." if present else NO_FINDING_ANSWER


def change_answer(added: Sequence[str], missing: Sequence[str]) -> str:
    """The reference answer for findings present only in the current (added) or only in the prior (missing).

    Worded like Medical-Diff-VQA's difference answers (singular "finding" for one item), so the evaluation's
    template parser and text metrics treat phantom and real answers alike.
    """
    sentences = []
    if added:
        what = "an additional finding" if len(added) == 1 else "additional findings"
        sentences.append(f"the main image has {what} of {_join(added)} than the reference image.")
    if missing:
        what = "finding" if len(missing) == 1 else "findings"
        sentences.append(
            f"the main image is missing the {what} of {_join(missing)} than the reference image."
        )
    return " ".join(sentences) or NO_CHANGE_ANSWER


@dataclass(frozen=True)
class Patient:
    """Anatomy that stays fixed across visits; lengths are in image half-widths (the image spans [-1, 1])."""

    thorax_half_width: float
    dome_level: float = field(metadata={"help": "height of the diaphragm's lateral ends; larger = lower"})
    heart_size: float
    texture_seed: int = field(metadata={"help": "seeds the lung markings, identical on every visit"})
    effusion_side: Literal[-1, 1] = field(metadata={"help": "-1 = patient's right (image left), 1 = left"})
    consolidation_side: Literal[-1, 1]
    consolidation_zone: float = field(metadata={"help": "vertical centre of the consolidated patch"})

    @property
    def atelectasis_side(self) -> Literal[-1, 1]:
        return -self.effusion_side

    @property
    def pneumothorax_side(self) -> Literal[-1, 1]:
        return -self.consolidation_side


@dataclass(frozen=True)
class Visit:
    """One acquisition: findings with severities, plus positioning and exposure that carry no diagnosis."""

    findings: dict[str, float]
    view: Literal["PA", "AP"]
    shift: tuple[float, float]
    rotation_deg: float
    scale: float
    inspiration: float = field(metadata={"help": "diaphragm offset; negative = deeper breath, lower dome"})
    gain: float
    noise: float
    noise_seed: int
    with_lateral: bool = field(
        metadata={"help": "whether the study also holds a lateral view (a distractor)"}
    )


@dataclass(frozen=True)
class PhantomPair:
    """A patient, the prior and current visits, and the reported difference between them."""

    patient: Patient
    prior: Visit
    current: Visit

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(
            name for name in FINDINGS if name in self.current.findings and name not in self.prior.findings
        )

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(
            name for name in FINDINGS if name in self.prior.findings and name not in self.current.findings
        )

    @property
    def answer(self) -> str:
        return change_answer(self.added, self.missing)


def sample_pair(rng: np.random.Generator) -> PhantomPair:
    """Draw a patient and two visits differing in 0 (30 %), 1 or 2 findings."""
    patient = Patient(
        thorax_half_width=float(rng.uniform(0.70, 0.84)),
        dome_level=float(rng.uniform(0.46, 0.56)),
        heart_size=float(rng.uniform(0.95, 1.03)),
        texture_seed=int(rng.integers(2**31)),
        effusion_side=int(rng.choice([-1, 1])),
        consolidation_side=int(rng.choice([-1, 1])),
        consolidation_zone=float(rng.uniform(-0.45, 0.05)),
    )
    drawn = [name for name in FINDINGS if rng.random() < _PRIOR_RATE]
    prior = {str(name) for name in rng.permutation(drawn)[:_MAX_PRIOR_FINDINGS]}
    n_changes = 0 if rng.random() < NO_CHANGE_RATE else int(rng.choice([1, 2], p=[0.6, 0.4]))
    current = prior ^ {str(name) for name in rng.choice(FINDINGS, size=n_changes, replace=False)}
    prior_severity = {name: float(rng.uniform(MIN_SEVERITY, 1.0)) for name in prior}
    current_severity = {
        name: float(np.clip(prior_severity[name] * rng.uniform(0.8, 1.25), MIN_SEVERITY, MAX_SEVERITY))
        if name in prior
        else float(rng.uniform(MIN_SEVERITY, 1.0))
        for name in current
    }
    return PhantomPair(patient, _sample_visit(rng, prior_severity), _sample_visit(rng, current_severity))


def _sample_visit(rng: np.random.Generator, findings: dict[str, float]) -> Visit:
    return Visit(
        findings=findings,
        view="PA" if rng.random() < 0.7 else "AP",
        shift=(float(rng.uniform(-0.05, 0.05)), float(rng.uniform(-0.04, 0.04))),
        rotation_deg=float(rng.uniform(-3.0, 3.0)),
        scale=float(rng.uniform(0.95, 1.05)),
        inspiration=float(rng.uniform(-0.04, 0.04)),
        gain=float(rng.uniform(0.9, 1.1)),
        noise=float(rng.uniform(0.006, 0.018)),
        noise_seed=int(rng.integers(2**31)),
        with_lateral=bool(rng.random() < 0.3),
    )
