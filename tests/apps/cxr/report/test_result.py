"""The comparison report without a model: scripted answers through `Comparison` (the wording rules, the
table), and results built by hand through the writers (file names, JSON structure, markdown sections)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from apps.cxr.dicom.image import CxrImage, CxrMeta
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
        ("Stable cardiomegaly.", [], [], "No interval change."),
    ],
)
def test_readable_answers(answer: str, added: list[str], missing: list[str], report: str) -> None:
    comparison = Comparison.from_answer(answer)
    assert (list(comparison.added), list(comparison.missing)) == (added, missing)
    assert comparison.readable and comparison.report == report + (NO_OTHER if added or missing else "")


@pytest.mark.parametrize("answer", ["fer+ x", "", "possible new pleural effusion."])
def test_unreadable_answers_are_not_called_stable(answer: str) -> None:
    comparison = Comparison.from_answer(answer)
    assert not comparison.readable and comparison.report == UNREADABLE
    assert {row.status for row in comparison.rows} == {"unchanged"}  # as the change score counts it


def test_table_covers_the_27_findings() -> None:
    rows = Comparison.from_answer(
        "Increased right pleural effusion, decreased left pleural effusion. New edema."
    ).rows
    assert [row.finding for row in rows] == list(FINDINGS) and all(
        row.group == GROUP_OF[row.finding] for row in rows
    )
    changed = {row.finding: row.status for row in rows if row.status != "unchanged"}
    assert changed == {"pleural effusion": "added and missing", "edema": "added"}


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


def _result(answers: list[str], *, heatmaps: bool = True, demo: bool = False) -> CxrResult:
    steps = [
        Step(
            k, k + 1, Comparison.from_answer(answer), np.full((20, 30), 0.5, np.float32) if heatmaps else None
        )
        for k, answer in enumerate(answers)
    ]
    return CxrResult(images=[_image() for _ in range(len(answers) + 1)], steps=steps, model="m", demo=demo)


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
    assert set(comparison["findings"][0]) == {"group", "finding", "status"}


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
    assert DEMO_WARNING in markdown and markdown.count("| lungs | atelectasis |") == 2
    assert "## study_1 → study_2" in markdown and "## study_2 → study_3" in markdown
    assert "**Report:** New pleural effusion. Resolved pneumothorax." in markdown
    assert DEMO_WARNING not in report_markdown(_result(["nothing has changed."]))
