"""Model throughput of `RsPredictor.describe` on a synthetic GeoTIFF pair, side by side in one run: captions
alone, captions + p(change) (`--no-heatmaps`), and captions + p(change) + change maps (the default), with an
untrained stateful tiny Qwen2-VL of the demo model's size (configs/demo/rs_change.yaml). p(change) is read both
ways (`verdict.either_way`): the forward that scores the no-change answer, which generation continues from its
cache and the maps are read off, and one more scoring forward with the dates swapped. The ratio column is each
row's time over captions alone at the same batch size; the last line gives the maps' own cost, over captions +
p(change) (goal: at most 1.2x).

    python benchmarks/rs_describe.py [--size 1024] [--tokens 16] [--threads 1]

The pair (written to a temporary folder, removed afterwards) is the scene generator's, so ingestion warps the
shifted after-scene as in the app, in every row; ingestion alone runs at benchmarks/rs_ingest.py's rate, far
above these. Wall-clock numbers depend on what else runs on the machine, so CPU time is printed too (with one
thread, the steadier figure); each setting is run twice and the faster run is kept.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from itertools import islice
from pathlib import Path

import torch

from apps.rs_change.describe.predictor import DEMO_INPUT_SIZE, RsPredictor
from apps.rs_change.scene.ingest import open_series
from apps.rs_change.synthetic.geoscene import write_scene_pair
from apps.rs_change.synthetic.make_dataset import SCENE_SHIFT
from apps.rs_change.synthetic.scenes import make_scene
from sve_core import SVEConfig, make_stateful
from sve_core.inference import Describer
from sve_core.tiny import tiny_vlm
from sve_core.train_config import load_train_config

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "demo" / "rs_change.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1024, help="scene side in pixels (256 px tiles)")
    parser.add_argument(
        "--tokens", type=int, default=16, help="new tokens per caption (fixed: no early stop)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, processor = tiny_vlm("qwen2_vl", load_train_config(DEMO_CONFIG).tiny)
    make_stateful(model, SVEConfig())
    model.generation_config.eos_token_id = None  # every caption costs exactly --tokens steps
    predictor = RsPredictor(
        Describer(model, processor, name="tiny demo-sized", max_new_tokens=args.tokens),
        input_size=DEMO_INPUT_SIZE,
    )
    with tempfile.TemporaryDirectory() as folder:
        scene = make_scene(0, args.size + max(SCENE_SHIFT), events=4)
        paths = write_scene_pair(folder, scene, size=args.size, shift=SCENE_SHIFT)
        print(
            f"{args.size} px pair, 256 px tiles, {args.tokens} new tokens per caption, "
            f"{args.threads} thread(s)"
        )
        print(
            "| output | batch size | tiles | wall s | tiles/s | CPU s | tiles per CPU s | CPU time vs captions |\n"
            "|---|---|---|---|---|---|---|---|"
        )
        scenes = [paths.before, paths.after]
        maps_alone = []
        for batch_size in (1, 8):
            cpus = {}
            for mode in MODES:
                runs = [_timed(predictor, scenes, batch_size, mode) for _ in range(2)]
                tiles, wall, cpu = min(runs, key=lambda run: run[2])
                cpus[mode] = cpu
                print(
                    f"| {mode} | {batch_size} | {tiles} | {wall:.2f} | {tiles / wall:.1f} | {cpu:.2f} | "
                    f"{tiles / cpu:.1f} | {cpu / cpus[MODES[0]]:.2f}x |"
                )
            maps_alone.append(f"{cpus[MODES[2]] / cpus[MODES[1]]:.2f}x at batch {batch_size}")
        print("the change maps alone (captions + p(change) + maps over captions + p(change)): " + ", ".join(maps_alone))


MODES = ("captions only", "captions + p(change)", "captions + p(change) + maps")


def _timed(predictor: RsPredictor, scenes: list[Path], batch_size: int, mode: str) -> tuple[int, float, float]:
    """(tiles, wall s, CPU s) of one run of `mode` over the pair."""
    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "captions only":
        tiles = 0
        stream = open_series(scenes).tiles()
        while batch := list(islice(stream, batch_size)):
            predictor.captions([tile.images for tile in batch])
            tiles += len(batch)
    else:
        result = predictor.describe(scenes, batch_size=batch_size, heatmaps=mode.endswith("maps"), progress=False)
        tiles = len(result.steps[0].tiles)
    return tiles, time.perf_counter() - wall, time.process_time() - cpu


if __name__ == "__main__":
    main()
