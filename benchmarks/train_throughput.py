#!/usr/bin/env python3
"""Training throughput and peak memory of the tiny setup (configs/train/tiny.yaml), stateless vs Cross+FFN.

    python benchmarks/train_throughput.py [--steps 40] [--batch-size 4] [--threads 1] [--repeats 3]

Each variant trains in its own process (so peak RSS is its own) on the same seeded fake data
(tests/data/sharegpt/data.py). Step times come from the Trainer's step callbacks; the first `--warmup` steps
are dropped and the median step is reported as samples/s. The variants alternate over `--repeats` rounds (the
machine is shared, so load drifts) and the median over rounds is printed. Checkpointing is off while timed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the seeded data writer lives with the test data, outside the installed packages


def measure(variant: str, data: Path, steps: int, batch_size: int, warmup: int, threads: int) -> dict:
    """Train `steps` steps of `variant` in this process; returns medians and peak RSS."""
    import torch
    from transformers import TrainerCallback

    from sve_core.train_config import load_train_config
    from sve_core.trainer import train

    torch.set_num_threads(threads)

    class StepTimes(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_step_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter() - self.start)

    timer = StepTimes()
    with tempfile.TemporaryDirectory() as out:
        config = load_train_config(ROOT / "configs" / "train" / "tiny.yaml", {
            "data": str(data / "train.jsonl"), "eval_data": None, "output_dir": out, "sve.variant": variant,
            "max_steps": steps, "batch_size": batch_size, "save_steps": steps + 1, "log_steps": steps,
        })
        train(config, callbacks=[timer])
    step = statistics.median(timer.times[warmup:])
    return {"variant": variant, "step_s": step, "samples_per_s": batch_size / step,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps per variant")
    parser.add_argument("--warmup", type=int, default=5, help="first steps left out of the medians")
    parser.add_argument("--batch-size", type=int, default=4, help="samples per step")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per run")
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds; medians over rounds")
    parser.add_argument("--variants", nargs="+", default=["stateless", "cross_ffn"], help="SVE variants to compare")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: measure one variant in a fresh process
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, Path(args.data), args.steps, args.batch_size, args.warmup,
                                 args.threads)))
        return

    from tests.data.sharegpt.data import write_dataset

    with tempfile.TemporaryDirectory() as data:
        write_dataset(Path(data), train=max(64, args.steps * args.batch_size // 2), val=1)
        runs: dict[str, list[dict]] = {variant: [] for variant in args.variants}
        for _ in range(args.repeats):
            for variant in args.variants:
                command = [sys.executable, __file__, "--child", variant, "--data", data, "--steps",
                           str(args.steps), "--warmup", str(args.warmup), "--batch-size", str(args.batch_size),
                           "--threads", str(args.threads)]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                runs[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = [{"variant": variant, **{key: statistics.median(r[key] for r in results)
                                    for key in ("step_s", "samples_per_s", "peak_rss_mib")}}
            for variant, results in runs.items()]
    print(f"tiny qwen2_vl (configs/train/tiny.yaml), batch {args.batch_size}, {args.steps} steps (median of the "
          f"last {args.steps - args.warmup}), median of {args.repeats} rounds, {args.threads} thread(s), fp32 CPU")
    print(f"{'variant':<12}{'step ms':>10}{'samples/s':>12}{'peak RSS MiB':>14}")
    for row in rows:
        print(f"{row['variant']:<12}{row['step_s'] * 1000:>10.1f}{row['samples_per_s']:>12.1f}"
              f"{row['peak_rss_mib']:>14.0f}")
    if len(rows) == 2:
        a, b = rows
        print(f"{b['variant']} / {a['variant']}: throughput x{b['samples_per_s'] / a['samples_per_s']:.2f}, "
              f"peak RSS x{b['peak_rss_mib'] / a['peak_rss_mib']:.2f}")


if __name__ == "__main__":
    main()
