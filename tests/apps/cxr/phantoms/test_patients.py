"""Phantoms: answers follow the Medical-Diff-VQA templates, pairs change 0-2 findings with ~30 % no-change,
sampling is seeded, and every finding visibly changes the rendered image (else a model could not learn it)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from apps.cxr.phantoms.patients import FINDINGS, MIN_SEVERITY, NO_CHANGE_ANSWER, change_answer, sample_pair
from apps.cxr.phantoms.render import render_frontal, render_lateral

ADDED = "the main image has {} of {} than the reference image."
MISSING = "the main image is missing the {} of {} than the reference image."


@pytest.mark.parametrize(
    ("added", "missing", "answer"),
    [
        ((), (), NO_CHANGE_ANSWER),
        (("edema",), (), ADDED.format("an additional finding", "edema")),
        (
            ("pleural effusion", "cardiomegaly"),
            (),
            ADDED.format("additional findings", "pleural effusion, and cardiomegaly"),
        ),
        ((), ("pneumothorax",), MISSING.format("finding", "pneumothorax")),
        (
            ("consolidation",),
            ("edema", "atelectasis"),
            ADDED.format("an additional finding", "consolidation")
            + " "
            + MISSING.format("findings", "edema, and atelectasis"),
        ),
    ],
)
def test_change_answer_templates(added, missing, answer) -> None:
    assert change_answer(added, missing) == answer


def test_pairs_change_zero_to_two_findings_about_thirty_percent_unchanged() -> None:
    pairs = [sample_pair(np.random.default_rng(seed)) for seed in range(400)]
    changes = [len(p.added) + len(p.missing) for p in pairs]
    assert max(changes) <= 2
    assert 0.24 <= changes.count(0) / len(pairs) <= 0.36
    assert {name for p in pairs for name in p.added + p.missing} == set(FINDINGS)
    assert all(set(p.added).isdisjoint(p.missing) for p in pairs)
    assert all(p.answer == NO_CHANGE_ANSWER for p, n in zip(pairs, changes, strict=True) if n == 0)


def test_sampling_and_rendering_are_seeded() -> None:
    first, second = sample_pair(np.random.default_rng(7)), sample_pair(np.random.default_rng(7))
    assert first == second
    np.testing.assert_array_equal(
        render_frontal(first.patient, first.current, 64), render_frontal(second.patient, second.current, 64)
    )


@pytest.mark.parametrize("finding", FINDINGS)
def test_each_finding_at_its_mildest_visibly_changes_the_image(finding) -> None:
    pair = sample_pair(np.random.default_rng(3))
    clear = replace(pair.prior, findings={}, noise=0.0)
    base = render_frontal(pair.patient, clear, 96)
    with_finding = render_frontal(pair.patient, replace(clear, findings={finding: MIN_SEVERITY}), 96)
    assert base.dtype == np.float32 and base.min() >= 0 and base.max() <= 1
    assert (np.abs(with_finding - base) > 0.05).mean() > 0.015, f"{finding} is too faint to learn at 96 px"


def test_lateral_view_differs_from_frontal() -> None:
    pair = sample_pair(np.random.default_rng(0))
    frontal, lateral = (
        render_frontal(pair.patient, pair.prior, 64),
        render_lateral(pair.patient, pair.prior, 64),
    )
    assert lateral.shape == frontal.shape and np.abs(lateral - frontal).mean() > 0.05
