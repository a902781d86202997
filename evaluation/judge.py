"""Pairwise MLLM-as-judge: which of two systems describes an image sequence's changes better.

The judge is any callable `(image_paths, prompt) -> reply`: `evaluation.openai_judge.OpenAIJudge` for an
OpenAI-compatible endpoint, or a local model (`evaluation.predict.load_captioner(...).describe` fits as is).

Judges favour whichever answer they read first or second; so every item is asked twice, A/B and then B/A, and the
two verdicts (mapped back to the systems) are summed: +1 for a vote for A, -1 for B, 0 for a tie or a reply that
names no verdict. Positive -> A wins, negative -> B wins, zero -> tie. A verdict that flips with the order is thus
a tie, while one clear preference plus one tie still counts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from tqdm import tqdm

Verdict = Literal["A", "B", "tie"]
JudgeFn = Callable[[list[str], str], str]

PROMPT = """You are judging two descriptions of what changed across the {count} images shown (oldest first).
{reference}Description A: {first}
Description B: {second}

Which description states what changed more accurately and completely? Ignore length and style.
Reply with exactly one word: A, B, or tie."""
REFERENCE = "Reference description, written by a person: {text}\n"

_TIE = re.compile(r"\b(?:tie|tied|draw|equal(?:ly)?|same|neither|both)\b")
_BRACKETED = re.compile(r"\[\[\s*(a|b|tie)\s*\]\]")
_NAMED = re.compile(
    r"\b(?:description|answer|option|response|output|caption|system|candidate)\s*\(?([ab])\)?\b"
)
_VERDICT_LINE = re.compile(
    r"^\(?([ab])\)?[.!]?$"  # a bare letter
    r"|\b(?:verdict|answer|choice|winner|prefer|preferred)\b(?: is)?\s*[:\-]?\s*\(?([ab])\)?[.!]?$"  # "answer: B"
    r"|^\(?([ab])\)? is (?:better|more|the better)\b"  # "A is more accurate than B"
)


def parse_verdict(reply: str) -> Verdict | None:
    """ "A", "B" or "tie" from a judge's reply, or None when it names no single verdict.

    Accepts a bare letter or "tie" (any case, punctuation, "Verdict: B", "The answer is A", "[[A]]", "A is
    better"), judged on the last line first (where reasoning judges put their verdict), then on the whole reply.
    Replies naming both letters without such a verdict are None.
    """
    text = reply.strip().lower()
    if not text:
        return None
    bracketed = _BRACKETED.findall(text)
    if len(set(bracketed)) == 1:
        return "tie" if bracketed[0] == "tie" else bracketed[0].upper()  # type: ignore[return-value]
    last = text.splitlines()[-1].strip().strip("*\"'` ")
    for candidate in (last, text):
        letter = _VERDICT_LINE.search(candidate)
        if letter:
            return next(g for g in letter.groups() if g).upper()  # type: ignore[return-value]
        if _TIE.search(candidate) and not _NAMED.search(candidate):
            return "tie"
        named = set(_NAMED.findall(candidate))
        if len(named) == 1:
            return named.pop().upper()  # type: ignore[return-value]
    return None


@dataclass(frozen=True)
class JudgeItem:
    id: str
    images: list[str]
    a: str
    b: str
    references: list[str]
    group: str = "all"  # e.g. the ImgEdit edit type, for a per-group table


@dataclass(frozen=True)
class Outcome:
    id: str
    group: str
    a_first: Verdict | None  # verdict when A was shown first, in system terms
    b_first: Verdict | None  # verdict when B was shown first, mapped back to system terms
    result: Literal["win", "tie", "loss"]  # for system A


def _prompt(item: JudgeItem, first: str, second: str) -> str:
    reference = "".join(REFERENCE.format(text=r) for r in item.references)
    return PROMPT.format(count=len(item.images), reference=reference, first=first, second=second)


def judge_item(judge: JudgeFn, item: JudgeItem) -> Outcome:
    a_first = parse_verdict(judge(item.images, _prompt(item, item.a, item.b)))
    swapped = parse_verdict(judge(item.images, _prompt(item, item.b, item.a)))
    b_first: Verdict | None = {"A": "B", "B": "A", "tie": "tie", None: None}[swapped]  # type: ignore[assignment]
    votes = sum({"A": 1, "B": -1}.get(v or "tie", 0) for v in (a_first, b_first))
    result = "win" if votes > 0 else "loss" if votes < 0 else "tie"
    return Outcome(item.id, item.group, a_first, b_first, result)


def judge_all(judge: JudgeFn, items: Sequence[JudgeItem]) -> list[Outcome]:
    return [judge_item(judge, item) for item in tqdm(items, desc="judge", unit="item")]


def tally(outcomes: Sequence[Outcome]) -> dict[str, dict[str, int]]:
    """group -> counts of win / tie / loss (for A) and of replies without a verdict; "all" sums every group."""
    table: dict[str, Counter[str]] = {"all": Counter()}
    for outcome in outcomes:
        unparsed = [outcome.a_first, outcome.b_first].count(None)
        for group in {"all", outcome.group}:
            table.setdefault(group, Counter()).update({outcome.result: 1, "unparsed": unparsed})
    return {g: {k: counts[k] for k in ("win", "tie", "loss", "unparsed")} for g, counts in table.items()}
