"""`sve diff evaluate`: a model's edit instructions on a split of the trainer's JSONL, scored against the generator's
ground truth.

    sve diff evaluate --data runs/data/image_diff --split test --model CHECKPOINT --out runs/eval/image_diff

- Category accuracy, per edit: the category `categories.edit_categories` reads off the answer (one per sentence for
  a 3-image sequence) against `meta.edits[i].category`; an edit the answer does not state counts as "unknown".
  Broken down per gold category, with the full confusion table, since a model may confuse only some categories,
  and per edit operation (`meta.edits[i].operation`: recolor, resize and move are all "adjust") where the split
  records one.
- Exact match, per record: the answer equals the gold answer up to case, spacing and a final full stop.
- BLEU-4 / METEOR / ROUGE-L / CIDEr of the answer against the gold answer (`evaluation.captions`).
- No edit, per record: precision and recall of the no-edit answer (`synthetic.NO_EDIT`) against the records
  whose `meta.no_edit` says their pair shows none (identical or nuisance only, `make_dataset --no-edit-share`
  and the nuisance split); category accuracy counts the edit records alone, so it stays comparable with splits
  that hold none. When a model runs (not `--predictions`), the same for the verdict the tab and `sve diff
  describe` give, p(edit) below the threshold (`describe/calibration.py`; `--threshold` overrides the model's
  calibrated one), with the AUROC of p(edit), identical pairs counted apart, and p(edit) saved per record.
- Unreadable, per record: answers `readable.read` rejects for any model (empty, repeating itself, naming no
  edit), and off-grammar: answers that are no instruction the generator writes (what the demo model was taught;
  a model trained elsewhere may paraphrase). Both are counts, since an unreadable answer is never shown as an
  instruction (`predictor.UNREADABLE`).

All three read the instructions alone: an observation before an instruction (`answers.py`, the demo model's
"before -> after: " prefix), in the answer or in the gold answer, is taken out first.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, get_args

import numpy as np
from PIL import Image
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from apps.common import evaluate as common
from apps.common.calibration import probability
from apps.common.evaluate import SplitItem
from apps.image_diff.answers import split_answer
from apps.image_diff.describe.calibration import EditCalibration
from apps.image_diff.describe.categories import EditCategory, edit_categories
from apps.image_diff.describe.readable import is_no_edit, read
from apps.image_diff.synthetic.scene import Category
from evaluation.captions import SM_PARTS, score_captions
from evaluation.datasets.files import field
from evaluation.errors import DatasetFormatError
from evaluation.report import Report, markdown_table, number

if TYPE_CHECKING:  # torch and transformers: only when a model runs
    from apps.image_diff.describe.predictor import DiffPredictor

HELP = "score a model's edit instructions on a JSONL split: category accuracy, exact match, caption metrics"
CATEGORIES: tuple[Category, ...] = get_args(Category)
PREDICTED: tuple[EditCategory, ...] = (*CATEGORIES, "unknown")


def gold_categories(item: SplitItem) -> list[str]:
    edits = field(item.meta, "edits", list, item.source)
    if not edits or not all(isinstance(edit, dict) and edit.get("category") in CATEGORIES for edit in edits):
        raise DatasetFormatError(
            f"{item.source}: meta.edits should list one object per edit with a category in {CATEGORIES}."
        )
    return [edit["category"] for edit in edits]


def is_no_edit_item(item: SplitItem) -> bool:
    """The record's pair shows no edit (`make_dataset`: `meta.no_edit`, `meta.edits` empty)."""
    return "no_edit" in item.meta


def no_edit_scores(items: Sequence[SplitItem], predictions: dict[str, str]) -> dict[str, float | int | None]:
    """Precision and recall (in %) of answering no edit; None where nothing was predicted, or nothing is gold."""
    gold = {item.id for item in items if is_no_edit_item(item)}
    said = {item.id for item in items if is_no_edit(predictions[item.id])}
    right = len(gold & said)
    return {
        "no-edit records": len(gold),
        "No-edit precision": 100.0 * right / len(said) if said else None,
        "No-edit recall": 100.0 * right / len(gold) if gold else None,
    }


@dataclass(frozen=True)
class EditScores:
    """p(edit) of every record of a split and the threshold its verdicts are read at."""

    p_edit: np.ndarray  # (R,) in file order
    calibration: EditCalibration


def edit_probabilities(predictor: DiffPredictor, items: Sequence[SplitItem], *, batch_size: int) -> np.ndarray:
    """p(edit) of every record, each asked its own question, in batches of one image count."""
    found: dict[str, float] = {}
    groups: dict[tuple[str, int], list[SplitItem]] = {}
    for item in items:
        groups.setdefault((item.prompt, len(item.images)), []).append(item)
    with tqdm(total=len(items), desc="p(edit)", unit="pair") as bar:
        for (prompt, _), group in groups.items():
            for start in range(0, len(group), batch_size):
                batch = group[start:start + batch_size]
                sequences = [[Image.open(path).convert("RGB") for path in item.images] for item in batch]
                found.update(zip((item.id for item in batch), predictor.edit_probabilities(sequences, prompt),
                                 strict=True))
                bar.update(len(batch))
    return np.array([found[item.id] for item in items])


