"""Scene-scale `describe` over processes: 2 processes write the same bytes as 1, an interrupted run resumes from
the tile it stopped at, and the shard bookkeeping survives a torn write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.rs_change.describe.distributed import TileRun, describe_distributed
from apps.rs_change.describe.predictor import RsPredictor
from apps.rs_change.scene.ingest import open_series
from apps.rs_change.synthetic.make_examples import OUT as EXAMPLES
from evaluation.distributed import ShardLog, share
from sve_core.inference import load_describer

ROOT = Path(__file__).resolve().parents[4]
PAIR = [str(EXAMPLES / "before.tif"), str(EXAMPLES / "after.tif")]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def tiny() -> RsPredictor:
    return RsPredictor(load_describer("tiny:qwen2_vl", max_new_tokens=3), input_size=56)


def describe(out: Path, processes: int) -> None:
    command = [sys.executable, "-m", "apps.rs_change.cli", "describe", "--before", PAIR[0], "--after", PAIR[1],
               "--model", "tiny:qwen2_vl", "--input-size", "56", "--max-new-tokens", "3", "--tile-size", "128",
               "--batch-size", "3", "--num-processes", str(processes), "--out", str(out)]
    done = subprocess.run(command, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
def test_two_processes_write_the_same_geojson_as_one(tmp_path: Path) -> None:
    describe(tmp_path / "one", 1)
    describe(tmp_path / "two", 2)
    one, two = (tmp_path / name / "tiles.geojson" for name in ("one", "two"))
    assert len(json.loads(one.read_text())["features"]) == 16
    assert one.read_bytes() == two.read_bytes()
    assert (tmp_path / "one" / "heatmap.tif").read_bytes() == (tmp_path / "two" / "heatmap.tif").read_bytes()


def test_an_interrupted_run_resumes_from_the_tile_it_stopped_at(tiny, monkeypatch, tmp_path: Path) -> None:
    series = open_series(PAIR)
    run = TileRun(tile_size=128, batch_size=2)
    whole = describe_distributed(tiny, series, run, tmp_path / "whole", progress=False)
    calls: list[list[tuple[int, int]]] = []
    resuming = False
    original = tiny.describe_series

    def interrupted(part, **kwargs):
        calls.append(sorted(part.only))
        if len(calls) == 3 and not resuming:
            raise Interrupted  # killed while the third batch (tiles 4 and 5) is running
        return original(part, **kwargs)

    monkeypatch.setattr(tiny, "describe_series", interrupted)
    with pytest.raises(Interrupted):
        describe_distributed(tiny, series, run, tmp_path / "resumed", progress=False)
    calls.clear()
    resuming = True
    resumed = describe_distributed(tiny, series, run, tmp_path / "resumed", progress=False)
    assert calls[0] == [(1, 0), (1, 1)]  # tile k = 4 (row-major), not tile 0
    assert len(calls) == 1 + (16 - 4) // 2  # the remaining batches, then the merge's empty template
    assert json.dumps(resumed.geojson()) == json.dumps(whole.geojson())


def test_a_torn_last_line_is_ignored_and_not_glued_to_the_next(tmp_path: Path) -> None:
    log = ShardLog(tmp_path, rank=0)
    assert not log.prepare({"a": 1})
    log.append([{"key": "0,0", "steps": None}])
    with open(tmp_path / "rank0.jsonl", "a") as file:
        file.write('{"key": "0,1", "ste')  # killed mid-write
    log.append([{"key": "0,2", "steps": None}])
    assert sorted(log.done()) == ["0,0", "0,2"]
    assert log.prepare({"a": 1}) is True
    assert log.prepare({"a": 2}) is False and log.done() == {}  # other settings start over


@pytest.mark.parametrize(("items", "world"), [(10, 1), (10, 2), (10, 3), (2, 3), (0, 2)])
def test_shares_are_contiguous_and_cover_everything_once(items: int, world: int) -> None:
    parts = [share(list(range(items)), rank, world) for rank in range(world)]
    assert sum(parts, []) == list(range(items))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
