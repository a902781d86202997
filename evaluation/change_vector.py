"""Comparison text -> 54-dim binary change vector (27 findings x {added, missing}), the input of the RATE-style score.

Entries 0..26 are "added" (present in the main/current image, not in the reference/prior) for `FINDINGS` in order,
entries 27..53 are "missing". The text is read sentence by sentence (split at . ! ? ; and line breaks):

1. Medical-Diff-VQA templates: "the main image has (an) additional finding(s) of A, B, and C than the reference
   image" sets A, B, C added; "the main image is missing the finding(s) of D than the reference image" sets D
   missing. Both may appear in one answer. "nothing has changed." sets nothing.
2. Any other sentence is free text. A change word decides the direction of the findings it governs:
   - added: new(ly), increase(d/ing), worse(ning), progression, develop(ed/ment), appearance of, larger, enlarging,
     growing, greater, more, additional, accumulating, recurrent, emerging, evolving;
   - missing: resolved/resolution, improve(d/ment), decrease(d), smaller, less(ened), reduced, diminished,
     cleared/clearing, no longer, disappeared, regressed, resorbed, no residual;
   - no change: unchanged, stable, no (significant) change, similar, persistent, again seen, redemonstrated,
     remains, continues, constant, not changed, as before.
   So worsening counts as added and improvement or resolution as missing; "unchanged/stable X" sets nothing.
   A change word governs the findings of its own phrase (phrases end at commas and at and/or/with/but/while/
   whereas/although); a phrase naming findings but no change word borrows one from its neighbour, from the
   phrase before when that one opens with its change word ("new effusion and edema"), else from the phrase after
   when that one ends with it ("effusion and edema have resolved").
   A change word right after a negation ("no new", "has not increased", "without interval increase") sets nothing.
   Within its phrase a finding that is hedged (see `evaluation.findings`) sets nothing, and so does a denied one
   ("new effusion is not seen") unless the denial is the resolution itself ("the pneumothorax has resolved").
   A finding described without any change word ("small left effusion") sets nothing.
3. Unparseable text (no finding, no template) is the zero vector; `is_readable` tells it apart from an answer
   that states no change, so reports and scores never present a garbled answer as "no change".
`change_directions` keeps the direction of each change word: new / worse (the added bit), better / resolved (the
missing bit), and stable (a finding stated unchanged: no bit), for reports that list changes by direction.
Level changes ("the level of X has changed from A to B") carry no direction word and set nothing. A finding can be
both added and missing ("increased right, decreased left effusion"); both bits are then set.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from evaluation.findings import FINDINGS, assertions, find_mentions

CHANGE_LABELS: tuple[str, ...] = tuple(f"{f} (added)" for f in FINDINGS) + tuple(
    f"{f} (missing)" for f in FINDINGS
)

_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")
_ADDED_TEMPLATE = re.compile(r"\badditional findings? of (?P<items>.+?)(?:\bthan (?:the )?reference image|$)")
_MISSING_TEMPLATE = re.compile(
    r"\bmissing (?:the )?findings? of (?P<items>.+?)(?:\bthan (?:the )?reference image|$)"
)
_PHRASE_BREAK = re.compile(r"[,;]|\b(?:and|or|with|but|while|whereas|although)\b")
# Change words by direction; "resolved"/"better" set the missing bit, "new"/"worse" the added bit.
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "resolved",
        re.compile(
            r"\b(?:no longer|no residual|without residual|resol(?:ved|ving|ution|ves)|clear(?:ed|ing)|"
            r"disappear(?:ed|ance)|resorb(?:ed|ing)|resorption|(?:interval )?removal)\b"
        ),
    ),
    (
        "better",
        re.compile(
            r"\b(?:improv(?:ed|ing|ement|es)|decreas(?:ed|ing|es|e)|smaller|less(?:er|ened|ening)?|"
            r"reduc(?:ed|tion|ing)|diminish(?:ed|ing)|regress(?:ed|ion|ing))\b"
        ),
    ),
    (
        "stable",
        re.compile(
            r"\b(?:unchang\w*|stable|(?:no|without) (?:\w+ ){0,2}changes?|similar|persist\w*|"
            r"again (?:seen|noted|demonstrated|visualized)|re-?demonstrat\w*|remain\w*|continu\w*|constant|"
            r"not (?:\w+ )?changed|as before)\b"
        ),
    ),
    (
        "new",
        re.compile(
            r"\b(?:new(?:ly)?|develop(?:ed|ing|ment|s)?|appearance of|(?:has|have) (?:since )?appeared|additional|"
            r"recurr\w*|emerg\w*)\b"
        ),
    ),
    (
        "worse",
        re.compile(
            r"\b(?:increas(?:ed|ing|es|e)|wors(?:ened|ening|ens|e)|progress(?:ed|ion|ing|ive)?|larger|enlarging|"
            r"grow(?:ing|n|th)|greater|more|(?:re-?)?accumulat\w*|evolving)\b"
        ),
    ),
)
_ADDED, _MISSING = ("new", "worse"), ("resolved", "better")
# The first direction listed wins when one finding is given two (a report table shows one word per finding).
DIRECTIONS = ("new", "worse", "better", "resolved", "stable")
# A whole answer (or sentence) that says nothing changed, and nothing else: the only way to read "no change".
_NO_CHANGE_ANSWER = re.compile(
    r"(?:nothing (?:has )?changed|no (?:significant |appreciable )?(?:interval )?changes?(?: (?:since|from|compared "
    r"(?:to|with)) (?:the )?(?:prior|previous|reference)(?: (?:study|image|exam|radiograph))?)?|unchanged|stable)"
    r"(?: appearance)?[.!]?"
)
_NEGATOR_BEFORE_CUE = re.compile(r"\b(?:no|not|without|never|neither|nor)\b(?:\s+[\w-]+){0,2}\s*$")


def _cues(sentence: str) -> list[tuple[int, str]]:
    """(position, kind) of every change word, first kind listed winning where two patterns overlap."""
    found: list[tuple[int, int, str]] = []
    for kind, regex in _CUES:
        for m in regex.finditer(sentence):
            if all(m.end() <= s or m.start() >= e for s, e, _ in found):
                found.append((m.start(), m.end(), kind))
    return [(start, kind) for start, _, kind in sorted(found)]


class _Phrase(NamedTuple):
    cue: tuple[int, str] | None  # (position, kind) of the change word the phrase uses
    leads: bool  # the change word comes before the phrase's first finding ("new effusion")
    findings: list[tuple[str, str]]  # (finding, status within the phrase)


def _phrases(sentence: str) -> list[_Phrase]:
    cues = _cues(sentence)
    bounds = [0, *(m.start() for m in _PHRASE_BREAK.finditer(sentence)), len(sentence)]
    phrases = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        found = assertions(sentence[a:b])
        own = [c for c in cues if a <= c[0] < b]
        first = a + found[0][0].start if found else b
        before = [c for c in own if c[0] < first]
        cue = before[-1] if before else (own[0] if own else None)
        phrases.append(_Phrase(cue, bool(before), [(m.finding, status) for m, status in found]))
    return phrases


def _borrow(phrases: list[_Phrase], index: int) -> tuple[int, str] | None:
    """A phrase without a change word takes the nearest earlier one that opens its phrase, else the nearest later
    one that closes its phrase (or stands alone)."""
    earlier = next((p for p in reversed(phrases[:index]) if p.cue is not None), None)
    if earlier is not None and earlier.leads:
        return earlier.cue
    later = next((p for p in phrases[index + 1 :] if p.cue is not None), None)
    if later is not None and (not later.leads or not later.findings):
        return later.cue
    return None


def _free_text(sentence: str, directions: dict[str, set[str]]) -> None:
    phrases = _phrases(sentence)
    for index, phrase in enumerate(phrases):
        cue = phrase.cue if phrase.cue is not None else _borrow(phrases, index)
        if cue is None or _NEGATOR_BEFORE_CUE.search(sentence[: cue[0]]):
            continue
        for finding, status in phrase.findings:
            if cue[1] in _MISSING and status != "uncertain" or cue[1] in (*_ADDED, "stable") and status == "present":
                directions[cue[1]].add(finding)


def change_directions(text: str) -> dict[str, set[str]]:
    """Direction -> findings, for "new", "worse", "better", "resolved" and "stable" (a finding stated unchanged),
    by the module's rules; the templates give "new" (additional findings) and "resolved" (missing findings)."""
    directions: dict[str, set[str]] = {direction: set() for direction in DIRECTIONS}
    for sentence in _SENTENCE_BREAK.split(text.lower().strip()):
        templates = [(_ADDED_TEMPLATE, "new"), (_MISSING_TEMPLATE, "resolved")]
        hits = [(regex.search(sentence), direction) for regex, direction in templates]
        if any(match for match, _ in hits):
            for match, direction in hits:
                if match:
                    directions[direction].update(m.finding for m in find_mentions(match.group("items")))
        else:
            _free_text(sentence, directions)
    return directions


