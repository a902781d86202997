"""The comparison report without a model: scripted answers through `Comparison` (the wording rules, the
table), and results built by hand through the writers (file names, JSON structure, markdown sections)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from apps.cxr.dicom.image import CxrImage, CxrMeta
from apps.cxr.dicom.validity import SeriesValidity, StepValidity
from apps.cxr.report.result import (
    DEMO_WARNING,
    UNREADABLE,
    Comparison,
    CxrResult,
    Step,
    report_markdown,
    write_report,
)
from evaluation.findings import FINDINGS, GROUP_OF

BOTH_TEMPLATES = (
    "the main image has an additional finding of pleural effusion than the reference image. "
    "the main image is missing the finding of pneumothorax than the reference image."
)
NO_OTHER = " No other interval change."


@pytest.mark.parametrize(
    ("answer", "added", "missing", "report"),
    [
        (
            BOTH_TEMPLATES,
            ["pleural effusion"],
            ["pneumothorax"],
            "New pleural effusion. Resolved pneumothorax.",
        ),
        (
            "the main image has additional findings of edema, pleural effusion, and atelectasis than the "
            "reference image.",
            ["atelectasis", "edema", "pleural effusion"],  # FINDINGS order, not the answer's
            [],
            "New atelectasis, edema and pleural effusion.",
        ),
        ("The pneumothorax has resolved.", [], ["pneumothorax"], "Resolved pneumothorax."),
        (
            "Increased right pleural effusion, decreased left pleural effusion.",
            ["pleural effusion"],
            ["pleural effusion"],
            "Interval change in pleural effusion, new in part and resolved in part.",
        ),
        ("nothing has changed.", [], [], "No interval change."),
        ("Stable cardiomegaly.", [], [], "No interval change. Stable cardiomegaly."),
        (
            "Worsening edema. The effusion has decreased. Stable cardiomegaly. New pneumothorax.",
            ["edema", "pneumothorax"],
            ["pleural effusion"],
            "New pneumothorax. Worse edema. Improved pleural effusion. Stable cardiomegaly.",
        ),
    ],
)
def test_readable_answers(answer: str, added: list[str], missing: list[str], report: str) -> None:
    comparison = Comparison.from_answer(answer)
    assert (list(comparison.added), list(comparison.missing)) == (added, missing)
    assert comparison.readable and comparison.report == report + (NO_OTHER if added or missing else "")


@pytest.mark.parametrize(
    "answer",
    [
        "fer+ x",
        "",
        "possible new pleural effusion.",
        "nothing has changed effusion than the effusion",  # a no-change phrase inside garbage
        "nothing has changed. the effusion",
        "no change in the the the",
    ],
)
def test_unreadable_answers_are_not_called_stable(answer: str) -> None:
    comparison = Comparison.from_answer(answer)
    assert not comparison.readable and comparison.report == UNREADABLE
    assert "No interval change" not in comparison.report
    assert {row.change for row in comparison.rows} == {"not stated"} and not any(r.changed for r in comparison.rows)
    assert {row.status for row in comparison.rows} == {"unchanged"}  # as the change score counts it


def test_table_covers_the_27_findings() -> None:
    rows = Comparison.from_answer(
        "Increased right pleural effusion, decreased left pleural effusion. New edema."
    ).rows
    assert [row.finding for row in rows] == list(FINDINGS) and all(
        row.group == GROUP_OF[row.finding] for row in rows
    )
    changed = {row.finding: (row.status, row.change) for row in rows if row.changed}
    assert changed == {"pleural effusion": ("added and missing", "mixed"), "edema": ("added", "new")}


def _image(rows: int = 20, columns: int = 30) -> CxrImage:
    pixels = np.linspace(0, 1, rows * columns, dtype=np.float32).reshape(rows, columns)
    meta = CxrMeta(
        modality="DX",
        view_position="PA",
        rows=rows,
        columns=columns,
        bits_allocated=16,
        bits_stored=12,
        photometric_interpretation="MONOCHROME2",
        transfer_syntax="Explicit VR Little Endian",
        pixel_spacing_mm=(0.2, 0.2),
    )
    return CxrImage(pixels=pixels, values=pixels * 4000, meta=meta)


def _result(
    answers: list[str], *, heatmaps: bool = True, demo: bool = False, warnings: tuple[str, ...] = ()
) -> CxrResult:
    steps = [
        Step(
            k, k + 1, Comparison.from_answer(answer), np.full((20, 30), 0.5, np.float32) if heatmaps else None
        )
        for k, answer in enumerate(answers)
    ]
    images = [_image() for _ in range(len(answers) + 1)]
    header = [
        StepValidity(k, k + 1, (date(2101, 1, 1 + k), date(2101, 1, 2 + k)), 1, ("PA", "PA"), ())
        for k in range(len(answers))
    ]
    validity = SeriesValidity(order=tuple(range(len(images))), warnings=warnings, steps=tuple(header))
    return CxrResult(images=images, steps=steps, model="m", demo=demo, validity=validity)


def test_pair_files(tmp_path: Path) -> None:
    written = write_report(_result([BOTH_TEMPLATES]), tmp_path)
    assert [path.name for path in written] == [
        "report.json",
        "report.md",
        "prior.png",
        "current.png",
        "heatmap.png",
    ]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["model"] == "m" and report["demo"] is False and DEMO_WARNING not in report["notice"]
    assert [study["name"] for study in report["studies"]] == ["prior", "current"]
    assert set(report["studies"][0]) >= {"modality", "view_position", "rows", "columns", "study_order"}
    [comparison] = report["comparisons"]
    assert (comparison["prior"], comparison["current"], comparison["heatmap"]) == (
        "prior",
        "current",
        "heatmap.png",
    )
    assert comparison["added"] == ["pleural effusion"] and len(comparison["findings"]) == 27
    assert set(comparison["findings"][0]) == {"group", "finding", "status", "change", "changed"}
    assert (comparison["dates"], comparison["interval_days"]) == (["2101-01-01", "2101-01-02"], 1)


def test_series_files_without_heatmaps_and_downloads_only(tmp_path: Path) -> None:
    result = _result(["nothing has changed.", BOTH_TEMPLATES], heatmaps=False)
    names = [path.name for path in write_report(result, tmp_path / "all")]
    assert names == ["report.json", "report.md", "study_1.png", "study_2.png", "study_3.png"]
    report = json.loads((tmp_path / "all" / "report.json").read_text())
    assert [(c["prior"], c["current"], c["heatmap"]) for c in report["comparisons"]] == [
        ("study_1", "study_2", None),
        ("study_2", "study_3", None),
    ]
    assert [p.name for p in write_report(result, tmp_path / "text", images=False)] == [
        "report.json",
        "report.md",
    ]


def test_markdown_sections_and_demo_notice() -> None:
    markdown = report_markdown(_result(["nothing has changed.", BOTH_TEMPLATES], demo=True))
    assert DEMO_WARNING in markdown and markdown.count("|  | lungs | atelectasis | not stated |") == 2
    assert "| **◆** | **pleura** | **pleural effusion** | **new** |" in markdown  # changed rows stand out
    assert "**Comparison:** study_2 2101-01-02 (PA) → study_3 2101-01-03 (PA), interval 1 days." in markdown
    assert "## study_1 → study_2" in markdown and "## study_2 → study_3" in markdown
    assert "**Report:** New pleural effusion. Resolved pneumothorax." in markdown
    assert DEMO_WARNING not in report_markdown(_result(["nothing has changed."]))


def test_warnings_reach_every_output(tmp_path: Path) -> None:
    """A relaxed rule (--allow-body-part) or an unverified input is stated in report.md and report.json."""
    warning = "not a chest radiograph: skull.dcm has BodyPartExamined (0018,0015) SKULL; compared anyway"
    result = _result([BOTH_TEMPLATES], warnings=(warning,))
    write_report(result, tmp_path, images=False)
    assert f"> ⚠ **{warning}**" in (tmp_path / "report.md").read_text()
    assert json.loads((tmp_path / "report.json").read_text())["warnings"] == [warning]
