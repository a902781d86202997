"""Scores of the controlled tasks (REFERENCE §3), as pure functions of answer strings.

- Spatial aggregation: MAE and RMSE of the number in the answer, reported x10^-2 (an MAE of 1.15 means 0.0115).
  Every target lies in [0, 1], so a number is clipped to [0, 1] first (an untrained model's "7" would otherwise
  dominate a mean) and an answer with no number scores `UNPARSEABLE_ERROR` = 1.0, the largest error a clipped
  guess can make: declining to answer is never better than guessing.
- Dot location (the pretraining task): the same errors over the two coordinates of "(x, y)", the first two
  numbers of the answer; a missing coordinate is unparseable.
- Multi-object change: answers are split into sentences and parsed to categorical changes (lexical variants
  normalised, `change_text`); predicted and reference changes are paired one-to-one by maximum field agreement
  (`scipy.optimize.linear_sum_assignment`), so sentence order does not matter. Acc = exactly matched pairs /
  max(#reference, #predicted) changes, summed over the set: a missed change and an invented one both count as
  errors, and a sample with 2 of 3 changes right scores 2/3. Type Acc is the same with only the change kind
  compared. For caption metrics the predicted sentences are reordered to their matched references first.
- Perplexity: exp(sum of answer-token NLL / answer tokens), pooled over the set (token-weighted).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from evaluation.controlled.change_text import ChangeKey, parse_sentence, split_sentences

if TYPE_CHECKING:
    from sve_core.data import Sample

UNPARSEABLE_ERROR = 1.0
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)")


def parse_number(text: str) -> float | None:
    match = _NUMBER.search(text)
    return float(match.group()) if match else None


def _first_two_numbers(text: str) -> list[str]:
    """The first two numbers in `text`, "" standing for each one missing."""
    return [*(m.group() for m in _NUMBER.finditer(text)), "", ""][:2]


def parse_point(text: str) -> tuple[float, float]:
    """The (x, y) of a reference answer such as "(0.85, 0.10)"."""
    x, y = (float(n) for n in _first_two_numbers(text))
    return x, y


@dataclass(frozen=True)
class RegressionScores:
    mae: float  # x10^-2
    rmse: float  # x10^-2
    parsed: float  # fraction of answers that held a number
    count: int


def regression_scores(references: Sequence[float], answers: Sequence[str]) -> RegressionScores:
    if len(references) != len(answers) or not answers:
        raise ValueError(f"expected as many answers as references (>0), got {len(answers)} and {len(references)}")
    values = [parse_number(a) for a in answers]
    errors = np.array([UNPARSEABLE_ERROR if v is None else abs(min(max(v, 0.0), 1.0) - r)
                       for v, r in zip(values, references, strict=True)])
    return RegressionScores(mae=100 * float(errors.mean()), rmse=100 * float(np.sqrt((errors ** 2).mean())),
                            parsed=sum(v is not None for v in values) / len(values), count=len(values))


def location_scores(references: Sequence[tuple[float, float]], answers: Sequence[str]) -> RegressionScores:
    if len(references) != len(answers) or not answers:
        raise ValueError(f"expected as many answers as references (>0), got {len(answers)} and {len(references)}")
    coordinates = [c for a in answers for c in _first_two_numbers(a)]  # "" scores as unparseable
    return regression_scores([c for point in references for c in point], coordinates)


def agreement(a: ChangeKey | None, b: ChangeKey | None) -> float:
    """Fraction of categorical fields two changes share (0 when either is unreadable)."""
    if a is None or b is None:
        return 0.0
    fa, fb = a.fields(), b.fields()
    return sum(x == y for x, y in zip(fa, fb, strict=True)) / len(fa)


@dataclass(frozen=True)
class Matching:
    """One answer scored against its reference: matched (reference, prediction) sentence index pairs."""

    pairs: list[tuple[int, int]]
    exact: int
    same_kind: int
    references: int
    predictions: int


def match_changes(reference: str, answer: str) -> Matching:
    ref_sentences, pred_sentences = split_sentences(reference), split_sentences(answer)
    refs = [parse_sentence(s) for s in ref_sentences]
    preds = [parse_sentence(s) for s in pred_sentences]
    pairs: list[tuple[int, int]] = []
    exact = same_kind = 0
    if refs and preds:
        score = np.array([[agreement(r, p) for p in preds] for r in refs])
        rows, cols = linear_sum_assignment(score, maximize=True)
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            pairs.append((i, j))
            exact += score[i, j] == 1.0
            same_kind += refs[i] is not None and preds[j] is not None and refs[i].kind == preds[j].kind
    return Matching(pairs, int(exact), int(same_kind), len(refs), len(preds))


def aligned_answer(reference: str, answer: str) -> str:
    """`answer`'s sentences reordered to follow their matched reference sentences (unmatched ones last)."""
    sentences = split_sentences(answer)
    order = [j for _, j in sorted(match_changes(reference, answer).pairs)]
    rest = [j for j in range(len(sentences)) if j not in order]
    return " ".join(sentences[j] + "." for j in order + rest)


@dataclass(frozen=True)
class ChangeScores:
    acc: float  # %, exact categorical match
    type_acc: float  # %, change kind only
    count: int


def change_scores(references: Sequence[str], answers: Sequence[str]) -> ChangeScores:
    if len(references) != len(answers) or not answers:
        raise ValueError(f"expected as many answers as references (>0), got {len(answers)} and {len(references)}")
    matches = [match_changes(r, a) for r, a in zip(references, answers, strict=True)]
    slots = sum(max(m.references, m.predictions, 1) for m in matches)
    return ChangeScores(acc=100 * sum(m.exact for m in matches) / slots,
                        type_acc=100 * sum(m.same_kind for m in matches) / slots, count=len(matches))


def answers_of(model: Any, processor: Any, samples: Sequence[Sample], *, batch_size: int = 32,
               max_new_tokens: int = 48) -> list[str]:
    """Greedy answers to the samples' last user turns, in their order, through the suite's one prediction path
    (`sve_core.inference.predict`, imported here so scoring saved answers needs no torch)."""
    from sve_core.inference import Request, predict

    requests = [Request.from_sample(sample) for sample in samples]
    found = predict(model, processor, requests, batch_size=batch_size, max_new_tokens=max_new_tokens)
    return [description.text for description in found]


def reference_of(sample: Sample) -> str:
    """The answer a sample's last assistant turn gives: what a model's answer is scored against."""
    return sample.messages[-1].content


def perplexity(nll_sum: float, tokens: int) -> float:
    if tokens <= 0:
        raise ValueError("perplexity needs at least one answer token")
    return math.exp(nll_sum / tokens)