def is_readable(text: str) -> bool:
    """Whether an answer parses into the 27-finding vocabulary: it states a change or a stable finding, or each
    of its sentences is exactly a no-change statement ("nothing has changed.", "No interval change."). A garbled
    answer that merely contains such a phrase ("nothing has changed effusion than the effusion") is not readable,
    and must not be reported or scored as "no change"."""
    if any(change_directions(text).values()):
        return True
    sentences = [s for s in _SENTENCE_BREAK.split(text.lower().strip()) if s.strip()]
    return bool(sentences) and all(_NO_CHANGE_ANSWER.fullmatch(s.strip()) for s in sentences)


def change_sets(text: str) -> tuple[set[str], set[str]]:
    """(findings added, findings missing) that a comparison text states, by the module's rules."""
    directions = change_directions(text)
    added = set().union(*(directions[d] for d in _ADDED))
    missing = set().union(*(directions[d] for d in _MISSING))
    return added, missing


def change_vector(text: str) -> np.ndarray:
    """The 54-dim 0/1 vector of `CHANGE_LABELS` for one comparison text (zeros when nothing parseable)."""
    added, missing = change_sets(text)
    vector = np.zeros(len(CHANGE_LABELS), dtype=np.int8)
    for i, finding in enumerate(FINDINGS):
        vector[i] = finding in added
        vector[len(FINDINGS) + i] = finding in missing
    return vector
