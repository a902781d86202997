"""`sve rs describe` from scenes to catalogued outputs: sources, tiles over processes, COGs and a STAC Item.

`add_arguments` adds the STAC, remote, output-catalog and distribution flags to the describe parser; `run` is
its command. With `--num-processes N` (N > 1) the command starts itself N times through
`evaluation.distributed.relaunch`; under `accelerate launch` / torchrun it joins the launch it is in.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import replace

from apps.rs_change.errors import SceneError
from apps.rs_change.stac.read import DEFAULT_ASSETS
from evaluation.distributed import launched, relaunch

DEMO_NOTE = (
    "note: running the embedded demo model, trained on synthetic scenes only; pass --model to run yours"
)


def run(args: argparse.Namespace) -> int:
    """The describe command; torch, the model and the STAC stack are imported only here."""
    from apps.common.policy.raster import check_scene_tiles
    from apps.rs_change.describe.distributed import RUN_FOLDER, TileRun, describe_distributed
    from apps.rs_change.describe.predictor import RsPredictor, check_series_tiles
    from apps.rs_change.describe.sources import SOURCES_FOLDER, resolve
    from apps.rs_change.outputs.cog import write_cogs
    from apps.rs_change.outputs.geojson import NO_GEOREFERENCE
    from apps.rs_change.outputs.stac_item import add_to_catalog, build_item, write_item
    from apps.rs_change.scene.config import IngestConfig
    from apps.rs_change.scene.ingest import open_series
    from evaluation.distributed import process_state

    if args.num_processes < 1 or args.http_timeout < 1:
        raise SceneError(f"--num-processes {args.num_processes}, --http-timeout {args.http_timeout}: expected "
                         "at least 1 each")
    if args.num_processes > 1 and not launched():
        argv = sys.argv[sys.argv.index("describe"):]
        return relaunch("apps.rs_change.cli", argv, args.num_processes)
    state = process_state()
    if state.is_main_process:
        sources = resolve(args, args.out, main=True)
    state.wait_for_everyone()
    if not state.is_main_process:
        sources = resolve(args, args.out, main=False)
    out = args.out / sources.item_id if args.catalog else args.out
    bands = args.bands if args.stac is None and not args.remote else None
    check_scene_tiles(sources.paths[0], args.tile_size, args.overlap, max_tiles=args.max_tiles)
    series = open_series(sources.paths, config=IngestConfig(bands=bands, grid=args.grid))
    check_series_tiles(series, args.tile_size, args.overlap, max_tiles=args.max_tiles)
    if state.is_main_process:
        for warning in series.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    predictor = RsPredictor.load(args.model, input_size=args.input_size, max_new_tokens=args.max_new_tokens)
    if predictor.demo and state.is_main_process:
        print(DEMO_NOTE, file=sys.stderr)
    tiles = TileRun(args.tile_size, args.overlap, args.batch_size, args.min_valid, not args.no_heatmaps,
                    args.threshold)
    result = describe_distributed(predictor, series, tiles, out, progress=state.is_main_process)
    if result is None:
        return 0
    if len(sources.names) == len(result.names):  # call the dates by their sources (STAC ids), not fetched files
        result = replace(result, names=sources.names)
    if not result.georeferenced:
        print(f"note: {NO_GEOREFERENCE}", file=sys.stderr)
    paths = result.write(out)
    if result.grid.crs is not None:
        mask_threshold = result.calibration.map_threshold if args.mask_threshold is None else args.mask_threshold
        rasters = write_cogs(result, out, threshold=mask_threshold)
        paths += [r.mask for r in rasters]
        item = build_item(sources.item_id, result, rasters, out, sources.provenance, threshold=mask_threshold)
        paths.append(add_to_catalog(item, args.out) if args.catalog else write_item(item, out))
    shutil.rmtree(out / RUN_FOLDER, ignore_errors=True)
    shutil.rmtree(args.out / SOURCES_FOLDER, ignore_errors=True)
    print(result.report())
    print(f"wrote {', '.join(str(p.relative_to(args.out)) for p in paths)} to {args.out}", file=sys.stderr)
    return 0


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 0")
    return int(text)


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"{text!r}: expected W,S,E,N in degrees, e.g. 9.0,45.9,9.1,46.0")
    return values  # type: ignore[return-value]


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if len(names) != 3:
        raise argparse.ArgumentTypeError(f"{text!r}: expected three asset keys or band common names, "
                                         "e.g. red,green,blue")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    stac = parser.add_argument_group("STAC catalog input (instead of --before/--after)")
    stac.add_argument("--stac", metavar="URL", help="STAC API root or static catalog.json to search")
    stac.add_argument("--collection", help="collection to search (with --stac)")
    stac.add_argument("--bbox", type=_bbox, help="area of interest W,S,E,N in degrees (with --stac or --remote)")
    stac.add_argument("--before-date", help="date of the earlier scene: YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD")
    stac.add_argument("--after-date", help="date of the later scene: YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD")
    stac.add_argument("--max-cloud", type=float, default=100.0,
                      help="largest eo:cloud_cover in percent an item may have (default 100)")
    stac.add_argument("--assets", type=_names, default=DEFAULT_ASSETS,
                      help="asset keys or eo:bands common names shown as R,G,B (default red,green,blue)")
    remote = parser.add_argument_group("remote reading (--stac, or --remote with URL scenes)")
    remote.add_argument("--remote", action="store_true",
                        help="allow --before/--after/--more to be http(s):// or /vsicurl/ URLs (only the --bbox "
                        "window is read; the whole raster without --bbox)")
    remote.add_argument("--http-timeout", type=_count, default=30, help="seconds per HTTP request (default 30)")
    remote.add_argument("--http-retries", type=_count, default=3,
                        help="further tries of a failed HTTP request, with exponential backoff (default 3)")
    outputs = parser.add_argument_group("catalogued outputs")
    outputs.add_argument("--catalog", action="store_true",
                         help="treat --out as a static STAC catalog: write this run into OUT/<item id>/ and add "
                         "its Item to OUT/catalog.json (created on the first run)")
    outputs.add_argument("--mask-threshold", type=float, default=None,
                         help="change-map value at or above which a pixel of a changed tile is change in "
                         "change_mask.tif (default: the model's calibrated map threshold)")
    parser.add_argument("--num-processes", type=_count, default=1,
                        help="split the tiles over N processes on this machine (default 1; under accelerate "
                        "launch or torchrun the launch decides)")
