"""`CxrResult` and `Step` (what the model said about a series of studies) and their reading: a model's
change answer turned into what a reader of chest films expects: the comparison header (dates,
interval, views, limitations), the changed findings first and the stable ones after, a table over the 27
Medical-Diff-VQA findings with the changed rows marked, and the files `sve cxr report` and the UI hand out
(`report.json`, `report.md`, PNGs with neutral names).

Reading: the answer goes through `evaluation.change_vector.change_directions`, the parser of the RATE-style
score, so the report states exactly the changes the benchmark would credit: the Medical-Diff-VQA templates
("the main image has additional findings of ...", "... is missing the finding of ...") and free text ("new
effusion", "worsening edema", "the pneumothorax has resolved", "stable cardiomegaly"). Hedged findings
("possible new effusion") are not read as changes.

Wording rules of `Comparison.report`:
- changed findings first, in the order new, worse, improved, resolved ("New A, B and C. Worse D. ..."), each
  list in `evaluation.findings.FINDINGS` order so equal answers read the same; a finding both added and missing
  ("increased right, decreased left effusion"): "Interval change in E, new in part and resolved in part.";
  then "Stable F." for findings stated unchanged; then "No other interval change." after any change;
- nothing changed and the answer is exactly a no-change statement ("nothing has changed.", "No interval
  change."), or names only stable findings: "No interval change.";
- anything else (`evaluation.change_vector.is_readable` is False: a garbled or hedged answer, or one that
  merely contains "nothing has changed" among other words): `UNREADABLE`, never "No interval change.".
The table gives each finding its `change` (new / worse / improved / resolved / mixed / stable / "not stated"; the
first five are the changed rows, `FindingRow.changed`, which the markdown and the UI highlight) and its `status`
as the change score counts it ("added", "missing", "added and missing", "unchanged"; an unreadable answer
leaves every finding unchanged).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image

from apps.common.overlay import RELATIVE_CHANGE, heatmap_overlay, with_colour_bar
from apps.cxr.dicom.image import CxrImage
from apps.cxr.dicom.validity import SeriesValidity
from apps.cxr.dicom.windows import apply_window
from evaluation.change_vector import change_directions, is_readable
from evaluation.findings import FINDINGS, GROUP_OF
from evaluation.report import markdown_table

DEMO_WARNING = "Demo model trained on synthetic images — not for clinical use."
RESEARCH_NOTE = (
    "Research software, not a medical device: the report is a model's reading of the images and must be "
    "checked against them by a radiologist."
)
UNREADABLE = (
    "UNREADABLE: the model's answer does not parse into the 27 findings, so no change (and no stability) is "
    "reported; see the answer itself."
)
Status = Literal["added", "missing", "added and missing", "unchanged"]
_STATUS: dict[tuple[bool, bool], Status] = {  # (added, missing) -> status as the change score counts it
    (True, True): "added and missing",
    (True, False): "added",
    (False, True): "missing",
    (False, False): "unchanged",
}
CHANGED = ("new", "worse", "improved", "resolved", "mixed")
NOT_STATED = "not stated"
TABLE_HEADERS = ["changed", "group", "finding", "change"]
# report word for each parser direction, in the order the report lists them
_WORDS = {"new": "new", "worse": "worse", "better": "improved", "resolved": "resolved", "stable": "stable"}


@dataclass(frozen=True)
class FindingRow:
    """One row of the per-finding table."""

    group: str  # anatomy group of `evaluation.findings.GROUPS`
    finding: str
    status: Status  # as the change score counts it
    change: str  # one of CHANGED, "stable" or NOT_STATED: what the report says

    @property
    def changed(self) -> bool:
        return self.change in CHANGED

    def cells(self) -> list[str]:
        return ["◆" if self.changed else "", self.group, self.finding, self.change]


@dataclass(frozen=True)
class Comparison:
    """One answer about a prior -> current pair, read into findings by direction (each in `FINDINGS` order)."""

    answer: str
    directions: dict[str, tuple[str, ...]]  # "new", "worse", "improved", "resolved", "stable" -> findings
    readable: bool  # the answer parses into the 27-finding vocabulary (`is_readable`)

    @classmethod
    def from_answer(cls, answer: str) -> Comparison:
        found = change_directions(answer)
        directions = {
            word: tuple(name for name in FINDINGS if name in found[key]) for key, word in _WORDS.items()
        }
        return cls(answer=answer, directions=directions, readable=is_readable(answer))

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(name for name in FINDINGS if name in self.directions["new"] + self.directions["worse"])

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(
            name for name in FINDINGS if name in self.directions["improved"] + self.directions["resolved"]
        )

    @property
    def changed(self) -> bool:
        return bool(self.added or self.missing)

    def status(self, finding: str) -> Status:
        return _STATUS[finding in self.added, finding in self.missing]

    def change(self, finding: str) -> str:
        if finding in self.added and finding in self.missing:
            return "mixed"
        return next((word for word, names in self.directions.items() if finding in names), NOT_STATED)

    @property
    def rows(self) -> list[FindingRow]:
        """The 27 findings with their status and change, in `FINDINGS` order."""
        return [FindingRow(GROUP_OF[name], name, self.status(name), self.change(name)) for name in FINDINGS]

    @property
    def report(self) -> str:
        """The comparison in radiology wording, by the module's rules: changed findings first, stable after."""
        if not self.readable:
            return UNREADABLE
        statuses = {name: self.change(name) for name in FINDINGS}
        changed = [
            f"{word.capitalize()} {_join(names)}."
            for word in ("new", "worse", "improved", "resolved")
            if (names := [name for name in FINDINGS if statuses[name] == word])
        ] + [
            f"Interval change in {name}, new in part and resolved in part."
            for name in FINDINGS
            if statuses[name] == "mixed"
        ]
        stable = [name for name in FINDINGS if statuses[name] == "stable"]
        after = [f"Stable {_join(stable)}."] if stable else []
        if not changed:
            return " ".join(["No interval change.", *after])
        return " ".join([*changed, *after, "No other interval change."])


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def grey_image(pixels: np.ndarray) -> Image.Image:
    """(H, W) in [0, 1] -> 8-bit grey, rounded as the training PNGs are: every PNG written here, every preview
    and every model input goes through it."""
    return Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8))