def verdict_scores(items: Sequence[SplitItem], scores: EditScores) -> dict[str, float | int | None]:
    """No-edit precision and recall (in %) of the verdicts `p(edit) < threshold`, AUROC of p(edit) between edit
    and no-edit records, and how many identical pairs were answered no edit."""
    gold = np.array([is_no_edit_item(item) for item in items])
    said = scores.p_edit < scores.calibration.threshold
    identical = np.array([is_no_edit_item(item) and item.meta["no_edit"].get("nuisance") == "identical"
                          for item in items])
    right = int((gold & said).sum())
    both = 0 < gold.sum() < len(gold)
    return {
        "No-edit precision": 100.0 * right / said.sum() if said.any() else None,
        "No-edit recall": 100.0 * right / gold.sum() if gold.any() else None,
        "AUROC": 100.0 * float(roc_auc_score(~gold, scores.p_edit)) if both else None,
        "identical pairs": int(identical.sum()),
        "identical answered no edit": int((identical & said).sum()),
    }


def normalise(text: str) -> str:
    """What exact match compares: lower case, single spaces, no final full stop."""
    return " ".join(text.lower().split()).rstrip(".").rstrip()


def confusion(items: Sequence[SplitItem], predictions: dict[str, str]) -> Counter[tuple[str, str, str | None]]:
    """(gold category, predicted category, gold operation or None) counts over every edit of every record."""
    counts: Counter[tuple[str, str, str | None]] = Counter()
    for item in items:
        if is_no_edit_item(item):
            continue
        gold = gold_categories(item)
        operations = [edit.get("operation") for edit in item.meta["edits"]]
        predicted = edit_categories(predictions[item.id], len(gold))
        counts.update(
            (g, predicted[i] if i < len(predicted) else "unknown", operations[i]) for i, g in enumerate(gold)
        )
    return counts


def per_operation(counts: Counter[tuple[str, str, str | None]]) -> dict[str, dict[str, float | int]]:
    """Category accuracy per gold operation, for the edits whose record names one."""
    rows: dict[str, dict[str, float | int]] = {}
    for operation in sorted({op for _, _, op in counts if op is not None}):
        total = sum(n for (_, _, op), n in counts.items() if op == operation)
        right = sum(n for (gold, pred, op), n in counts.items() if op == operation and gold == pred)
        rows[operation] = {"edits": total, "Accuracy": 100.0 * right / total}
    return rows


