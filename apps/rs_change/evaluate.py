"""`sve rs evaluate`: a model's change captions on a split of the trainer's JSONL, scored two ways.

    sve rs evaluate --data runs/data/rs --split test --model CHECKPOINT --out runs/eval/rs

- Change accuracy: the caption read as change / no change by `apps.rs_change.describe.verdict.says_change`, the rule
  `sve rs describe` flags tiles with, against the record's `meta.changeflag`; on the change subset it is the share
  of changed pairs called changed, on the no-change subset the share called unchanged.
- Caption metrics as `sve eval levir-cc` computes them: each caption against all five references of its pair in
  `LevirCCcaptions.json`, every subset scored as its own set. The predictions are keyed by LEVIR-CC filename
  (`meta.levircc` of `sve rs make-dataset`, `meta.id` of `sve rs levircc-jsonl`), so the predictions file is also
  what `sve eval levir-cc --predictions` reads.
- Change detection (`detection.py`, when a model runs rather than `--predictions`): tile-level precision,
  recall, F1 and AUROC of p(change) at the model's calibrated threshold (or `--threshold`), and pixel F1, IoU
  and pointing game of its change maps against the generator's change masks (a stateless model has no map:
  the report says so).
The model is asked the JSONL's own prompt about the JSONL's images (the 96 px training copies of the synthetic
dataset), as it was trained; the LEVIR-CC JSON only supplies the references.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from apps.common import evaluate as common
from apps.common.calibration import probability
from apps.common.evaluate import SplitItem
from apps.rs_change.describe.verdict import says_change
from apps.rs_change.detection import pixel_metrics, score_split, tile_metrics
from evaluation.datasets.files import field
from evaluation.errors import DatasetFormatError
from evaluation.report import Report, markdown_table, number
from evaluation.runners.levir_cc import COLUMNS, LevirCCRun, run_levir_cc

if TYPE_CHECKING:  # torch and transformers: only when a model runs
    from apps.rs_change.describe.predictor import RsPredictor
    from sve_core.inference import Describer

HELP = (
    "score a model's change captions on a JSONL split: change/no-change accuracy and LEVIR-CC caption metrics"
)
SUBSETS = ("all", "change", "no change")


def keyed(item: SplitItem) -> SplitItem:
    """The item under its LEVIR-CC filename, the id `LevirCCcaptions.json` and `sve eval levir-cc` use."""
    if "id" in item.meta:
        return replace(item, id=str(item.meta["id"]))
    if "levircc" in item.meta:
        return replace(item, id=PurePosixPath(field(item.meta, "levircc", str, item.source)).name)
    raise DatasetFormatError(
        f"{item.source}: meta needs 'levircc' (sve rs make-dataset) or 'id' (sve rs levircc-jsonl), the LEVIR-CC "
        "filename the pair's references are found under."
    )


def change_accuracy(items: Sequence[SplitItem], predictions: dict[str, str]) -> dict[str, dict[str, float]]:
    """Per subset: pairs and the percentage whose caption's change flag matches `meta.changeflag`."""
    gold = {item.id: field(item.meta, "changeflag", int, item.source) == 1 for item in items}
    members = {
        "all": list(gold),
        "change": [key for key, changed in gold.items() if changed],
        "no change": [key for key, changed in gold.items() if not changed],
    }
    return {
        name: {
            "pairs": len(ids),
            "Change Acc": 100.0 * sum(says_change(predictions[key]) == gold[key] for key in ids) / len(ids),
        }
        for name, ids in members.items()
        if ids
    }


