"""Table-driven checks of the CXR text rules: single-report extraction (present / absent / uncertain) and
comparison text -> change sets. Each row is one hand-written sentence; together they name all 27 findings and the
negation, hedge and change words the module docstrings promise."""

from __future__ import annotations

import re

import pytest

from evaluation.change_vector import CHANGE_LABELS, change_sets, change_vector
from evaluation.findings import FINDINGS, GROUP_OF, GROUPS, extract

P, A, U = "present", "absent", "uncertain"

EXTRACT_CASES: list[tuple[str, dict[str, str]]] = [
    # one or more surface forms of every finding
    ("Bibasilar atelectasis.", {"atelectasis": P}),
    ("Lobar collapse of the left lower lobe.", {"atelectasis": P}),
    ("Subsegmental atelectatic changes at the right base.", {"atelectasis": P}),
    ("Patchy opacity in the right lower lung.", {"lung opacity": P}),
    ("Increased opacification of the left hemithorax.", {"lung opacity": P}),
    ("Mild interstitial edema.", {"edema": P}),
    ("Pulmonary oedema has resolved.", {"edema": A}),
    ("Findings consistent with pneumonia.", {"pneumonia": P}),
    ("Right middle lobe consolidation.", {"consolidation": P}),
    ("The lungs are hyperinflated with emphysematous changes.", {"emphysema": P}),
    ("Changes of COPD.", {"emphysema": P}),
    ("Findings may represent infection.", {"infection": U}),
    ("Calcified granuloma in the left upper lobe.", {"granuloma": P}),  # a granuloma, not a calcification
    ("Right lung contusion after trauma.", {"contusion": P}),
    ("Small bilateral pleural effusions.", {"pleural effusion": P}),
    ("Trace left effusion.", {"pleural effusion": P}),
    ("Small right apical pneumothorax.", {"pneumothorax": P}),
    ("Apical pleural thickening is chronic.", {"pleural thickening": P}),
    ("Blunting of the left costophrenic angle.", {"blunting of the costophrenic angle": P, "pleural effusion": P}),
    ("Blunted right costophrenic angle.", {"blunting of the costophrenic angle": P, "pleural effusion": P}),
    ("Moderate cardiomegaly.", {"cardiomegaly": P}),
    ("The heart size is mildly enlarged.", {"cardiomegaly": P}),
    ("Enlarged cardiac silhouette.", {"cardiomegaly": P}),
    ("Pulmonary vascular congestion.", {"vascular congestion": P}),
    ("Mild congestion.", {"vascular congestion": P}),
    ("Findings suggest congestive heart failure.", {"heart failure": U}),
    ("History of CHF.", {"heart failure": P}),
    ("Bilateral hilar congestion.", {"hilar congestion": P}),
    ("Large hiatal hernia.", {"hernia": P}),
    ("Pneumomediastinum is present.", {"pneumomediastinum": P}),
    ("Tortuosity of the thoracic aorta.", {"tortuosity of the thoracic aorta": P}),
    ("Tortuous aorta.", {"tortuosity of the thoracic aorta": P}),
    ("The descending aorta is tortuous.", {"tortuosity of the descending aorta": P}),
    ("Tortuosity of the descending thoracic aorta.", {"tortuosity of the descending aorta": P}),
    ("Aortic knob calcification.", {"calcification": P}),
    ("Healed left rib fractures.", {"fracture": P}),
    ("Mild thoracic scoliosis.", {"scoliosis": P}),
    ("Chest wall hematoma.", {"hematoma": P}),
    ("Air collection in the left chest wall.", {"air collection": P}),
    ("Free air under the diaphragm.", {"air collection": P}),
    ("Marked gastric distention.", {"gastric distention": P}),
    ("The stomach is distended.", {"gastric distention": P}),
    # real report language (issue #22): negation scope, hedges, resolution, synonyms
    ("The heart is not enlarged.", {"cardiomegaly": A}),
    ("Heart size is normal.", {"cardiomegaly": A}),
    ("No focal consolidation, pleural effusion, or pneumothorax.", {"consolidation": A, "pleural effusion": A, "pneumothorax": A}),
    ("Lungs are clear without consolidation or edema.", {"consolidation": A, "edema": A}),
    ("Pneumonia is less likely.", {"pneumonia": U}),
    ("Possible small left effusion.", {"pleural effusion": U}),
    ("Cannot exclude early pneumonia.", {"pneumonia": U}),
    ("Opacity may represent atelectasis or pneumonia.", {"lung opacity": P, "atelectasis": U, "pneumonia": U}),
    ("The pneumothorax is no longer visualized.", {"pneumothorax": A}),
    ("The right effusion has resolved.", {"pleural effusion": A}),
    ("Subcutaneous emphysema in the right chest wall.", {"air collection": P}),
    ("Right upper lobe collapse.", {"atelectasis": P}),
    ("Blunting of the right costophrenic angle.", {"blunting of the costophrenic angle": P, "pleural effusion": P}),
    ("Tortuous and calcified aorta.", {"tortuosity of the thoracic aorta": P, "calcification": P}),
    ("Mild dextroscoliosis.", {"scoliosis": P}),
    # negation
    ("No pneumothorax.", {"pneumothorax": A}),
    ("No pleural effusion or pneumothorax.", {"pleural effusion": A, "pneumothorax": A}),
    ("There is no evidence of pneumonia.", {"pneumonia": A}),
    ("The lungs are clear without consolidation.", {"consolidation": A}),
    ("Negative for fracture.", {"fracture": A}),
    ("Pneumothorax is not seen.", {"pneumothorax": A}),
    ("Interval resolution of the pneumothorax.", {"pneumothorax": A}),
    ("The effusion has resolved.", {"pleural effusion": A}),
    ("Edema is no longer seen.", {"edema": A}),
    ("Absence of free air.", {"air collection": A}),
    ("Small effusion but no pneumothorax.", {"pleural effusion": P, "pneumothorax": A}),
    ("No edema; there is a small effusion.", {"edema": A, "pleural effusion": P}),
    ("No change in the small left effusion.", {"pleural effusion": P}),
    ("Pericardial effusion is unchanged.", {}),
    ("No acute cardiopulmonary process.", {}),
    # uncertainty
    ("Possible left lower lobe pneumonia.", {"pneumonia": U}),
    ("Opacity may represent atelectasis.", {"lung opacity": P, "atelectasis": U}),
    ("Pneumonia cannot be excluded.", {"pneumonia": U}),
    ("Cannot exclude a small pneumothorax.", {"pneumothorax": U}),
    ("Likely atelectasis at the left base.", {"atelectasis": U}),
    ("Findings suspicious for infection.", {"infection": U}),
    ("Questionable small hematoma.", {"hematoma": U}),
    ("Atelectasis versus consolidation.", {"atelectasis": U, "consolidation": U}),
    ("Consolidation likely reflects pneumonia.", {"consolidation": P, "pneumonia": U}),
    ("Pneumothorax is unlikely.", {"pneumothorax": U}),
    # repeated mentions: present beats uncertain beats absent
    ("Small left effusion. No right effusion.", {"pleural effusion": P}),
    ("No edema. Possible edema at the bases.", {"edema": U}),
]

