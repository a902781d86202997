"""`CxrResult` (what the model said about a series of studies) and its reading: a model's change answer turned
into what a reader of chest films expects: the changed findings, a short comparison report in radiology wording,
a table over the 27 Medical-Diff-VQA findings, and the files `sve cxr report` and the UI hand out (`report.json`, `report.md`, PNGs with neutral names).

Reading: the answer goes through `evaluation.change_vector.change_sets`, the parser of the RATE-style score,
so the report states exactly the changes the benchmark would credit: the Medical-Diff-VQA templates ("the main
image has additional findings of ...", "... is missing the finding of ...") and free text ("new effusion",
"the pneumothorax has resolved"). Hedged findings ("possible new effusion") are not read as changes.

Wording rules of `Comparison.report`:
- findings in `evaluation.findings.FINDINGS` order (lungs, pleura, cardiac, ...), not in the model's order, so
  equal change sets read the same;
- added: "New A, B and C."; missing: "Resolved D."; a finding both added and missing (free text such as
  "increased right, decreased left effusion"): "Interval change in E, new in part and resolved in part.";
  after any of these: "No other interval change." (a difference answer states changes only);
- nothing added or missing, and the answer says so ("nothing has changed", "no change", "unchanged",
  "stable"): "No interval change.";
- nothing read and no such phrase (a garbled or hedged answer): `UNREADABLE`, rather than claiming stability.
The table marks each finding "added", "missing", "added and missing" or "unchanged" (no change stated; an
unreadable answer leaves every finding unchanged, as the score counts it).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image

from apps.common.overlay import heatmap_overlay
from apps.cxr.dicom.image import CxrImage
from apps.cxr.dicom.windows import apply_window
from evaluation.change_vector import change_sets
from evaluation.findings import FINDINGS, GROUP_OF
from evaluation.report import markdown_table

Status = Literal["added", "missing", "added and missing", "unchanged"]

DEMO_WARNING = "Demo model trained on synthetic images — not for clinical use."
RESEARCH_NOTE = (
    "Research software, not a medical device: the report is a model's reading of the images and must be "
    "checked against them by a radiologist."
)
UNREADABLE = "No finding change could be read from the model's answer; see the answer itself."
_STATUS: dict[tuple[bool, bool], Status] = {  # (added, missing) -> table status
    (True, True): "added and missing",
    (True, False): "added",
    (False, True): "missing",
    (False, False): "unchanged",
}
_SAYS_NO_CHANGE = re.compile(r"\b(?:nothing (?:has )?changed|no (?:\w+ )?changes?|unchanged|stable)\b")


@dataclass(frozen=True)
class FindingRow:
    """One row of the per-finding table."""

    group: str  # anatomy group of `evaluation.findings.GROUPS`
    finding: str
    status: Status


@dataclass(frozen=True)
class Comparison:
    """One answer about a prior -> current pair, read into change sets (findings in `FINDINGS` order)."""

    answer: str
    added: tuple[str, ...]
    missing: tuple[str, ...]
    readable: bool  # a change was read, or the answer says there is none

    @classmethod
    def from_answer(cls, answer: str) -> Comparison:
        added, missing = change_sets(answer)
        return cls(
            answer=answer,
            added=tuple(name for name in FINDINGS if name in added),
            missing=tuple(name for name in FINDINGS if name in missing),
            readable=bool(added or missing or _SAYS_NO_CHANGE.search(answer.lower())),
        )

    @property
    def changed(self) -> bool:
        return bool(self.added or self.missing)

    def status(self, finding: str) -> Status:
        return _STATUS[finding in self.added, finding in self.missing]

    @property
    def rows(self) -> list[FindingRow]:
        """The 27 findings with their status, in `FINDINGS` order."""
        return [FindingRow(GROUP_OF[name], name, self.status(name)) for name in FINDINGS]

    @property
    def report(self) -> str:
        """The comparison in radiology wording, by the module's rules."""
        if not self.changed:
            return "No interval change." if self.readable else UNREADABLE
        both = [name for name in self.added if name in self.missing]
        sentences = [
            f"{opening} {_join([name for name in names if name not in both])}."
            for opening, names in (("New", self.added), ("Resolved", self.missing))
            if any(name not in both for name in names)
        ]
        sentences += [f"Interval change in {name}, new in part and resolved in part." for name in both]
        return " ".join([*sentences, "No other interval change."])


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

    def view(self, index: int, *, preset: str = "default", heatmap: bool = False) -> Image.Image:
        """Study `index` under window `preset` (`apps.cxr.dicom.windows`), as RGB; with `heatmap`, the change since the
        study before it drawn on top where the model gives one."""
        change = self.steps[index - 1].heatmap if heatmap and index > 0 else None
        return heatmap_overlay(grey_image(apply_window(self.images[index], preset)), change)


def report_json(result: CxrResult) -> dict[str, Any]:
    """Everything `report.json` holds: de-identified study descriptors (no name, ID, date or UID exists in
    `CxrMeta`), and per consecutive pair the answer, the report, the changes, the table and the heatmap file."""
    names = result.names
    return {
        "model": result.model,
        "demo": result.demo,
        "notice": f"{DEMO_WARNING} {RESEARCH_NOTE}" if result.demo else RESEARCH_NOTE,
        "studies": [
            {"name": name, **asdict(image.meta)} for name, image in zip(names, result.images, strict=True)
        ],
        "comparisons": [
            {
                "prior": names[step.prior],
                "current": names[step.current],
                "answer": step.comparison.answer,
                "report": step.comparison.report,
                "readable": step.comparison.readable,
                "added": list(step.comparison.added),
                "missing": list(step.comparison.missing),
                "findings": [asdict(row) for row in step.comparison.rows],
                "heatmap": f"{result.heatmap_name(step.current)}.png" if step.heatmap is not None else None,
            }
            for step in result.steps
        ],
    }


def report_markdown(result: CxrResult) -> str:
    """`report.md`: the notice, the studies, then per pair the report, the model's answer and the table."""
    names = result.names
    notice = [f"> **{DEMO_WARNING}**", ">"] if result.demo else []
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
        "\n".join([*notice, f"> {RESEARCH_NOTE}"]),
        f"Model: `{result.model}`",
        "## Studies (oldest first)",
        markdown_table(["study", "modality", "view", "pixels", "encoding"], studies),
    ]
    for step in result.steps:
        rows = [[row.group, row.finding, row.status] for row in step.comparison.rows]
        parts += [
            f"## {names[step.prior]} → {names[step.current]}",
            f"**Report:** {step.comparison.report}",
            f"**Model answer:** {step.comparison.answer}",
            markdown_table(["group", "finding", "status"], rows),
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
