"""`sve rs describe|predict-levircc|evaluate|calibrate|make-dataset|levircc-jsonl`: thin argument parsing over
`RsPredictor`, `evaluate`, the calibration and the dataset writers.

`describe` captions the change across two or more co-located scenes tile by tile and writes GIS outputs;
`predict-levircc` captions every pair of a LEVIR-CC split into the {filename: caption} JSON that
`sve eval levir-cc --predictions` scores; `evaluate` scores a model on a split of the training JSONL
(evaluate.py); `calibrate` chooses the p(change) and change-map thresholds on a validation split and stores
them next to the model (calibration.py); `make-dataset` writes the synthetic LEVIR-CC-style dataset and `levircc-jsonl` turns a LEVIR-CC
download into training JSONL. Errors a user can act on (a scene without a CRS, scenes that do not overlap, a
missing model or dataset file) are printed without a traceback and exit 2. Scenes are opened, and so checked,
before a model loads; the predictor is imported only by the commands that run one.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from apps.common import evaluate as common
from apps.common.calibration import probability
from apps.common.policy.raster import DEFAULT_MAX_TILES
from apps.rs_change import detection, evaluate, levircc_to_jsonl
from apps.rs_change.calibration import FILENAME
from apps.rs_change.describe import run as describe_run
from apps.rs_change.scene.config import GRID_CHOICES
from apps.rs_change.synthetic import make_dataset
from evaluation.datasets.levir_cc import LevirCC
from sve_core.errors import group_main


def _predict_levircc(args: argparse.Namespace) -> int:
    from apps.rs_change.describe.predictor import RsPredictor

    pairs = LevirCC(args.data, args.split)
    predictor = RsPredictor.load(args.model, input_size=args.input_size, max_new_tokens=args.max_new_tokens)
    captions: dict[str, str] = {}
    with tqdm(total=len(pairs), desc="LEVIR-CC", unit="pair") as bar:
        for start in range(0, len(pairs), args.batch_size):
            batch = pairs.items[start : start + args.batch_size]
            sequences = [[Image.open(path).convert("RGB") for path in item["images"]] for item in batch]
            captions.update(zip((item["id"] for item in batch), predictor.captions(sequences), strict=True))
            bar.update(len(batch))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(captions, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"wrote {len(captions)} captions of {predictor.name} to {args.out}; score them with "
        f"`sve eval levir-cc --data {args.data} --split {args.split} --predictions {args.out}`"
    )
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from apps.rs_change.describe.predictor import DEMO_MODEL_DIR, RsPredictor

    out = args.out or (DEMO_MODEL_DIR if args.model is None else Path(args.model)) / FILENAME
    if not out.parent.is_dir():
        raise ValueError(f"{out.parent}: no such folder for {FILENAME}; pass --out PATH (a hub model has no "
                         "local folder)")
    items = common.read_split(args.data, args.split)
    predictor = RsPredictor.load(args.model, input_size=args.input_size, max_new_tokens=args.max_new_tokens)
    scores = detection.score_split(predictor, items, args.levircc or args.data, batch_size=args.batch_size)
    calibration = detection.calibrate(scores, _split_source(args.data, args.split))
    calibration.save(out)
    print(f"{calibration.describe()}; map threshold {calibration.map_threshold:.4f} (pixel F1 "
          f"{calibration.pixel_f1 if calibration.pixel_f1 is None else round(100 * calibration.pixel_f1, 2)}); "
          f"wrote {out}")
    return 0


def _split_source(data: Path, split: str) -> str:
    """How the split was made, for the calibration record: make-dataset's arguments when it wrote it."""
    info = data / "synthetic_info.json"
    if not info.is_file():
        return f"{split} split of {data.name}"
    arguments = json.loads(info.read_text(encoding="utf-8"))["arguments"]
    return f"{split} split of sve rs make-dataset --seed {arguments['seed']} --size {arguments['size']}"


