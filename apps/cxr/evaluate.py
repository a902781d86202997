"""`sve cxr evaluate`: a model's change answers on a split of the trainer's JSONL (the phantom dataset, or
Medical-Diff-VQA converted by `apps.cxr.medical_diff_vqa_to_jsonl`), scored the way `sve eval cxr-diff` scores
Medical-Diff-VQA: the RATE-style Micro-F1 / Macro-F1 / Chg Acc on the findings (`evaluation.cxr_score`) and
BLEU-4 / METEOR / ROUGE-L / CIDEr on the text (`evaluation.captions`), each answer against its one gold answer.

    sve cxr evaluate --data runs/data/cxr --split test --model CHECKPOINT --out runs/eval/cxr

Ids are a record's `meta.id` where it has one (the converter's row index of mimic_pair_questions.csv, so the
predictions file is also what `sve eval cxr-diff --predictions` reads), else its line number.

Macro-F1 averages all 54 finding-change labels, as on Medical-Diff-VQA, and a label no changed pair holds scores 0.
The phantoms use 6 of the 27 findings, so on them Macro-F1 cannot exceed what the gold answers themselves score;
the report prints that ceiling, measured on the split, beside the model's number.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from apps.common import evaluate as common
from apps.common.evaluate import SplitItem
from evaluation.captions import score_captions
from evaluation.report import Report, markdown_table, number

if TYPE_CHECKING:
    from sve_core.inference import Describer

HELP = "score a model's change answers on a JSONL split: RATE-style F1, Chg Acc, BLEU-4/METEOR/ROUGE-L/CIDEr"
CHANGE_SCORES = ("Micro-F1", "Macro-F1", "Chg Acc")


def keyed(item: SplitItem) -> SplitItem:
    """The item under its Medical-Diff-VQA row index when the record carries one."""
    return replace(item, id=str(item.meta["id"])) if "id" in item.meta else item


def cxr_report(
    items: Sequence[SplitItem], predictions: dict[str, str], *, split: str, system: str, meteor: bool
) -> Report:
    from evaluation.cxr_score import score_changes  # scikit-learn, ~5 s: not at `sve cxr --help`
    from evaluation.runners.cxr_diff import COLUMNS

    gold = [item.answer for item in items]
    text = score_captions({item.id: [item.answer] for item in items}, predictions, meteor=meteor)
    change = score_changes(gold, [predictions[item.id] for item in items])
    ceiling = score_changes(gold, gold)
    scores = {**text, **{key: change[key] for key in CHANGE_SCORES}}
    table = markdown_table(
        ["System", *COLUMNS],
        [
            [system, *(number(scores.get(c)) for c in COLUMNS)],
            ["gold answers (ceiling)", *(number(ceiling.get(c)) for c in COLUMNS)],
        ],
    )
    groups = markdown_table(list(change["group_f1"]), [[number(v) for v in change["group_f1"].values()]])
    markdown = (
        f"## Chest X-ray change answers, {split} split ({len(items)} pairs, {change['changed_pairs']} with a gold "
        f"change)\n\n{table}\n\nF1 is over the 54 finding-change labels on pairs whose gold answer states a "
        "change, Chg Acc over all pairs, as `sve eval cxr-diff` scores Medical-Diff-VQA. A label that no changed "
        "pair holds scores 0 in Macro-F1, so on a dataset using few findings the gold answers' own Macro-F1 is "
        f"the ceiling.\n\nUnreadable answers (not parseable into the 27 findings; counted wrong in Chg Acc): "
        f"{change['unreadable']} of {change['pairs']}.\n\n### Micro-F1 per anatomy group\n\n{groups}\n"
    )
    payload = {
        "benchmark": "cxr-evaluate",
        "split": split,
        "system": system,
        "meteor": meteor,
        "pairs": change["pairs"],
        "changed_pairs": change["changed_pairs"],
        "unreadable": change["unreadable"],
        "scores": scores,
        "group_f1": change["group_f1"],
        "ceiling": {key: ceiling[key] for key in CHANGE_SCORES},
    }
    return Report("cxr_evaluate", markdown, payload)


def _describer(model: str | None, max_new_tokens: int) -> Describer:
    from apps.cxr.report.predictor import CxrPredictor  # imports MONAI (~10 s): only when a model runs

    return CxrPredictor.load(model, max_new_tokens=max_new_tokens).describer


def run(args: argparse.Namespace) -> int:
    items = [keyed(item) for item in common.read_split(args.data, args.split)]
    result = common.answers(args, items, _describer, name="cxr")
    report = cxr_report(items, result.predictions, split=args.split, system=result.system, meteor=args.meteor)
    return common.publish(report, args.out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_arguments(
        parser, data_help="folder with <split>.jsonl: sve cxr make-dataset's, or medical_diff_vqa_to_jsonl's"
    )
