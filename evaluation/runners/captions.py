"""`sve eval captions`: score a predictions file against a references file, nothing dataset-specific."""

from __future__ import annotations

from pathlib import Path

from evaluation.caption_files import checked, load_predictions, load_references
from evaluation.captions import score_captions
from evaluation.report import Report, markdown_table, number


def run_captions(references_path: Path, predictions_path: Path, *, meteor: bool = True) -> Report:
    references = load_references(references_path)
    predictions = checked(references, load_predictions(predictions_path), predictions_path)
    scores = score_captions(references, predictions, meteor=meteor)
    table = markdown_table(list(scores), [[number(v) for v in scores.values()]])
    title = f"## Caption metrics: {predictions_path.name} against {references_path.name} ({len(references)} items)"
    payload = {
        "benchmark": "captions",
        "references": str(references_path),
        "predictions": str(predictions_path),
        "items": len(references),
        "meteor": meteor,
        "scores": scores,
    }
    return Report("captions", f"{title}\n\n{table}\n", payload)
