"""Scene-scale throughput of `sve rs describe --num-processes N`: tiles/s for 1, 2, ... processes on one scene.

    python benchmarks/rs_distributed.py [--processes 1 2] [--tile-size 64] [--repeats 3]

Runs the real command (torch.distributed.run on 127.0.0.1, one OMP thread per process) on the example pair
(apps/rs_change/examples, 512 x 512 px) with an untrained tiny Qwen2-VL, 3 new tokens, 56 px input. Two figures
per run: "in-run" tiles/s (tiles / the seconds recorded in tiles.json: reading, model and merge, after the
model is loaded) and "wall" tiles/s (tiles / the whole command, process start and model load included).
Medians over --repeats, and the ratio to the first setting. On a GPU machine the same command runs one process
per GPU under `accelerate launch`; this script measures what the machine it runs on has. The shared 2-core
development machine gives noisy wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "apps" / "rs_change" / "examples"


def run(processes: int, tile_size: int, out: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "apps.rs_change.cli", "describe", "--before", str(EXAMPLES / "before.tif"),
               "--after", str(EXAMPLES / "after.tif"), "--model", "tiny:qwen2_vl", "--input-size", "56",
               "--max-new-tokens", "3", "--tile-size", str(tile_size), "--num-processes", str(processes),
               "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - start
    record = json.loads((out / "tiles.json").read_text())
    tiles = len(record["steps"][0]["tiles"])
    return tiles / record["seconds"], tiles / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="process counts to compare")
    parser.add_argument("--tile-size", type=int, default=64, help="tile side in pixels (64 -> 64 tiles)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per setting (the median is printed)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for processes in args.processes:
            runs = [run(processes, args.tile_size, Path(folder) / f"p{processes}_{k}") for k in range(args.repeats)]
            rows.append((processes, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)))
    print(f"| processes | in-run tiles/s | wall tiles/s | in-run vs {rows[0][0]} |")
    print("|---|---|---|---|")
    for processes, in_run, wall in rows:
        print(f"| {processes} | {in_run:.2f} | {wall:.2f} | {in_run / rows[0][1]:.2f}x |")


if __name__ == "__main__":
    main()