@dataclass(frozen=True)
class Step:
    """One consecutive comparison, study `prior` -> study `current` (0-based, oldest first)."""

    prior: int
    current: int
    comparison: Comparison
    heatmap: np.ndarray | None  # (H, W) in [0, 1] on the current image's pixel grid; None: stateless model


@dataclass(frozen=True)
class CxrResult:
    """What the model said about a series of one patient's studies, oldest first."""

    images: list[CxrImage]  # each study's frontal radiograph, de-identified metadata only
    steps: list[Step]  # len(images) - 1 consecutive comparisons
    model: str
    demo: bool  # True when running the embedded demo model (trained on synthetic phantoms)
    validity: SeriesValidity  # warnings for every output and each step's comparison header

    @property
    def names(self) -> list[str]:
        """Neutral study names for files and tables: prior/current for a pair, study_1..N for a series."""
        if len(self.images) == 2:
            return ["prior", "current"]
        return [f"study_{number}" for number in range(1, len(self.images) + 1)]

    def heatmap_name(self, index: int) -> str:
        """File stem of the heatmap over study `index`: `heatmap` for a pair, `heatmap_<number>` in a series."""
        return "heatmap" if len(self.images) == 2 else f"heatmap_{index + 1}"

    @property
    def has_heatmaps(self) -> bool:
        return any(step.heatmap is not None for step in self.steps)

    def view(
        self, index: int, *, preset: str = "default", heatmap: bool = False, opacity: float = 0.6
    ) -> Image.Image:
        """Study `index` under window `preset` (`apps.cxr.dicom.windows`), as RGB; with `heatmap`, the change since
        the study before it drawn on top at `opacity` where the model gives one, above its colour bar."""
        change = self.steps[index - 1].heatmap if heatmap and index > 0 else None
        image = heatmap_overlay(grey_image(apply_window(self.images[index], preset)), change, alpha=opacity)
        return image if change is None else with_colour_bar(image, RELATIVE_CHANGE)


