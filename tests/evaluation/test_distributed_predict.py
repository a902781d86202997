"""`sve eval levir-cc --model` over processes: 2 processes generate the same predictions as 1, and an
interrupted generation resumes where it stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.distributed import predict_distributed

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


class Echo:
    """A captioner that names its images, and can be made to fail on one item."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on, self.seen = fail_on, []

    def describe(self, image_paths: list[str], prompt: str) -> str:
        if image_paths[0] == self.fail_on:
            raise RuntimeError("killed")
        self.seen.append(image_paths[0])
        return f"{prompt}: {'+'.join(image_paths)}"


def test_generation_resumes_after_an_interruption(tmp_path: Path) -> None:
    requests = [(f"id{k}", [f"a{k}.png", f"b{k}.png"], "what changed") for k in range(5)]
    with pytest.raises(RuntimeError):
        predict_distributed(Echo(fail_on="a3.png"), requests, desc="t", folder=tmp_path / "run")
    again = Echo()
    answers = predict_distributed(again, requests, desc="t", folder=tmp_path / "run")
    assert again.seen == ["a3.png", "a4.png"]  # items 0..2 came from disk
    assert list(answers) == [r[0] for r in requests]
    assert answers == predict_distributed(Echo(), requests, desc="t", folder=tmp_path / "fresh")
    assert not (tmp_path / "run").exists()  # removed once merged


@pytest.mark.slow
def test_two_processes_generate_what_one_does(tmp_path: Path) -> None:
    def run(out: Path, processes: int) -> bytes:
        command = [sys.executable, "-m", "apps.cli", "eval", "levir-cc", "--data",
                   str(ROOT / "tests" / "data" / "levir_cc"), "--model", "tiny:qwen2_vl", "--no-meteor",
                   "--num-processes", str(processes), "--out", str(out)]
        done = subprocess.run(command, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return (out / "levir_cc_predictions.json").read_bytes()

    one, two = run(tmp_path / "one", 1), run(tmp_path / "two", 2)
    assert len(json.loads(one)) == 4 and one == two