def diff_report(
    items: Sequence[SplitItem], predictions: dict[str, str], *, split: str, system: str, meteor: bool,
    edits: EditScores | None = None,
) -> Report:
    unreadable = sum(not read(predictions[item.id], grammar=False).readable for item in items)
    off_grammar = sum(not read(predictions[item.id], grammar=True).readable for item in items)
    # the instructions alone: observations (`answers.py`) are how a model reasons, not what it is scored on
    predictions = {id_: split_answer(text).instruction for id_, text in predictions.items()}
    items = [replace(item, answer=split_answer(item.answer).instruction) for item in items]
    counts = confusion(items, predictions)
    edit_count = sum(counts.values())
    right = sum(n for (gold, pred, _), n in counts.items() if gold == pred)
    category_acc = 100.0 * right / edit_count if edit_count else None
    exact = 100.0 * sum(normalise(predictions[i.id]) == normalise(i.answer) for i in items) / len(items)
    text = score_captions({item.id: [item.answer] for item in items}, predictions, meteor=meteor)
    scores = {"Category Acc": category_acc, "Exact match": exact, **text}
    readability = {"Unreadable": unreadable, "Off-grammar": off_grammar}
    no_edit = no_edit_scores(items, predictions)
    pairs: Counter[tuple[str, str]] = Counter()
    for (gold, pred, _), n in counts.items():
        pairs[gold, pred] += n
    per_category = {}
    for gold in CATEGORIES:
        predicted = {pred: pairs[gold, pred] for pred in PREDICTED}
        total = sum(predicted.values())
        accuracy = 100.0 * predicted[gold] / total if total else None
        per_category[gold] = {"edits": total, "Accuracy": accuracy, "predicted": predicted}
    main = markdown_table(
        ["System", "Category Acc", "Exact match", *SM_PARTS, *readability, "No-edit P", "No-edit R"],
        [[
            system,
            *(number(scores.get(c)) for c in ("Category Acc", "Exact match", *SM_PARTS)),
            *(f"{n}/{len(items)}" for n in readability.values()),
            number(no_edit["No-edit precision"]),
            number(no_edit["No-edit recall"]),
        ]],
    )
    breakdown = markdown_table(
        ["Gold category", "Edits", "Accuracy", *(f"as {pred}" for pred in PREDICTED)],
        [
            [gold, str(row["edits"]), number(row["Accuracy"]), *(str(n) for n in row["predicted"].values())]
            for gold, row in per_category.items()
        ],
    )
    verdicts, verdict_section = _verdict_section(items, no_edit, edits)
    operations = per_operation(counts)
    by_operation = markdown_table(
        ["Gold operation", "Edits", "Category accuracy"],
        [[op, str(row["edits"]), number(row["Accuracy"])] for op, row in operations.items()],
    )
    markdown = (
        f"## Image-edit instructions, {split} split ({len(items)} records, {edit_count} edits, "
        f"{no_edit['no-edit records']} pairs without an edit)\n\n{main}\n\n"
        "Category Acc is per edit of the records with an edit (`apps.image_diff.describe.categories` reads the answer; an "
        "edit it does not state is unknown); exact match is per record, up to case, spacing and a final full stop; the caption metrics "
        "score each answer against the gold answer. Unreadable counts answers that are empty, repeat themselves or "
        "name no edit; off-grammar those that are no instruction `sve diff make-dataset` writes (the demo model's "
        "own grammar). No-edit P/R: precision and recall of answering 'no edit' against the pairs that show none "
        f"(– where the split holds none, or nothing was answered so).\n\n### Per gold category\n\n{breakdown}\n"
    )
    markdown += verdict_section
    if operations:
        markdown += f"\n### Per gold operation\n\n{by_operation}\n"
    payload = {
        "benchmark": "diff-evaluate",
        "split": split,
        "system": system,
        "meteor": meteor,
        "records": len(items),
        "edits": edit_count,
        "scores": scores,
        "readability": readability,
        "no_edit": no_edit,
        "verdicts": verdicts,
        "threshold": None if edits is None else edits.calibration.threshold,
        "per_category": per_category,
        "per_operation": operations,
    }
    return Report("diff_evaluate", markdown, payload)


def _verdict_section(
    items: Sequence[SplitItem], no_edit: dict[str, float | int | None], edits: EditScores | None
) -> tuple[dict[str, float | int | None] | None, str]:
    """`verdict_scores` and the report's section on them, beside the words' no-edit P/R; (None, '') without."""
    if edits is None:
        return None, ""
    verdicts = verdict_scores(items, edits)
    table = markdown_table(
        ["No edit said by", "No-edit P", "No-edit R", "AUROC of p(edit)", "Identical pairs answered no edit"],
        [["the words", number(no_edit["No-edit precision"]), number(no_edit["No-edit recall"]), "–", "–"],
         [f"p(edit) < {edits.calibration.threshold:.3f}", number(verdicts["No-edit precision"]),
          number(verdicts["No-edit recall"]), number(verdicts["AUROC"]),
          f"{verdicts['identical answered no edit']}/{verdicts['identical pairs']}"]],
    )
    return verdicts, (
        f"\n### No edit: the verdict users see\n\n{edits.calibration.describe()}.\n\n{table}\n\nThe tab and "
        "`sve diff describe` answer 'no difference found' when p(edit) is below the threshold, whatever the words "
        "say; AUROC ranks edit records above no-edit ones by p(edit).\n"
    )


def run(args: argparse.Namespace) -> int:
    items = common.read_split(args.data, args.split)
    predictor = None
    if args.predictions is None:
        from apps.image_diff.describe.predictor import DiffPredictor  # torch and transformers: only here

        predictor = DiffPredictor.load(args.model, max_new_tokens=args.max_new_tokens)
    result = common.answers(args, items, lambda *_: predictor.describer, name="image_diff")
    edits = None
    if predictor is not None:
        calibration = predictor.calibration
        if args.threshold is not None:
            calibration = replace(calibration, threshold=args.threshold)
        edits = EditScores(edit_probabilities(predictor, items, batch_size=args.batch_size), calibration)
        path = args.out / "image_diff_p_edit.json"
        path.write_text(json.dumps(dict(zip((item.id for item in items), edits.p_edit.round(5).tolist(),
                                            strict=True)), indent=1) + "\n", encoding="utf-8")
    report = diff_report(items, result.predictions, split=args.split, system=result.system, meteor=args.meteor,
                         edits=edits)
    return common.publish(report, args.out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_arguments(parser, data_help="folder with <split>.jsonl (sve diff make-dataset --out)")
    parser.add_argument(
        "--threshold", type=probability,
        help="p(edit) below which a pair counts as no edit (default: the model's calibrated threshold, else 0.5)",
    )
