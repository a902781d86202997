"""Start-up benchmark for `sve cxr`: how long `--help` and a refused input take, against importing MONAI (what
every `sve cxr` command used to pay at module load through `apps/cxr/dicom/transforms.py`).

    PYTHONPATH=. python benchmarks/cxr_startup.py [--repeats 5]

Each command runs in a fresh interpreter (`python -m apps.cli ...`, what the `sve` script runs); the table
prints the median wall time and CPU time (user + system of the child) over the repeats, and the ratio to the
MONAI import. Wall time depends on what else runs on the machine; CPU time much less. Target: well under 1 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(argv: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one child interpreter."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per command (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        missing, out = str(Path(tmp) / "missing.dcm"), str(Path(tmp) / "out")
        commands = {
            "sve cxr report --help": ["-m", "apps.cli", "cxr", "report", "--help"],
            "sve cxr report (missing file, exit 2)": [
                "-m",
                "apps.cli",
                "cxr",
                "report",
                "--prior",
                missing,
                "--current",
                missing,
                "--out",
                out,
            ],
            "sve cxr inspect (missing file, exit 2)": ["-m", "apps.cli", "cxr", "inspect", missing],
            "import monai.transforms (the old floor)": ["-c", "import monai.transforms"],
        }
        results = {}
        for name, argv in commands.items():
            runs = [_run(argv) for _ in range(args.repeats)]
            results[name] = (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                runs[0][2],
            )
    floor = results["import monai.transforms (the old floor)"][0]
    print(f"{'command':<42} {'exit':>4} {'wall s':>8} {'cpu s':>7} {'vs MONAI import':>16}")
    for name, (wall, cpu, code) in results.items():
        print(f"{name:<42} {code:>4} {wall:>8.2f} {cpu:>7.2f} {wall / floor:>15.2f}x")


if __name__ == "__main__":
    main()
