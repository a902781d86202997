"""The change-sentence language: the templates the generator writes, and the parser that reads any of them,
and their lexical variants, back into a categorical change.

Both directions live here so that what can be written can always be read: every template round-trips (a test
checks it), and a model answer with a synonym ("grey ball", "disappeared", "was swapped for") scores the same as
the template it paraphrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evaluation.controlled.scene import COLORS, SHAPES, SIZES, Attributes

KINDS: tuple[str, ...] = ("move", "add", "delete", "replace")

TEMPLATES: dict[str, tuple[str, ...]] = {
    "move": ("the {old} moved.", "the {old} changed its position.", "someone moved the {old}.",
             "the {old} was moved to another place."),
    "add": ("a {new} was added.", "a {new} appeared.", "someone added a {new}.", "there is a new {new}."),
    "delete": ("the {old} was removed.", "the {old} disappeared.", "the {old} is gone.",
               "someone removed the {old}."),
    "replace": ("the {old} was replaced by a {new}.", "a {new} replaced the {old}.",
                "the {old} turned into a {new}.", "the {old} became a {new}."),
}

# lexical variant -> the vocabulary word it means
SYNONYMS: dict[str, str] = {
    "grey": "gray", "big": "large", "tiny": "small", "little": "small", "ball": "circle", "sphere": "circle",
    "disc": "circle", "disk": "circle", "cube": "square", "box": "square", "block": "square",
}
# cue words of each change kind, tried in this order (a "move ... to another place" is not an addition)
CUES: tuple[tuple[str, str], ...] = (
    ("replace", r"replaced|turned into|became|changed into|swapped for|exchanged for"),
    ("delete", r"removed|disappeared|gone|missing|deleted|vanished|taken away"),
    ("move", r"moved|changed its (?:position|location)|shifted|relocated"),
    ("add", r"added|appeared|new|placed|put"),
)
_OBJECT = re.compile(rf"\b(?:({'|'.join(SIZES)})\s+)?(?:({'|'.join(COLORS)})\s+)?({'|'.join(SHAPES)})\b")
_NEW_FIRST = re.compile(r"\breplaced\s+(?:the|a|an)\b")  # "a X replaced the Y": the new object comes first

Fields = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class ChangeKey:
    """A change as categories: its kind and the (size, colour, shape) of the object before and after.

    Moves and deletions name only `old`, additions only `new`; a field the text leaves out is None."""

    kind: str
    old: Fields = (None, None, None)
    new: Fields = (None, None, None)

    def fields(self) -> tuple[str | None, ...]:
        return (self.kind, *self.old, *self.new)


def key_of(kind: str, old: Attributes | None, new: Attributes | None) -> ChangeKey:
    def fields(a: Attributes | None) -> Fields:
        return (a.size, a.color, a.shape) if a else (None, None, None)
    return ChangeKey(kind, fields(old if kind != "add" else None), fields(new if kind in ("add", "replace") else None))


def sentence(template: str, old: Attributes | None, new: Attributes | None) -> str:
    return template.format(old=old.phrase() if old else "", new=new.phrase() if new else "")


def normalise(text: str) -> str:
    words = re.findall(r"[a-z]+", text.lower())
    return " ".join(SYNONYMS.get(w, w) for w in words)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"[.!?;\n]+", text) if s.strip()]


def parse_sentence(text: str) -> ChangeKey | None:
    """The change one sentence describes, or None when it names no change kind or no object."""
    clean = normalise(text)
    kind = next((k for k, cue in CUES if re.search(rf"\b(?:{cue})\b", clean)), None)
    objects = [m.groups() for m in _OBJECT.finditer(clean)]
    if kind is None or not objects:
        return None
    if kind == "replace":
        if _NEW_FIRST.search(clean):
            objects.reverse()
        old, new = objects[0], (objects[1] if len(objects) > 1 else (None, None, None))
        return ChangeKey(kind, old, new)
    if kind == "add":
        return ChangeKey(kind, new=objects[0])
    return ChangeKey(kind, old=objects[0])


def parse_answer(text: str) -> list[ChangeKey | None]:
    """One entry per sentence; None marks a sentence that describes no readable change."""
    return [parse_sentence(s) for s in split_sentences(text)]
