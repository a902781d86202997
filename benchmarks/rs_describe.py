"""Model throughput of `RsPredictor.describe`: tiles/s with heatmaps (one generation per tile) against batched
captions without them, on a synthetic GeoTIFF pair, with an untrained stateful tiny Qwen2-VL of the demo
model's size (configs/demo/rs_change.yaml).

    python benchmarks/rs_describe.py [--size 1024] [--tokens 16] [--threads 1]

The pair (written to a temporary folder, removed afterwards) is the scene generator's, so ingestion warps the
shifted after-scene as in the app; ingestion alone runs at benchmarks/rs_ingest.py's rate, far above these.
Wall-clock numbers depend on what else runs on the machine, so CPU time is printed too (with one thread, the
steadier figure); each setting is run twice and the faster run is kept.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from apps.rs_change.describe.predictor import DEMO_INPUT_SIZE, RsPredictor
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
            "| heatmaps | batch size | tiles | wall s | tiles/s | CPU s | tiles per CPU s |\n"
            "|---|---|---|---|---|---|---|"
        )
        for heatmaps, batch_size in ((True, 1), (True, 8), (False, 1), (False, 4), (False, 8), (False, 16)):
            runs = []
            for _ in range(2):
                wall, cpu = time.perf_counter(), time.process_time()
                result = predictor.describe(
                    [paths.before, paths.after], batch_size=batch_size, heatmaps=heatmaps, progress=False
                )
                runs.append((time.perf_counter() - wall, time.process_time() - cpu))
            tiles, (wall, cpu) = len(result.steps[0].tiles), min(runs)
            print(
                f"| {'yes' if heatmaps else 'no'} | {batch_size} | {tiles} | {wall:.2f} | "
                f"{tiles / wall:.1f} | {cpu:.2f} | {tiles / cpu:.1f} |"
            )


if __name__ == "__main__":
    main()
