"""What `sve cxr|rs|diff evaluate` share: a split of the trainer's JSONL answered by a model in batches, the answers
saved before anything is scored, and saved answers read back for re-scoring.

The model sees a split exactly as the trainer did: the JSONL's own images, unresized, and the user turn's text as
the prompt. `Describer.predict` puts the images before the text, which is what the trainer's chat does for
a user turn that opens with its ``<image>`` placeholders, so only such single-turn records are accepted; anything
else could not be replayed faithfully and is refused, naming the line.

Predictions files are the COCO-results list ``[{"id": ..., "caption": ...}]`` that `sve eval` reads too
(`evaluation.caption_files`). They are written as soon as generation ends, so an hour of generation survives a
scoring error and can be re-scored with ``--predictions``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from evaluation.caption_files import checked, load_predictions
from evaluation.errors import DatasetFormatError, describe_ids
from evaluation.report import Report

if TYPE_CHECKING:
    from sve_core.inference import Describer


@dataclass(frozen=True)
class SplitItem:
    """One JSONL record, ready to ask and to score."""

    id: str  # the line number, six digits like the generators' image names; apps may re-key (LEVIR-CC filename)
    images: tuple[str, ...]  # absolute paths, oldest first
    prompt: str  # the user turn without its placeholders: what the model is asked
    answer: str  # the assistant turn: the reference
    meta: dict[str, Any]  # the record's ground truth; {} when it has none
    source: str  # "file:line", for error messages


def read_split(data: Path, split: str) -> list[SplitItem]:
    """The records of `data/<split>.jsonl`, checked by the trainer's own reader first (every problem at once)."""
    from sve_core.data import IMAGE_PLACEHOLDER, load_jsonl  # sve_core imports torch: not at `sve --help`

    path = data / f"{split}.jsonl"
    samples = load_jsonl(path)
    with path.open(encoding="utf-8") as handle:
        lines = dict(enumerate(handle, start=1))
    items = []
    for sample in samples:
        number = int(sample.source.rsplit(":", 1)[1])
        roles = [message.role for message in sample.messages]
        if roles != ["user", "assistant"]:
            raise DatasetFormatError(
                f"{sample.source}: expected one user and one assistant turn, got {roles}."
            )
        opening = IMAGE_PLACEHOLDER * len(sample.images)
        user = sample.messages[0].content
        if not user.startswith(opening) or IMAGE_PLACEHOLDER in user[len(opening) :]:
            raise DatasetFormatError(
                f"{sample.source}: messages[0].content must open with its {len(sample.images)} "
                f"{IMAGE_PLACEHOLDER} placeholders and hold no other; the model is asked images first."
            )
        meta = json.loads(lines[number]).get("meta", {})
        if not isinstance(meta, dict):
            raise DatasetFormatError(
                f"{sample.source}: 'meta' should be an object, got {type(meta).__name__}."
            )
        items.append(
            SplitItem(
                id=f"{number:06d}",
                images=tuple(str(image) for image in sample.images),
                prompt=user[len(opening) :],
                answer=sample.messages[1].content,
                meta=meta,
                source=sample.source,
            )
        )
    return items


def require_unique_ids(items: Sequence[SplitItem]) -> None:
    """Predictions are keyed by id, so two records under one id would silently share an answer."""
    repeated = [key for key, count in Counter(item.id for item in items).items() if count > 1]
    if repeated:
        raise DatasetFormatError(f"{items[0].source.rsplit(':', 1)[0]}: ids {describe_ids(repeated)} repeat.")


Prepare = Callable[[Sequence[str]], Sequence[Any]]  # an item's image paths -> what the app's predictor feeds


def predict(
    describer: Describer, items: Sequence[SplitItem], *, batch_size: int, desc: str, prepare: Prepare | None = None
) -> dict[str, str]:
    """id -> answer, in file order, through `Describer.predict` (batches of one prompt and image count);
    `prepare` turns each item's image paths into the images the app's own predictor would ask about."""
    from sve_core.inference import Request  # torch and transformers: only when a model runs

    requests = [Request(prepare(item.images) if prepare else item.images, item.prompt) for item in items]
    with tqdm(total=len(items), desc=desc, unit="item") as bar:
        found = describer.predict(requests, batch_size=batch_size, progress=bar.update)
    return {item.id: answer.text for item, answer in zip(items, found, strict=True)}


def write_predictions(path: Path, predictions: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [{"id": key, "caption": caption} for key, caption in predictions.items()]
    path.write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Answers:
    predictions: dict[str, str]  # id -> answer, covering exactly the split's ids
    system: str  # who answered: the model's name, or the predictions file's name
    path: Path  # the predictions file: the one given, or the one just written


def answers(
    args: argparse.Namespace,
    items: Sequence[SplitItem],
    load: Callable[[str | None, int], Describer],
    *,
    name: str,
    prepare: Prepare | None = None,
) -> Answers:
    """`--predictions` read back and checked against the split's ids, or `load(--model, --max-new-tokens)`'s
    answers (each item's images through `prepare`, see `predict`), saved to OUT/<name>_predictions.json first."""
    require_unique_ids(items)
    if args.predictions is not None:
        references = {item.id: [item.answer] for item in items}
        predictions = checked(references, load_predictions(args.predictions), args.predictions)
        return Answers(
            {item.id: predictions[item.id] for item in items}, args.predictions.name, args.predictions
        )
    describer = load(args.model, args.max_new_tokens)
    predictions = predict(describer, items, batch_size=args.batch_size, desc=name, prepare=prepare)
    path = write_predictions(args.out / f"{name}_predictions.json", predictions)
    return Answers(predictions, describer.name, path)


def publish(report: Report, out: Path) -> int:
    """Write OUT/<name>.md and .json, print the markdown; the exit status of every `evaluate` command."""
    written = report.write(out)
    print(report.markdown)
    print("wrote " + ", ".join(str(path) for path in written), file=sys.stderr)
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 1")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser, *, data_help: str) -> None:
    """The flags every `evaluate` command takes."""
    parser.add_argument("--data", type=Path, required=True, help=data_help)
    parser.add_argument("--split", default="test", help="split to score: <data>/<split>.jsonl (default test)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--model", help="hub id, local model folder, or tiny:<family> (default: the embedded demo model)"
    )
    source.add_argument(
        "--predictions",
        type=Path,
        help='score saved answers instead: [{"id", "caption"}] as a --model run writes them',
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder for the .md and .json scores and the predictions"
    )
    parser.add_argument(
        "--batch-size", type=_positive, default=16, help="sequences per generate call (default 16)"
    )
    parser.add_argument(
        "--max-new-tokens", type=_positive, default=128, help="longest answer, in tokens (default 128)"
    )
    parser.add_argument(
        "--no-meteor",
        dest="meteor",
        action="store_false",
        help="skip METEOR (and Sm*), saving a ~10 s Java start",
    )
