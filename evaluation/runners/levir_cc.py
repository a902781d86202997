"""`sve eval levir-cc`: LEVIR-CC test captions scored like the change-captioning papers, our row under theirs.

Rows quoted from papers (REFERENCE §5) come first, labelled as such; the measured row is computed here. Each subset
(all, change, no change) is scored as its own set, so its CIDEr IDF comes from its own references, as a paper
reporting that subset would do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from evaluation.caption_files import checked, load_predictions
from evaluation.captions import CaptionScorer
from evaluation.datasets.levir_cc import PROMPT, LevirCC
from evaluation.distributed import predict_distributed
from evaluation.errors import EvaluationInputError
from evaluation.predict import load_captioner
from evaluation.report import Report, markdown_table, number

COLUMNS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr", "Sm*")
# Method, BLEU-4, METEOR, ROUGE-L, CIDEr, Sm*, as published (REFERENCE §5; the last two from the SVE paper).
QUOTED = (
    ("Chg2Cap", 62.98, 39.42, 74.34, 136.25, 78.25),
    ("PromptCC", 63.54, 38.82, 73.72, 136.44, 78.13),
    ("SAGE-CC", 65.50, 39.92, 74.77, 137.50, 79.42),
    ("SACNet", 65.57, 40.30, 75.68, 138.34, 79.97),
    ("Qwen3.5-4B SFT", 60.70, 39.42, 76.03, 142.26, 79.60),
    ("Qwen3.5-4B SFT + SVE", 61.33, 39.91, 76.26, 144.35, 80.46),
)
METEOR_NOTE = (
    "Quoted rows are copied from the papers, not re-run. The change-captioning specialists score vocabulary ids "
    "with their own copies of the COCO scorers, so their METEOR is not exactly comparable with the METEOR 1.5 "
    "(pycocoevalcap, PTB-tokenised text) measured here; CIDEr is pycocoevalcap's Cider (CIDEr-D)."
)


@dataclass
class LevirCCRun:
    data: Path  # folder holding LevirCCcaptions.json and images/ (images/ only needed with --model)
    split: Literal["train", "val", "test"] = "test"
    predictions: Path | None = None  # {filename: caption} or [{"id", "caption"}]
    model: str | None = None  # checkpoint for sve_core.inference.load_describer
    meteor: bool = True  # METEOR costs a ~10 s JVM start; Sm* needs it
    prompt: str = PROMPT  # what --model is asked
    work: Path = Path("outputs/eval/.sve_run_levir_cc")  # --model answers kept here until scored (resume)

    def __post_init__(self) -> None:
        if (self.predictions is None) == (self.model is None):
            raise EvaluationInputError("give exactly one of --predictions and --model.")


def _row(label: str, source: str, scores: dict[str, float]) -> list[str]:
    return [label, source, *(number(scores.get(c)) for c in COLUMNS)]


def run_levir_cc(config: LevirCCRun) -> Report | None:
    """The report; None in the non-main processes of a launch (they only generate their share)."""
    dataset = LevirCC(config.data, config.split, images=config.predictions is None)  # predictions: JSON only
    references = {item["id"]: item["captions"] for item in dataset}
    if config.predictions is not None:
        predictions = checked(references, load_predictions(config.predictions), config.predictions)
        system = config.predictions.name
    else:
        requests = [(item["id"], item["images"], config.prompt) for item in dataset]
        answers = predict_distributed(load_captioner(config.model), requests, desc="LEVIR-CC", folder=config.work)
        if answers is None:
            return None
        predictions, system = answers, config.model
    subsets = {
        "all": list(references),
        "change": [item["id"] for item in dataset if item["changed"]],
        "no change": [item["id"] for item in dataset if not item["changed"]],
    }
    with CaptionScorer(meteor=config.meteor) as scorer:
        tokens = scorer.tokenize(references, predictions)
        scores = {name: scorer.score(tokens.subset(ids)) for name, ids in subsets.items() if ids}

    quoted = [_row(m, "quoted from papers", dict(zip(COLUMNS[3:], v, strict=True))) for m, *v in QUOTED]
    main = markdown_table(
        ["Method", "Source", *COLUMNS], [*quoted, _row(f"ours: {system}", "measured", scores["all"])]
    )
    subset_rows = [
        [name, str(len(subsets[name])), *(number(s.get(c)) for c in COLUMNS)] for name, s in scores.items()
    ]
    markdown = (
        f"## LEVIR-CC, {config.split} split ({len(dataset)} pairs)\n\n{main}\n\n{METEOR_NOTE}\n\n"
        f"### Change and no-change subsets (measured)\n\n{markdown_table(['Subset', 'Pairs', *COLUMNS], subset_rows)}\n"
    )
    payload = {
        "benchmark": "levir-cc",
        "split": config.split,
        "system": system,
        "meteor": config.meteor,
        "pairs": {name: len(ids) for name, ids in subsets.items()},
        "scores": scores,
        "quoted": [dict(zip(("method", *COLUMNS[3:]), row, strict=True)) for row in QUOTED],
        "note": METEOR_NOTE,
    }
    side_files = {} if config.predictions is not None else {"levir_cc_predictions.json": predictions}
    return Report("levir_cc", markdown, payload, side_files)
