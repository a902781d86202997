"""The 27 chest X-ray findings of Medical-Diff-VQA (REFERENCE §4), grouped by anatomy, and a rule-based reader that
says which of them a single report asserts, denies or hedges.

Why rules and not negspacy / medspaCy / pyConText: those need spaCy (not in this environment, and seconds of
import at start-up), their ConText defaults label "likely X" as present while a change score must credit only what
a report asserts, and `evaluation.change_vector` needs character offsets of each mention inside phrases it cuts
itself. A NegEx-style rule set of this size, measured on a hand-labelled set of report sentences with a held-out
split (`python -m evaluation.extractor_score`, docs/EXTRACTOR.md), is predictable and fast.

Rules of `extract(text)` (NegEx-style, deliberately small so a reader can predict every label):
- Mentions: each finding has surface forms (singular/plural, common synonyms such as "effusion" for pleural
  effusion, "CHF" for heart failure, "enlarged cardiac silhouette" for cardiomegaly, "lobe collapse" for
  atelectasis, "dextroscoliosis" for scoliosis, "tortuous aorta"). Overlapping matches keep the longest, so
  "pleural effusion" is one mention, "pericardial effusion" (not one of the 27) shadows "effusion",
  "subcutaneous emphysema" is an air collection (air in the soft tissues), not emphysema, and a "calcified
  granuloma" is a granuloma, not a calcification.
- Some mentions state their own absence ("the heart is not enlarged", "normal heart size", "the
  cardiomediastinal silhouette is within normal limits": cardiomegaly absent); a blunted costophrenic angle also
  counts as a pleural effusion with the same status (it is how a small effusion shows on a frontal film).
- Scope: a text is cut into clauses at . ; : ! ? and line breaks, at contrast words (but, however, although,
  though, whereas, while, except, which) and before "there is/are/has been". A cue affects only mentions in its
  own clause: cues written before a finding ("no", "possible") reach forward, cues written after it ("is not
  seen", "cannot be excluded") reach backward.
- Uncertain beats absent beats present for one mention. Hedges: possible/possibly, probable/probably, likely,
  unlikely, may, might, could, questionable, suspicious for, suspected, concerning for, suggestive of/suggests,
  equivocal, versus/vs, differential, cannot exclude / cannot be excluded / not excluded. We count "likely" as
  uncertain: it is a hedge, and a change score should credit only what a report asserts.
- Negation: no, not, without, negative for, free of, absence of, resolved / resolution of, clear of, rather than,
  removal of, nor, and after the finding "is not seen/identified/present/...", "absent", "has resolved/cleared",
  "no longer seen/visualized/...", "has been removed".
- Hedges also: presumed, borderline, compatible with, worrisome for, "is a consideration", "less likely".
  "No change in" / "no increase in" do not negate the finding that follows (it is still there).
- One finding mentioned several times: present if any mention is present, else uncertain if any is, else absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GROUPED_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "lungs": {
        "atelectasis": (
            r"atelecta(?:sis|ses|tic)",
            r"(?:lobar|segmental|subsegmental) collapse",
            r"(?:\w+ )?lobe collapse",
            r"collapse of the (?:\w+ ){0,3}(?:lobe|lung)",
            r"collapsed (?:\w+ ){0,2}(?:lobe|lung)",
            r"volume loss",
        ),
        "lung opacity": (
            r"(?:lung |airspace |parenchymal )?opacit(?:y|ies)",
            r"opacification",
            r"airspace disease",
        ),
        "edema": (r"(?:pulmonary |interstitial |alveolar )?o?edema",),
        "pneumonia": (r"pneumoni(?:a|as|c)", r"bronchopneumonia"),
        "consolidation": (r"consolidat(?:ion|ions|ive|ed)",),
        "emphysema": (r"emphysema(?:tous)?", r"copd", r"chronic obstructive pulmonary disease"),
        "infection": (r"infect(?:ion|ions|ious)(?: process)?",),
        "granuloma": (
            r"(?:calcified )?granulom(?:a|as|ata|atous)",
            r"calcified (?:\w+ )?(?:nodules?|granulomas?)",
        ),
        "contusion": (r"(?:pulmonary )?contusions?",),
    },
    "pleura": {
        "pleural effusion": (r"(?:pleural )?effusions?", r"pleural fluid", r"hydrothorax"),
        "pneumothorax": (r"pneumothora(?:x|ces)", r"hydropneumothorax"),
        "pleural thickening": (r"pleural thickening", r"thickening of the pleura", r"thickened pleura"),
        "blunting of the costophrenic angle": (
            r"blunt(?:ing|ed) of (?:the )?(?:\w+ )?costophrenic (?:angles?|sulc(?:us|i))",
            r"blunted (?:\w+ )?costophrenic (?:angles?|sulc(?:us|i))",
            r"costophrenic (?:angle|sulcus) blunting",
            r"costophrenic (?:angles?|sulc(?:us|i)) (?:is|are|remains?) (?:\w+ )?blunted",
        ),
    },
    "cardiac": {
        "cardiomegaly": (
            r"cardiomegaly",
            r"cardiac enlargement",
            r"enlarged (?:heart|cardiac silhouette)",
            r"enlargement of the (?:heart|cardiac silhouette)",
            r"(?:heart|cardiac silhouette)(?: size)? (?:is|remains|appears) (?:\w+ )?enlarged",
            r"(?:heart size|cardiac silhouette|cardiomediastinal silhouette) (?:is |remains |appears )?"
            r"(?:normal|within normal limits|top[- ]normal)",
            r"normal (?:heart size|cardiac silhouette|cardiomediastinal silhouette|size of the heart)",
        ),
        "vascular congestion": (
            r"(?:pulmonary )?(?:vascular|venous) (?:congestion|engorgement)",
            r"congestion",
        ),
        "heart failure": (r"(?:congestive )?heart failure", r"chf", r"cardiac (?:failure|decompensation)"),
        "hilar congestion": (r"hilar (?:vascular )?(?:congestion|engorgement)",),
    },
    "mediastinum/aorta": {
        "hernia": (r"(?:hiatal |hiatus )?hernia(?:s|tion)?",),
        "pneumomediastinum": (r"pneumomediastinum", r"mediastinal emphysema"),
        "tortuosity of the thoracic aorta": (
            r"tortuosity (?:and calcification )?of the (?:(?!descending)\w+ )?(?:thoracic )?aorta",
            r"tortuous(?= (?:and (?:calcified|unfolded|ectatic) )?(?:(?!descending)\w+ )?(?:thoracic )?aorta)",
            r"(?:thoracic )?aorta (?:is|remains|appears) (?:\w+ )?tortuous",
            r"aortic tortuosity",
        ),
        "tortuosity of the descending aorta": (
            r"tortuosity of the descending (?:thoracic )?aorta",
            r"tortuous descending (?:thoracic )?aorta",
            r"descending (?:thoracic )?aorta (?:is|remains|appears) (?:\w+ )?tortuous",
        ),
    },
    "chest wall/skeletal": {
        "calcification": (r"calcifi(?:cation|cations|ed)",),
        "fracture": (r"fractur(?:e|es|ed)",),
        "scoliosis": (r"(?:dextro|levo)?scolio(?:sis|tic)(?: curvature)?", r"curvature of the (?:thoracic )?spine"),
        "hematoma": (r"ha?ematomas?",),
    },
    "other": {
        "air collection": (
            r"air collections?",
            r"collections? of air",
            r"free (?:intraperitoneal )?air",
            r"pneumoperitoneum",
            r"subcutaneous (?:air|emphysema)",
            r"soft tissue (?:air|emphysema)",
        ),
        "gastric distention": (
            r"gastric disten(?:tion|sion)",
            r"disten(?:tion|sion) of the stomach",
            r"distended stomach",
            r"stomach is distended",
        ),
    },
}
# Phrases that contain a finding's word but are not one of the 27; as longer matches they hide it.
_NOT_FINDINGS = (r"pericardial effusions?", r"no acute cardiopulmonary process")
# Mentions that state their own absence ("normal heart size"), and mentions that imply a second finding
# (a blunted costophrenic angle is how a small effusion shows on a frontal film).
_SELF_NEGATING = re.compile(r"\b(?:not|no|normal|within normal limits|top[- ]normal)\b")
_IMPLIES = {"blunting of the costophrenic angle": "pleural effusion"}

FINDINGS: tuple[str, ...] = tuple(name for forms in _GROUPED_FORMS.values() for name in forms)
GROUPS: dict[str, tuple[str, ...]] = {group: tuple(forms) for group, forms in _GROUPED_FORMS.items()}
GROUP_OF: dict[str, str] = {name: group for group, names in GROUPS.items() for name in names}

_MATCHERS: tuple[tuple[str | None, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rf"\b(?:{'|'.join(forms)})\b"))
    for forms_by_name in _GROUPED_FORMS.values()
    for name, forms in forms_by_name.items()
) + ((None, re.compile(rf"\b(?:{'|'.join(_NOT_FINDINGS)})\b")),)

_CLAUSE_BREAK = re.compile(
    r"[.;:!?\n]|\b(?:but|however|although|though|whereas|while|except|which)\b|(?=\bthere (?:is|are|has been)\b)"
)
_UNCERTAIN_BEFORE = re.compile(
    r"\b(?:possibl[ey]|probabl[ey]|likely|unlikely|may|might|could|questionable|question of|suspicious for|"
    r"suspected|concerning for|concern for|suggestive of|suggests?|suggesting|equivocal|versus|vs|differential|"
    r"cannot exclude|can not exclude|cannot rule out|cannot be excluded|not excluded|presumed|presumably|"
    r"borderline|apparent|vague|indeterminate|raising the possibility of|compatible with|worrisome for|"
    r"consider|considered|either)\b"
)
_UNCERTAIN_AFTER = re.compile(
    r"\b(?:(?:cannot|can not|could not) be (?:excluded|ruled out)|not (?:be )?excluded|(?:is|are) (?:possible|"
    r"likely|unlikely|less likely|suspected|questioned|equivocal|not entirely excluded)|may be present|questioned|"
    r"versus|vs|(?:is|are) (?:also )?(?:a )?(?:consideration|possibility)|not (?:clearly|definitely) "
    r"(?:seen|excluded))\b"
)
_NEGATED_BEFORE = re.compile(
    r"\b(?:no(?!\s+(?:\w+\s+)?(?:change|changes|increase|decrease|interval change)\b)|not|without|negative for|"
    r"free of|absence of|resolution of|resolved|clear of|rather than|removal of|nor|neither|negative)\b"
)
_NEGATED_AFTER = re.compile(
    r"\b(?:(?:is|are|was|were|has|have)? ?not (?:been )?(?:seen|identified|present|visualized|visible|appreciated|"
    r"evident|demonstrated|detected|noted)|absent|(?:has|have) (?:since |now )?(?:resolved|cleared)|resolved|cleared|"
    r"no longer (?:\w+ )?(?:seen|present|visible|evident|identified|appreciated|visualized|demonstrated|noted)|"
    r"(?:has|have) (?:been )?removed)\b"
)
_RANK = {"absent": 0, "uncertain": 1, "present": 2}


@dataclass(frozen=True)
class Mention:
    """One finding named in a text; `start`/`end` index `text.lower()` (the text itself, for ASCII)."""

    finding: str
    start: int
    end: int


def find_mentions(text: str) -> list[Mention]:
    """Findings named in `text`, left to right, keeping the longest of overlapping matches."""
    lower = text.lower()
    candidates = [(m.start(), m.end(), name) for name, regex in _MATCHERS for m in regex.finditer(lower)]
    candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
    taken: list[tuple[int, int, str | None]] = []
    for start, end, name in candidates:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, name))
    return [Mention(name, s, e) for s, e, name in sorted(taken) if name is not None]


def _clauses(text: str) -> list[tuple[int, int]]:
    bounds = [0, *(m.start() for m in _CLAUSE_BREAK.finditer(text)), len(text)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _cued(
    pattern_before: re.Pattern[str], pattern_after: re.Pattern[str], clause: str, m: Mention, at: int
) -> bool:
    before, after = clause[: m.start - at], clause[m.end - at :]
    return bool(pattern_before.search(before) or pattern_after.search(after))


def assertions(text: str) -> list[tuple[Mention, str]]:
    """Every mention with its status ("present", "absent" or "uncertain") under the module's rules."""
    lower = text.lower()
    clauses = _clauses(lower)
    result = []
    for mention in find_mentions(text):
        start, end = next((a, b) for a, b in clauses if a <= mention.start < b)
        clause = lower[start:end]
        if _cued(_UNCERTAIN_BEFORE, _UNCERTAIN_AFTER, clause, mention, start):
            status = "uncertain"
        elif _SELF_NEGATING.search(lower[mention.start : mention.end]) or _cued(
            _NEGATED_BEFORE, _NEGATED_AFTER, clause, mention, start
        ):
            status = "absent"
        else:
            status = "present"
        result.append((mention, status))
        if mention.finding in _IMPLIES:
            result.append((Mention(_IMPLIES[mention.finding], mention.start, mention.end), status))
    return result


def extract(text: str) -> dict[str, str]:
    """Finding -> "present" / "absent" / "uncertain" for each finding a single report mentions."""
    labels: dict[str, str] = {}
    for mention, status in assertions(text):
        previous = labels.get(mention.finding)
        if previous is None or _RANK[status] > _RANK[previous]:
            labels[mention.finding] = status
    return labels
