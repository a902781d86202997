"""`sve eval cxr-diff`: Medical-Diff-VQA difference answers scored as text (BLEU-4, METEOR, ROUGE-L, CIDEr against
the one gold answer) and as findings (the RATE-style Micro-F1 / Macro-F1 / Change Acc, per anatomy group too)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.caption_files import checked, load_predictions
from evaluation.captions import score_captions
from evaluation.cxr_score import score_changes
from evaluation.datasets.medical_diff_vqa import METADATA, MedicalDiffVQA
from evaluation.errors import EvaluationInputError
from evaluation.predict import load_captioner, predict
from evaluation.report import Report, markdown_table, number

COLUMNS = ("BLEU-4", "METEOR", "ROUGE-L", "CIDEr", "Micro-F1", "Macro-F1", "Chg Acc")
# Qwen3.5-4B SFT without and with SVE, from the SVE paper (REFERENCE §4); BLEU-4 and METEOR were not quoted there.
QUOTED = (
    (
        "Qwen3.5-4B SFT",
        {"ROUGE-L": 62.7, "CIDEr": 145.1, "Micro-F1": 31.55, "Macro-F1": 11.95, "Chg Acc": 86.83},
    ),
    (
        "Qwen3.5-4B SFT + SVE",
        {"ROUGE-L": 66.3, "CIDEr": 178.9, "Micro-F1": 32.20, "Macro-F1": 12.45, "Chg Acc": 89.21},
    ),
)


@dataclass
class CxrDiffRun:
    data: Path  # folder holding mimic_pair_questions.csv
    split: str = "test"
    predictions: Path | None = None  # {row index: answer} or [{"id", "caption"}]
    model: str | None = None  # checkpoint for sve_core.inference.load_describer
    images: Path | None = None  # MIMIC-CXR-JPG root (metadata CSV + files/); defaults to `data`; --model only
    meteor: bool = True

    def __post_init__(self) -> None:
        if (self.predictions is None) == (self.model is None):
            raise EvaluationInputError("give exactly one of --predictions and --model.")


def run_cxr_diff(config: CxrDiffRun) -> Report:
    images_root = (config.images or config.data) if config.model is not None else None
    metadata_root = config.images or config.data
    has_metadata = any((metadata_root / f"{METADATA}{gz}").exists() for gz in ("", ".gz"))
    dataset = MedicalDiffVQA(
        config.data,
        config.split,
        images_root=images_root,
        metadata_root=metadata_root if has_metadata else None,
    )
    references = {item["id"]: [item["answer"]] for item in dataset}
    if config.predictions is not None:
        predictions = checked(references, load_predictions(config.predictions), config.predictions)
        system = config.predictions.name
    else:
        requests = [(item["id"], item["images"], item["question"]) for item in dataset]
        predictions, system = (
            predict(load_captioner(config.model), requests, desc="Medical-Diff-VQA"),
            config.model,
        )
    text_scores = score_captions(references, predictions, meteor=config.meteor)
    change = score_changes(
        [item["answer"] for item in dataset], [predictions[item["id"]] for item in dataset]
    )
    scores = {**text_scores, **{k: change[k] for k in ("Micro-F1", "Macro-F1", "Chg Acc")}}

    rows = [[m, "quoted from the SVE paper", *(number(v.get(c)) for c in COLUMNS)] for m, v in QUOTED]
    rows.append([f"ours: {system}", "measured", *(number(scores.get(c)) for c in COLUMNS)])
    groups = markdown_table(list(change["group_f1"]), [[number(v) for v in change["group_f1"].values()]])
    markdown = (
        f"## Medical-Diff-VQA difference questions, {config.split} split ({len(dataset)} pairs, "
        f"{change['changed_pairs']} with a gold change)\n\n{markdown_table(['Method', 'Source', *COLUMNS], rows)}\n\n"
        "F1 is over the 54 finding-change labels on pairs whose gold answer states a change; Chg Acc is over all "
        f"pairs.\n\nUnreadable answers (not parseable into the 27 findings; counted wrong in Chg Acc): "
        f"{change['unreadable']} of {change['pairs']}. Pairs dropped because the reference study is the later one: "
        f"{'not checked (no MIMIC-CXR metadata)' if dataset.reversed_dropped is None else dataset.reversed_dropped}"
        f".\n\n### Micro-F1 per anatomy group (measured)\n\n{groups}\n"
    )
    payload = {
        "benchmark": "cxr-diff",
        "split": config.split,
        "system": system,
        "meteor": config.meteor,
        "pairs": change["pairs"],
        "changed_pairs": change["changed_pairs"],
        "unreadable": change["unreadable"],
        "reversed_dropped": dataset.reversed_dropped,
        "scores": scores,
        "group_f1": change["group_f1"],
        "quoted": [{"method": m, **v} for m, v in QUOTED],
    }
    side_files = {} if config.predictions is not None else {"cxr_diff_predictions.json": predictions}
    return Report("cxr_diff", markdown, payload, side_files)
