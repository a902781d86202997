"""`sve diff describe|predict|calibrate|evaluate|make-dataset`: thin argument parsing over `DiffPredictor`, the
p(edit) calibration, the scorer and the generator.

`describe` says what changed across 2-3 image files, or "no difference found" when p(edit) stays below the
threshold; `predict` does the same for every edit of an ImgEdit-style folder and writes the list of records
`sve eval judge --a/--b` reads, so two models (say SVE and its stateless baseline) can be judged against each
other; `calibrate` chooses the p(edit) threshold on a split with no-edit pairs and stores it beside the model. Errors a user can act on (a bad image, a missing model or dataset
file) are printed without a traceback and exit 2. The predictor (and with it torch) is imported only by the
commands that run a model, so `--help` and `make-dataset` start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from apps.common import evaluate as common
from apps.common.calibration import probability
from apps.image_diff import evaluate
from apps.image_diff.describe.calibration import FILENAME
from apps.image_diff.ingest import ImageInputError, load_images
from apps.image_diff.synthetic import make_dataset
from apps.image_diff.synthetic.edits import SEQUENCE_MODES
from evaluation.datasets.imgedit import ImgEdit, ImgEditItem

if TYPE_CHECKING:
    from apps.image_diff.describe.predictor import DiffPredictor, DiffResult

DEMO_NOTE = (
    "note: running the embedded demo model, trained on synthetic shapes only; pass --model to run yours"
)


def _describe(args: argparse.Namespace) -> int:
    from apps.image_diff.describe.predictor import UNREADABLE, DiffPredictor

    images = load_images(args.images)
    predictor = DiffPredictor.load(args.model, max_new_tokens=args.max_new_tokens, sequence=args.sequence)
    result = predictor.predict_images(images)
    if args.threshold is not None:
        result = result.with_threshold(args.threshold)
    if result.demo:
        print(DEMO_NOTE, file=sys.stderr)
    if args.out is not None:
        _write_overlays(result, args.out)
    names = [path.name for path in args.images]
    if args.json:
        print(json.dumps(result.record(args.id or args.images[0].stem, names), indent=2, ensure_ascii=False))
        return 0
    if result.notice:  # before any answer
        print(f"notice: {result.notice}")
    print(f"verdict: {'edited' if result.edited else 'no difference found'} ({result.verdict}; "
          f"{result.calibration.describe()})")
    if result.disagreement:
        print(f"note: {result.disagreement}")
    if not result.edited:
        print(f"model: {result.model}")
        return 0
    if not result.readable:
        print(f"{UNREADABLE}: its answer {result.reading.reason}")
        print(f"raw answer (not an instruction): {result.raw}\nmodel: {result.model}")
        return 0
    for seen in result.observations:
        print(f"seen: {seen}")
    print(f"instruction: {result.text}\ncategory: {', '.join(result.categories)}\nmodel: {result.model}")
    return 0


def _write_overlays(result: DiffResult, out: Path) -> None:
    """`heatmap_<k>.png`: image k (1-based, as on the command line) with the change since image k-1 drawn on."""
    if not result.has_heatmaps:
        print(f"no heatmaps: {result.model} has no stateful layers to read change from", file=sys.stderr)
        return
    out.mkdir(parents=True, exist_ok=True)
    for number, (overlay, heatmap) in enumerate(zip(result.overlays, result.heatmaps, strict=True), start=1):
        if heatmap is not None:
            overlay.save(out / f"heatmap_{number}.png")
            print(f"wrote {out / f'heatmap_{number}.png'}", file=sys.stderr)


def _calibrate(args: argparse.Namespace) -> int:
    from apps.image_diff.describe.calibration import calibrate
    from apps.image_diff.describe.predictor import DEMO_MODEL_DIR, DiffPredictor

    out = args.out or Path(args.model or DEMO_MODEL_DIR) / FILENAME
    if not out.parent.is_dir():
        raise ValueError(f"{out.parent}: no such folder for {FILENAME}; pass --out PATH (a hub model has no "
                         "local folder)")
    items = common.read_split(args.data, args.split)
    if not any(evaluate.is_no_edit_item(item) for item in items):
        raise ValueError(f"{args.data / args.split}.jsonl has no pair without an edit to calibrate on; make one "
                         "with `sve diff make-dataset --no-edit-share 0.1`")
    predictor = DiffPredictor.load(args.model, max_new_tokens=args.max_new_tokens)
    p_edit = evaluate.edit_probabilities(predictor, items, batch_size=args.batch_size)
    no_edit = np.array([evaluate.is_no_edit_item(item) for item in items])
    calibration = calibrate(p_edit, no_edit, f"{args.split} split of {args.data.name}")
    calibration.save(out)
    print(f"{calibration.describe()}; wrote {out}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from apps.image_diff.describe.predictor import DiffPredictor

    edits = ImgEdit(args.data, args.split)
    predictor = DiffPredictor.load(args.model, max_new_tokens=args.max_new_tokens, sequence=args.sequence)
    records = [_record(predictor, edit) for edit in tqdm(edits.items, desc="describe", unit="edit")]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(records)} predictions of {predictor.name} to {args.out}")
    return 0


def _record(predictor: DiffPredictor, edit: ImgEditItem) -> dict[str, Any]:
    """One edit's record; an image error also names the edit, since ImgEdit's files are all called alike."""
    try:
        result = predictor.predict(edit["images"])
    except ImageInputError as error:
        raise ImageInputError(f"{edit['id']}: {error}") from error
    return result.record(edit["id"], [Path(path).name for path in edit["images"]])


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        help="hub id, local model folder, or tiny:<family> (default: the embedded demo model)",
    )
    parser.add_argument(
        "--max-new-tokens", type=int, default=64, help="longest answer, in tokens (default 64)"
    )
    parser.add_argument(
        "--sequence",
        choices=SEQUENCE_MODES,
        help="3 images: ask about all at once (joint) or about each consecutive pair (pairwise); default "
        "pairwise for the embedded demo model, which was trained on pairs only, joint for other models",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff", help="describe what changed between 2-3 images", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="diff_command", metavar="COMMAND", required=True)

    describe = commands.add_parser(
        "describe", help="the edit instruction(s) and category for 2-3 images, oldest first"
    )
    describe.add_argument(
        "images", type=Path, nargs="+", metavar="IMAGE", help="2 or 3 image files, oldest first"
    )
    _model_arguments(describe)
    describe.add_argument(
        "--json", action="store_true", help="print a JSON record (the format `sve diff predict` writes)"
    )
    describe.add_argument(
        "--id", help="the record's id in --json output (default: the first image's file name stem)"
    )
    describe.add_argument(
        "--out", type=Path, help="folder to write heatmap_<k>.png overlays to (stateful models only)"
    )
    describe.add_argument(
        "--threshold", type=probability,
        help=f"p(edit) at or above which the images count as edited (default: the model's calibrated threshold, "
        f"{FILENAME} beside it, else 0.5)",
    )
    describe.set_defaults(func=_describe)

    predict = commands.add_parser(
        "predict", help="describe every edit of an ImgEdit-style folder, for `sve eval judge --a/--b`"
    )
    predict.add_argument(
        "--data", type=Path, required=True, help="ImgEdit-style folder: <split>.jsonl and its images"
    )
    predict.add_argument("--split", default="test", help="split to describe (default test)")
    predict.add_argument(
        "--out", type=Path, required=True, help='JSON file to write: [{"id", "caption", "categories", ...}]'
    )
    _model_arguments(predict)
    predict.set_defaults(func=_predict)

    calibration = commands.add_parser(
        "calibrate", help=f"choose the p(edit) threshold on a split with no-edit pairs; store it as {FILENAME} "
        "beside the model"
    )
    calibration.add_argument("--data", type=Path, required=True,
                             help="folder with <split>.jsonl (sve diff make-dataset --no-edit-share 0.1)")
    calibration.add_argument("--split", default="val", help="split to calibrate on (default val)")
    calibration.add_argument("--out", type=Path,
                             help=f"where to write (default: {FILENAME} in the model's folder)")
    calibration.add_argument("--batch-size", type=int, default=16, help="pairs per forward pass (default 16)")
    _model_arguments(calibration)
    calibration.set_defaults(func=_calibrate)

    dataset = commands.add_parser(
        "make-dataset", help="write a seeded synthetic edit dataset in the trainer's format"
    )
    make_dataset.add_arguments(dataset)
    dataset.set_defaults(func=make_dataset.run)
    scores = commands.add_parser("evaluate", help=evaluate.HELP)
    evaluate.add_arguments(scores)
    scores.set_defaults(func=evaluate.run)