def comparison_header(result: CxrResult, step: Step) -> str:
    """The comparison header a radiologist reads first: the two studies with their dates (shown to the reader
    only, never logged), the interval in days, the views, and every limitation of this comparison."""
    names, header = result.names, result.validity.steps[step.prior]
    studies = [
        f"{names[index]} {when.isoformat() if when else 'date not recorded'} ({view})"
        for index, when, view in zip((step.prior, step.current), header.dates, header.views, strict=True)
    ]
    interval = f", interval {header.interval_days} days" if header.interval_days is not None else ""
    limitations = " ".join(f"{text[0].upper()}{text[1:]}." for text in header.limitations) or "None stated."
    return f"**Comparison:** {studies[0]} → {studies[1]}{interval}.\n\n**Limitations:** {limitations}"


def report_json(result: CxrResult) -> dict[str, Any]:
    """Everything `report.json` holds: de-identified study descriptors (no name, ID or UID exists in `CxrMeta`),
    the validity warnings, and per consecutive pair its header (dates, interval, views, limitations), the
    answer, the report, the changes, the table and the heatmap file."""
    names = result.names
    return {
        "model": result.model,
        "demo": result.demo,
        "notice": f"{DEMO_WARNING} {RESEARCH_NOTE}" if result.demo else RESEARCH_NOTE,
        "warnings": list(result.validity.warnings),
        "studies": [
            {"name": name, **asdict(image.meta)} for name, image in zip(names, result.images, strict=True)
        ],
        "comparisons": [
            {
                "prior": names[step.prior],
                "current": names[step.current],
                "dates": [when.isoformat() if when else None for when in header.dates],
                "interval_days": header.interval_days,
                "views": list(header.views),
                "limitations": list(header.limitations),
                "answer": step.comparison.answer,
                "report": step.comparison.report,
                "readable": step.comparison.readable,
                "added": list(step.comparison.added),
                "missing": list(step.comparison.missing),
                "findings": [{**asdict(row), "changed": row.changed} for row in step.comparison.rows],
                "heatmap": f"{result.heatmap_name(step.current)}.png" if step.heatmap is not None else None,
            }
            for step, header in zip(result.steps, result.validity.steps, strict=True)
        ],
    }


def report_markdown(result: CxrResult) -> str:
    """`report.md`: the notice and warnings, the studies, then per pair the comparison header, the report, the
    model's answer and the table with the changed rows first-class (bold)."""
    names = result.names
    notice = [f"> **{DEMO_WARNING}**", ">"] if result.demo else []
    warnings = [f"> ⚠ **{warning}**" for warning in result.validity.warnings]
    studies = [
        [
            name,
            meta.modality or "–",
            meta.view_position or "–",
            f"{meta.columns} x {meta.rows}",
            meta.transfer_syntax,
        ]
        for name, meta in zip(names, (image.meta for image in result.images), strict=True)
    ]
    parts = [
        "# Chest X-ray comparison",
        "\n".join([*notice, f"> {RESEARCH_NOTE}", *([">"] if warnings else []), *warnings]),
        f"Model: `{result.model}`",
        "## Studies (oldest first)",
        markdown_table(["study", "modality", "view", "pixels", "encoding"], studies),
    ]
    for step in result.steps:
        rows = [
            [f"**{cell}**" if row.changed and cell else cell for cell in row.cells()]
            for row in step.comparison.rows
        ]
        parts += [
            f"## {names[step.prior]} → {names[step.current]}",
            comparison_header(result, step),
            f"**Report:** {step.comparison.report}",
            f"**Model answer:** {step.comparison.answer}",
            markdown_table(TABLE_HEADERS, rows),
        ]
    return "\n\n".join(parts) + "\n"


def write_report(result: CxrResult, out: Path, *, images: bool = True) -> list[Path]:
    """Write `report.json`, `report.md` and, with `images`, each study under its default window and each change
    heatmap over its study (`<name>.png`, `heatmap*.png`) into `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "report.json", out / "report.md"]
    written[0].write_text(
        json.dumps(report_json(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    written[1].write_text(report_markdown(result), encoding="utf-8")
    if images:
        for index, name in enumerate(result.names):
            written.append(out / f"{name}.png")
            result.view(index).save(written[-1])
        for step in result.steps:
            if step.heatmap is not None:
                written.append(out / f"{result.heatmap_name(step.current)}.png")
                result.view(step.current, heatmap=True).save(written[-1])
    return written