def _bands(text: str) -> tuple[int, int, int]:
    try:
        bands = tuple(int(part) for part in text.split(","))
    except ValueError:
        bands = ()
    if len(bands) != 3 or min(bands) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected three 1-based band indexes, e.g. 1,2,3 or 4,3,2"
        )
    return bands  # type: ignore[return-value]


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 1")
    return int(text)


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", help="hub id, local model folder, or tiny:<family> (default: the embedded demo model)"
    )
    parser.add_argument(
        "--input-size",
        type=_positive,
        help="side (px) tiles are resized to before the model sees them "
        "(default: 96 for the demo model, 256 otherwise)",
    )
    parser.add_argument(
        "--max-new-tokens", type=_positive, default=64, help="longest caption, in tokens (default 64)"
    )
    parser.add_argument(
        "--batch-size", type=_positive, default=8, help="tiles or pairs per generate call (default 8)"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rs", help="bitemporal GeoTIFF change captioning", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="rs_command", metavar="COMMAND", required=True)

    describe = commands.add_parser(
        "describe",
        help="caption the change between co-located scenes tile by tile; write GeoJSON, heatmap "
        "GeoTIFF and a report",
    )
    describe.add_argument("--before", help="earliest scene (GeoTIFF, or PNG/JPEG; a URL with --remote)")
    describe.add_argument(
        "--after",
        help="later scene; warped onto --before's grid if the grids differ (a URL with --remote)",
    )
    describe.add_argument(
        "--more",
        nargs="+",
        default=[],
        metavar="SCENE",
        help="further later scenes, oldest first, for a time series (one step per date)",
    )
    describe.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for tiles.geojson, heatmap.tif and change_mask.tif (COGs), item.json (STAC), report.md, "
        "tiles.json and tiles.png",
    )
    describe.add_argument(
        "--tile-size",
        type=int,
        default=256,
        help="tile side in scene pixels (default 256, LEVIR-CC's tiles at 0.5 m)",
    )
    describe.add_argument(
        "--overlap", type=int, default=0, help="pixels shared by neighbouring tiles (default 0)"
    )
    describe.add_argument(
        "--max-tiles",
        type=_positive,
        default=DEFAULT_MAX_TILES,
        help=f"refuse a run needing more tiles than this, before any is read (default {DEFAULT_MAX_TILES:,})",
    )
    describe.add_argument(
        "--min-valid",
        type=float,
        default=0.5,
        help="skip tiles with a smaller valid (not nodata) fraction in any date (default 0.5)",
    )
    describe.add_argument(
        "--bands",
        type=_bands,
        help="1-based bands shown as R,G,B, e.g. 4,3,2 for Sentinel-2 (default: the file's "
        "colour interpretation, else 1,2,3)",
    )
    describe.add_argument(
        "--threshold",
        type=probability,
        help="p(change) at or above which a tile is flagged changed (default: the model's calibrated "
        "threshold, change_calibration.json beside it, else 0.5)",
    )
    describe.add_argument(
        "--grid",
        choices=GRID_CHOICES,
        default="before",
        help="grid all dates are warped onto and outputs use: the earliest scene's (default), the latest's, "
        "the finer or the coarser pixels",
    )
    describe.add_argument(
        "--no-heatmaps",
        action="store_true",
        help="no change maps (and so no change polygons): the GeoTIFF holds each tile's p(change)",
    )
    _model_arguments(describe)
    describe_run.add_arguments(describe)
    describe.set_defaults(func=describe_run.run)

    predict = commands.add_parser(
        "predict-levircc", help="caption a LEVIR-CC split for `sve eval levir-cc --predictions`"
    )
    predict.add_argument(
        "--data",
        type=Path,
        required=True,
        help="LEVIR-CC folder: LevirCCcaptions.json and images/{train,val,test}/{A,B}/",
    )
    predict.add_argument(
        "--split", choices=("train", "val", "test"), default="test", help="split (default test)"
    )
    predict.add_argument(
        "--out", type=Path, required=True, help='JSON file to write: {"<filename>": "caption"}'
    )
    _model_arguments(predict)
    predict.set_defaults(func=_predict_levircc)

    scores = commands.add_parser("evaluate", help=evaluate.HELP)
    evaluate.add_arguments(scores)
    scores.set_defaults(func=evaluate.run)

    calibrate = commands.add_parser(
        "calibrate", help="choose the p(change) and change-map thresholds on a validation split; store them "
        "beside the model"
    )
    calibrate.add_argument("--data", type=Path, required=True, help="folder with <split>.jsonl (sve rs make-dataset)")
    calibrate.add_argument("--split", default="val", help="split to calibrate on (default val)")
    calibrate.add_argument(
        "--levircc", type=Path, help="folder the masks' paths are relative to (default: --data)"
    )
    calibrate.add_argument(
        "--out", type=Path, help=f"file to write (default: {FILENAME} in the model's folder)"
    )
    _model_arguments(calibrate)
    calibrate.set_defaults(func=_calibrate)

    dataset = commands.add_parser(
        "make-dataset", help="write the seeded synthetic LEVIR-CC-style dataset and GeoTIFF scenes"
    )
    make_dataset.add_arguments(dataset)
    dataset.set_defaults(func=make_dataset.run)

    jsonl = commands.add_parser("levircc-jsonl", help="turn a LEVIR-CC download into training JSONL")
    levircc_to_jsonl.add_arguments(jsonl)
    jsonl.set_defaults(func=levircc_to_jsonl.run)


def main(argv: list[str] | None = None) -> int:
    """`python -m apps.rs_change.cli COMMAND ...`: what `accelerate launch -m` and torchrun start."""
    return group_main("rs", "apps.rs_change.cli", register, argv)


if __name__ == "__main__":
    raise SystemExit(main())
