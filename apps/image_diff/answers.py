"""An image-diff answer in words: the edit instruction(s), each optionally after what the model saw.

The embedded demo model says first what the edited object was and what it became, then the instruction:
"a pink square on the left -> a pink circle on the left: replace the pink square with a pink circle". A model
that writes one token at a time otherwise picks the verb (replace, or recolour?) before it has named the shape
it sees (docs/RECIPE.md, lesson 7). Everything downstream reads answers through `split_answer`, so categories,
exact match and caption metrics score the instruction alone, and users see the observation beside it. Answers
without observations (any other model's) pass through unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ARROW = " -> "
# "<before> -> <after>: " inside one sentence; the phrases hold no comma, so "First, " stays outside.
_OBSERVATION = re.compile(r"([^.,:\s][^.,:]*?) -> ([^.,:]+?): ")


def observed(before: str, after: str, instruction: str) -> str:
    """An instruction after its observation: 'a red star at the top -> a blue star at the top: make ...'."""
    return f"{before}{ARROW}{after}: {instruction}"


@dataclass(frozen=True)
class Answer:
    instruction: str  # the answer with every observation taken out
    observations: tuple[str, ...]  # "before -> after", one per edit that states one, in order


def split_answer(text: str) -> Answer:
    """The instruction(s) and the observations of an answer."""
    observations = tuple(f"{before.strip()}{ARROW}{after.strip()}" for before, after in _OBSERVATION.findall(text))
    return Answer(_OBSERVATION.sub("", text).strip(), observations)