def rs_report(
    flags: dict[str, dict[str, float]],
    captions: dict[str, dict[str, float]],
    *,
    split: str,
    system: str,
    meteor: bool,
) -> Report:
    """`flags` from `change_accuracy`, `captions` the LEVIR-CC runner's per-subset scores."""
    rows = [
        [
            name,
            str(flags[name]["pairs"]),
            number(flags[name]["Change Acc"]),
            *(number(captions[name].get(c)) for c in COLUMNS),
        ]
        for name in SUBSETS
        if name in flags
    ]
    table = markdown_table(["Subset", "Pairs", "Change Acc", *COLUMNS], rows)
    markdown = (
        f"## Remote-sensing change captions, {split} split: {system}\n\n{table}\n\nChange Acc: the caption's change "
        "flag (`apps.rs_change.describe.verdict.says_change`) against the pair's; on the change subset the share of changed "
        "pairs called changed, on the no-change subset the share called unchanged. Caption metrics: each caption "
        "against the pair's five LEVIR-CC references, each subset scored as its own set (`sve eval levir-cc`).\n"
    )
    payload = {
        "benchmark": "rs-evaluate",
        "split": split,
        "system": system,
        "meteor": meteor,
        "pairs": {name: scores["pairs"] for name, scores in flags.items()},
        "scores": {name: {"Change Acc": flags[name]["Change Acc"], **captions[name]} for name in flags},
    }
    return Report("rs_evaluate", markdown, payload)


def detection_section(predictor: RsPredictor, items: Sequence[SplitItem], root: Path, *, batch_size: int,
                      threshold: float | None) -> tuple[str, dict]:
    """Markdown and payload of the change-detection scores (detection.py) of an `RsPredictor`."""
    scores = score_split(predictor, items, root, batch_size=batch_size)
    calibration = predictor.calibration if threshold is None else replace(predictor.calibration, threshold=threshold)
    tiles = tile_metrics(scores, calibration.threshold)
    pixels = pixel_metrics(scores, calibration)
    rows = [["tile: p(change) flag", *(number(tiles[k]) for k in ("precision", "recall", "F1", "AUROC"))]]
    table = markdown_table(["Level", "Precision", "Recall", "F1", "AUROC"], rows)
    if pixels is not None:
        maps = markdown_table(["Pixel F1", "IoU", "Pointing game"],
                              [[number(pixels[k]) for k in ("pixel F1", "IoU", "pointing game")]])
    elif scores.masks is None:
        maps = "Change maps: not scored, the split has no change masks (`meta.mask`; regenerate it with make-dataset)."
    else:
        maps = "Change maps: none. This model is stateless (no SVE cross-attention, so no change map or polygons)."
    markdown = (f"### Change detection: p(change) and change maps\n\n{calibration.describe()}; map threshold "
                f"{calibration.map_threshold:.3f}.\n\n{table}\n\n{maps}\n")
    return markdown, {"calibration": asdict(calibration), "tiles": tiles, "pixels": pixels}


def run(args: argparse.Namespace) -> int:
    items = [keyed(item) for item in common.read_split(args.data, args.split)]
    loaded = []

    def describer(model: str | None, max_new_tokens: int) -> Describer:
        from apps.rs_change.describe.predictor import (
            RsPredictor,  # torch and transformers: only when a model runs
        )

        loaded.append(RsPredictor.load(model, max_new_tokens=max_new_tokens))
        return loaded[-1].describer

    result = common.answers(args, items, describer, name="rs")
    flags = change_accuracy(items, result.predictions)
    root = args.levircc or args.data
    levir = run_levir_cc(LevirCCRun(data=root, split=args.split, predictions=result.path, meteor=args.meteor))
    report = rs_report(
        flags, levir.payload["scores"], split=args.split, system=result.system, meteor=args.meteor
    )
    if loaded:
        markdown, payload = detection_section(loaded[0], items, root, batch_size=args.batch_size,
                                              threshold=args.threshold)
        report = Report(report.name, report.markdown + "\n" + markdown, {**report.payload, "detection": payload})
    return common.publish(report, args.out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_arguments(
        parser, data_help="folder with <split>.jsonl (sve rs make-dataset --out, or levircc-jsonl's)"
    )
    parser.add_argument(
        "--levircc",
        type=Path,
        help="folder with LevirCCcaptions.json and images/, the references (default: --data, where "
        "sve rs make-dataset writes it)",
    )
    parser.add_argument(
        "--threshold", type=probability,
        help="p(change) at or above which a pair is flagged changed (default: the model's calibrated one)",
    )