CHANGE_CASES: list[tuple[str, set[str], set[str]]] = [
    # Medical-Diff-VQA templates
    (
        "the main image has an additional finding of pleural effusion than the reference image.",
        {"pleural effusion"},
        set(),
    ),
    (
        "the main image has additional findings of consolidation, and pneumonia than the reference image. the main "
        "image is missing the findings of pleural effusion, pneumothorax, and atelectasis than the reference image.",
        {"consolidation", "pneumonia"},
        {"pleural effusion", "pneumothorax", "atelectasis"},
    ),
    (
        "the main image is missing the finding of cardiomegaly than the reference image.",
        set(),
        {"cardiomegaly"},
    ),
    (
        "the main image has additional findings of lung opacity, blunting of the costophrenic angle, and "
        "tortuosity of the descending aorta than the reference image.",
        {"lung opacity", "blunting of the costophrenic angle", "tortuosity of the descending aorta"},
        set(),
    ),
    (
        "the main image is missing the findings of hilar congestion, vascular congestion, and heart failure than the "
        "reference image.",
        set(),
        {"hilar congestion", "vascular congestion", "heart failure"},
    ),
    ("nothing has changed.", set(), set()),
    ("The main image has additional findings of edema", {"edema"}, set()),
    # added: new, increased, worsening, ...
    ("New small left effusion.", {"pleural effusion"}, set()),
    ("Newly developed right pneumothorax.", {"pneumothorax"}, set()),
    ("Increased pulmonary edema.", {"edema"}, set()),
    (
        "Interval increase in bilateral pleural effusions and pulmonary edema.",
        {"pleural effusion", "edema"},
        set(),
    ),
    ("The left effusion has increased.", {"pleural effusion"}, set()),
    ("Worsening right lower lobe consolidation.", {"consolidation"}, set()),
    ("Progression of the left basilar opacity.", {"lung opacity"}, set()),
    ("Interval development of a left apical pneumothorax.", {"pneumothorax"}, set()),
    ("Appearance of a new rib fracture.", {"fracture"}, set()),
    ("The hiatal hernia is larger.", {"hernia"}, set()),
    ("Enlarging chest wall hematoma.", {"hematoma"}, set()),
    ("More prominent vascular congestion.", {"vascular congestion"}, set()),
    ("New pneumomediastinum.", {"pneumomediastinum"}, set()),
    ("New subcutaneous air collection.", {"air collection"}, set()),
    ("Increased gastric distention.", {"gastric distention"}, set()),
    ("New contusion of the right lung.", {"contusion"}, set()),
    ("Worsened heart failure.", {"heart failure"}, set()),
    ("New left lower lobe consolidation concerning for pneumonia.", {"consolidation"}, set()),
    ("Increased opacity, likely atelectasis.", {"lung opacity"}, set()),
    ("New effusion and atelectasis.", {"pleural effusion", "atelectasis"}, set()),
    ("No pneumothorax, new effusion.", {"pleural effusion"}, set()),
    # missing: resolved, decreased, improved, ...
    ("Interval resolution of the pneumothorax.", set(), {"pneumothorax"}),
    ("The right pleural effusion has resolved.", set(), {"pleural effusion"}),
    ("Resolved right middle lobe pneumonia.", set(), {"pneumonia"}),
    ("Decreased pulmonary edema.", set(), {"edema"}),
    ("The effusion has decreased in size.", set(), {"pleural effusion"}),
    ("Improved aeration with decreased atelectasis.", set(), {"atelectasis"}),
    ("Improving left basilar consolidation.", set(), {"consolidation"}),
    ("The pneumothorax is smaller.", set(), {"pneumothorax"}),
    ("Less prominent hilar congestion.", set(), {"hilar congestion"}),
    ("Pneumothorax is no longer seen.", set(), {"pneumothorax"}),
    ("No residual pneumothorax.", set(), {"pneumothorax"}),
    ("Effusion, edema and atelectasis have resolved.", set(), {"pleural effusion", "edema", "atelectasis"}),
    ("Reduced gastric distention.", set(), {"gastric distention"}),
    ("Near complete resolution of the infection.", set(), {"infection"}),
    ("Clearing of the right lower lobe opacity.", set(), {"lung opacity"}),
    # both directions in one text
    (
        "The effusion has increased, and edema and atelectasis have resolved.",
        {"pleural effusion"},
        {"edema", "atelectasis"},
    ),
    ("Increased edema with decreased effusion.", {"edema"}, {"pleural effusion"}),
    ("Increased right effusion; decreased left effusion.", {"pleural effusion"}, {"pleural effusion"}),
    # no change: unchanged, stable, ...
    ("Unchanged moderate cardiomegaly.", set(), set()),
    ("Stable small left effusion.", set(), set()),
    ("Cardiomegaly is stable.", set(), set()),
    ("Scoliosis is unchanged.", set(), set()),
    ("No significant change in the emphysema.", set(), set()),
    ("Persistent left lower lobe atelectasis.", set(), set()),
    ("Calcified granuloma again seen.", set(), set()),
    ("The thoracic aorta remains tortuous.", set(), set()),
    ("Apical pleural thickening is similar to prior.", set(), set()),
    ("New effusion and unchanged edema and atelectasis.", {"pleural effusion"}, set()),
    # negated or hedged change words set nothing
    ("No new effusion.", set(), set()),
    ("No evidence of new consolidation.", set(), set()),
    ("The effusion has not increased.", set(), set()),
    ("The pneumothorax has not resolved.", set(), set()),
    ("Without interval increase in edema.", set(), set()),
    ("Possible new consolidation.", set(), set()),
    ("New pneumonia cannot be excluded.", set(), set()),
    ("New effusion is not seen.", set(), set()),
    # descriptions without a change word, or nothing parseable
    ("Small left pleural effusion.", set(), set()),
    ("No pneumothorax.", set(), set()),
    ("The lungs are clear.", set(), set()),
    ("", set(), set()),
    ("I cannot compare these images.", set(), set()),
    ("The level of pleural effusion has changed from small to moderate.", set(), set()),
]


