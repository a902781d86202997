"""Whether an answer is a readable edit instruction, or text that must not be shown as one.

A model far outside its training data (the demo model on photographs, a random-initialised model anywhere)
writes word salad: "place a white star in white triangle in yellow star white triangle in top left ...". Shown
as an instruction it reads as a confident, absurd edit. Two checks decide:

- the grammar (`grammar=True`, for a model trained on `sve diff make-dataset` data such as the demo model):
  every sentence must be exactly one instruction the generator can write (`synthetic.TEMPLATES` filled with its
  own colours, shapes, places and backgrounds), optionally after its "before -> after: " observation, or the
  no-edit answer; a sequence must be "First, ... Then, ..." in order (case aside). The grammar is built from the generator's
  tables, so it cannot drift from what the model was taught.
- for any model: degenerate repetition (one to three words repeated `REPEATS` times in a row, or fewer than
  `MIN_DISTINCT` of the words distinct) and fragments (empty, or no edit verb `categories` knows in a sentence).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from apps.image_diff.describe.categories import edit_category
from apps.image_diff.synthetic.edits import NO_EDIT, TEMPLATES, where
from apps.image_diff.synthetic.scene import BACKGROUNDS, COLORS, REGIONS, SHAPES

REPEATS = 3  # an n-gram (n <= 3) this many times in a row is degenerate: the grammar never repeats itself
MIN_DISTINCT = 0.3  # share of distinct words below which a long answer is a loop (checked from 12 words)
_REPEATED = re.compile(r"\b((?:\w+\W+){1,3}?)\1{" + str(REPEATS - 1) + r"}")
_ORDER_WORDS = ("first", "then", "after that")  # `synthetic.in_order`, compared in lower case


@dataclass(frozen=True)
class Reading:
    """An answer's verdict: readable, or why not (a phrase a user can read after "the model's answer ...")."""

    readable: bool
    reason: str = ""


def _alternatives(words: list[str]) -> str:
    return "(?:" + "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)) + ")"


@functools.cache
def _sentence() -> re.Pattern[str]:
    """One instruction of the generator, optionally after its observation, or the no-edit answer."""
    colour, shape = _alternatives(list(COLORS)), _alternatives(list(SHAPES))
    label = f"{colour} {shape}"
    article = f"(?:a|an) (?:(?:small|large) )?{label}"
    places = [where(region, "in") for region in REGIONS]
    words = {
        "old": label,
        "a_new": f"(?:a|an) {label}",
        "where": _alternatives(places),
        "to": _alternatives([where(region, "to") for region in REGIONS]),
        "color": colour,
        "comparative": "(?:bigger|smaller)",
        "resize_verb": "(?:enlarge|shrink)",
        "background": _alternatives([background.phrase for background in BACKGROUNDS.values()]),
    }
    instructions = [
        re.escape(template).replace(r"\{", "{").replace(r"\}", "}").format(**words)
        for templates in TEMPLATES.values()
        for template in templates
    ]
    observation = f"{article} {_alternatives(places)} -> {article} {_alternatives(places)}: "
    return re.compile(f"(?:{re.escape(NO_EDIT)}|(?:{observation})?(?:{'|'.join(instructions)}))")


def _in_grammar(text: str) -> bool:
    text = " ".join(text.lower().split()).rstrip(".")
    if _sentence().fullmatch(text):
        return True
    sentences = [part.strip() for part in text.split(". ")]
    if len(sentences) < 2:
        return False
    expected = [*_ORDER_WORDS[:2], *[_ORDER_WORDS[2]] * (len(sentences) - 2)]
    return all(
        sentence.startswith(f"{word}, ") and bool(_sentence().fullmatch(sentence[len(word) + 2 :]))
        for word, sentence in zip(expected, sentences, strict=True)
    )


def degenerate(text: str) -> bool:
    """One to three words repeated `REPEATS` times in a row, or a long answer of few distinct words."""
    words = text.lower().split()
    if _REPEATED.search(" ".join(words) + " "):
        return True
    return len(words) >= 12 and len(set(words)) < MIN_DISTINCT * len(words)


def is_no_edit(text: str) -> bool:
    """The answer says the pair shows no edit (`synthetic.NO_EDIT`, up to case, spacing and a full stop)."""
    return " ".join(text.lower().split()).rstrip(".").rstrip() == NO_EDIT


def read(text: str, *, grammar: bool) -> Reading:
    """The verdict on one answer; `grammar`: hold it to the generator's grammar (the demo model's own)."""
    if not text.strip():
        return Reading(False, "is empty")
    if is_no_edit(text):
        return Reading(True)
    if degenerate(text):
        return Reading(False, "repeats itself")
    if grammar:
        return Reading(True) if _in_grammar(text) else Reading(False, "is not an instruction the model was taught")
    sentences = [part for part in re.split(r"(?<=[.!?])\s+|\n+", text.strip()) if part.strip()]
    if any(edit_category(sentence) == "unknown" for sentence in sentences):
        return Reading(False, "names no edit")
    return Reading(True)
