"""The ImgEdit category of an edit instruction in words: what a free-text answer is counted, filtered and shown
under, like the ground truth's `synthetic.Category`.

A model answers in the imperative the training data uses ("remove the red circle", "make the star bigger"), so
the category follows from the verb that opens the edit. Any mention of the background makes it a background edit
("replace the background with ...", "change the background to ..."), whatever the verb; otherwise the earliest
known verb decides. The verbs are the generator's templates (`synthetic.TEMPLATES`) plus the common wordings of
ImgEdit's own prompts; a test checks that every generated instruction parses to its true category.
"""

from __future__ import annotations

import re
from typing import Literal

from apps.image_diff.synthetic.scene import Category

EditCategory = Category | Literal["unknown"]

# Alternatives inside one group are tried in order at the same position, so "turn the cup into a lamp" is a
# replace while "turn the cup red" falls through to adjust.
_VERBS: dict[Category, str] = {
    "add": r"add|put|place|insert|include",
    "remove": r"remove|delete|erase|take away|take out|get rid of|eliminate",
    "replace": r"replace|swap|substitute|turn\b.*?\binto|transform|convert",
    "adjust": r"change|make|paint|recolou?r|colou?r|enlarge|shrink|resize|move|shift|adjust|rotate|turn",
}
_VERB = re.compile(r"\b(?:" + "|".join(f"(?P<{name}>{words})" for name, words in _VERBS.items()) + r")\b")
_BACKGROUND = re.compile(r"\bbackground\b")
# Sentence ends, and the line breaks ImgEdit puts between the turns of a multi-turn prompt.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def edit_category(instruction: str) -> EditCategory:
    """The category of one edit; "unknown" when the words name no edit this parser knows."""
    text = instruction.lower()
    if _BACKGROUND.search(text):
        return "background"
    match = _VERB.search(text)
    return match.lastgroup if match else "unknown"  # type: ignore[return-value]


def edit_categories(text: str, num_edits: int) -> list[EditCategory]:
    """One category per edit the answer states: the whole text for a single edit (a pair of images), one per
    sentence for a sequence ("First, move the star. Then, remove the circle.")."""
    if num_edits == 1:
        return [edit_category(text)]
    sentences = [sentence for sentence in _SENTENCE_END.split(text.strip()) if sentence.strip()]
    return [edit_category(sentence) for sentence in sentences] or ["unknown"]