@pytest.mark.parametrize(("text", "expected"), EXTRACT_CASES, ids=[c[0][:50] for c in EXTRACT_CASES])
def test_extract(text: str, expected: dict[str, str]) -> None:
    assert extract(text) == expected


@pytest.mark.parametrize(("text", "added", "missing"), CHANGE_CASES, ids=[c[0][:50] for c in CHANGE_CASES])
def test_change_sets(text: str, added: set[str], missing: set[str]) -> None:
    assert change_sets(text) == (added, missing)


def test_table_is_large_and_names_every_finding() -> None:
    assert len(EXTRACT_CASES) + len(CHANGE_CASES) >= 100
    named = {f for _, labels in EXTRACT_CASES for f in labels} | {
        f for _, added, missing in CHANGE_CASES for f in added | missing
    }
    assert named == set(FINDINGS)


@pytest.mark.parametrize(
    "word", ["new", "increased", "decreased", "resolved", "unchanged", "stable", "no", "possible"]
)
def test_table_uses_each_cue_word(word: str) -> None:
    texts = [t for t, _ in EXTRACT_CASES] + [t for t, _, _ in CHANGE_CASES]
    assert any(re.search(rf"\b{word}\b", t, flags=re.IGNORECASE) for t in texts)


def test_findings_follow_reference_order_and_groups() -> None:
    assert len(FINDINGS) == 27 and FINDINGS[0] == "atelectasis" and FINDINGS[-1] == "gastric distention"
    assert [len(names) for names in GROUPS.values()] == [9, 4, 4, 4, 4, 2]
    assert all(GROUP_OF[name] in GROUPS for name in FINDINGS)


def test_vector_layout() -> None:
    vector = change_vector("New effusion. Resolved pneumothorax.")
    assert vector.shape == (54,) and len(CHANGE_LABELS) == 54
    assert {CHANGE_LABELS[i] for i in vector.nonzero()[0]} == {
        "pleural effusion (added)",
        "pneumothorax (missing)",
    }
