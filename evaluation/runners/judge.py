"""`sve eval judge`: two systems' outputs judged pairwise by an MLLM, as win / tie / loss counts for system A.

Items come from a references file (optionally with an image-list file) or from an ImgEdit-style dataset folder,
which adds the images and a per-edit-type breakdown. To count against the references themselves, pass the
references as system B (in predictions form).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from evaluation.caption_files import checked, load_image_lists, load_predictions, load_references
from evaluation.datasets.imgedit import ImgEdit
from evaluation.errors import EvaluationInputError, describe_ids
from evaluation.judge import JudgeFn, JudgeItem, judge_all, tally
from evaluation.report import Report, markdown_table


@dataclass
class JudgeRun:
    a: Path  # system A's predictions
    b: Path  # system B's predictions
    references: Path | None = None  # {id: [reference, ...]}; or use `data`
    images: Path | None = (
        None  # {id: [image paths]} next to `references`; without it the judge sees text only
    )
    data: Path | None = (
        None  # ImgEdit-style folder (images, instructions, edit types) instead of the two above
    )
    split: str = "test"
    name_a: str = "A"
    name_b: str = "B"

    def __post_init__(self) -> None:
        if (self.references is None) == (self.data is None):
            raise EvaluationInputError("give exactly one of --references and --data.")
        if self.images is not None and self.data is not None:
            raise EvaluationInputError("--images goes with --references; --data brings its own images.")


def _items(config: JudgeRun) -> list[JudgeItem]:
    a, b = load_predictions(config.a), load_predictions(config.b)
    if config.data is not None:
        edits = ImgEdit(config.data, config.split)
        references = {e["id"]: [e["instruction"]] for e in edits}
        images = {e["id"]: e["images"] for e in edits}
        groups = {e["id"]: e["edit_type"] for e in edits}
    else:
        references = load_references(config.references)
        images, groups = {}, {}
        if config.images is not None:
            images = load_image_lists(config.images)
            lacking = [i for i in references if i not in images]
            if lacking:
                raise EvaluationInputError(f"{config.images}: no images for ids {describe_ids(lacking)}.")
    checked(references, a, config.a)
    checked(references, b, config.b)
    return [
        JudgeItem(i, images.get(i, []), a[i], b[i], references[i], groups.get(i, "all")) for i in references
    ]


def run_judge(config: JudgeRun, judge: JudgeFn, judge_name: str) -> Report:
    items = _items(config)
    outcomes = judge_all(judge, items)
    counts = tally(outcomes)
    rows = []
    for group, c in counts.items():
        n = c["win"] + c["tie"] + c["loss"]
        rows.append(
            [group, str(n), str(c["win"]), str(c["tie"]), str(c["loss"]), f"{100.0 * c['win'] / n:.1f}"]
        )
    header = [
        "Subset",
        "Items",
        f"{config.name_a} wins",
        "Ties",
        f"{config.name_b} wins",
        f"{config.name_a} win %",
    ]
    seen = "images and text" if any(item.images for item in items) else "text only (no images given)"
    markdown = (
        f"## Pairwise judge: {config.name_a} vs {config.name_b} ({len(items)} items, judge {judge_name}, "
        f"{seen})\n\n{markdown_table(header, rows)}\n\nEach item is judged twice, A/B and B/A; the two verdicts are "
        f"summed, so a verdict that flips with the order is a tie. Replies without a verdict: "
        f"{counts['all']['unparsed']} of {2 * len(items)}.\n"
    )
    payload = {
        "benchmark": "judge",
        "judge": judge_name,
        "systems": {"A": config.name_a, "B": config.name_b},
        "images": seen,
        "counts": counts,
        "outcomes": [asdict(o) for o in outcomes],
    }
    return Report("judge", markdown, payload)
