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
3. Unparseable text (no finding, no template) is "no change": the zero vector.
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
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "missing",
        re.compile(
            r"\b(?:no longer|no residual|without residual|resol(?:ved|ving|ution|ves)|improv(?:ed|ing|ement|es)|"
            r"decreas(?:ed|ing|es|e)|smaller|less(?:er|ened|ening)?|reduc(?:ed|tion|ing)|diminish(?:ed|ing)|"
            r"clear(?:ed|ing)|disappear(?:ed|ance)|regress(?:ed|ion|ing)|resorb(?:ed|ing)|resorption)\b"
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
        "added",
        re.compile(
            r"\b(?:new(?:ly)?|increas(?:ed|ing|es|e)|wors(?:ened|ening|ens|e)|progress(?:ed|ion|ing|ive)?|"
            r"develop(?:ed|ing|ment|s)?|appearance of|(?:has|have) (?:since )?appeared|larger|enlarging|"
            r"grow(?:ing|n|th)|greater|more|additional|(?:re-?)?accumulat\w*|recurr\w*|emerg\w*|evolving)\b"
        ),
    ),
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


def _free_text(sentence: str, added: set[str], missing: set[str]) -> None:
    phrases = _phrases(sentence)
    for index, phrase in enumerate(phrases):
        cue = phrase.cue if phrase.cue is not None else _borrow(phrases, index)
        if cue is None or _NEGATOR_BEFORE_CUE.search(sentence[: cue[0]]):
            continue
        for finding, status in phrase.findings:
            if cue[1] == "missing" and status != "uncertain":
                missing.add(finding)
            elif cue[1] == "added" and status == "present":
                added.add(finding)


def change_sets(text: str) -> tuple[set[str], set[str]]:
    """(findings added, findings missing) that a comparison text states, by the module's rules."""
    added: set[str] = set()
    missing: set[str] = set()
    for sentence in _SENTENCE_BREAK.split(text.lower().strip()):
        templates = [(_ADDED_TEMPLATE, added), (_MISSING_TEMPLATE, missing)]
        hits = [(regex.search(sentence), target) for regex, target in templates]
        if any(match for match, _ in hits):
            for match, target in hits:
                if match:
                    target.update(m.finding for m in find_mentions(match.group("items")))
        else:
            _free_text(sentence, added, missing)
    return added, missing


def change_vector(text: str) -> np.ndarray:
    """The 54-dim 0/1 vector of `CHANGE_LABELS` for one comparison text (zeros when nothing parseable)."""
    added, missing = change_sets(text)
    vector = np.zeros(len(CHANGE_LABELS), dtype=np.int8)
    for i, finding in enumerate(FINDINGS):
        vector[i] = finding in added
        vector[len(FINDINGS) + i] = finding in missing
    return vector
