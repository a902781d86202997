"""Scene-scale `describe` over the processes of a launch: tiles shared out, each process reading its own windows,
results kept on disk tile by tile, merged in tile order by the main process.

The single-process command runs the same path with one share, so `--num-processes 1` and `2` write the same
bytes (each tile is answered on its own images only; see the batching note in docs/RS_CHANGE.md). Results live in
`OUT/.sve_run/` until the outputs are written: a run stopped at tile k and started again with the same settings
continues from k; changed settings start over. (Only the quicklook behind tiles.png is saved every
`QUICKLOOK_EVERY_S`: tiles answered in the last seconds before a kill show black there after a resume.)
"""

from __future__ import annotations

import base64
import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from apps.rs_change.describe.predictor import RsPredictor
from apps.rs_change.outputs.results import TileResult
from apps.rs_change.outputs.scene_result import ChangeStep, SceneResult
from apps.rs_change.scene.ingest import SceneSeries
from apps.rs_change.scene.tiling import TileFootprint
from evaluation.distributed import ShardLog, process_state, share

RUN_FOLDER = ".sve_run"
QUICKLOOK_EVERY_S = 30.0  # the quicklook (a few MB) is saved this often, not after every batch


@dataclass(frozen=True)
class TileRun:
    tile_size: int = 256
    overlap: int = 0
    batch_size: int = 8
    min_valid: float = 0.5
    heatmaps: bool = True
    threshold: float | None = None  # p(change) flag threshold; None: the model's calibrated one


@dataclass(frozen=True)
class SceneShare(SceneSeries):
    """A `SceneSeries` that yields only the tiles in `only`: a process reads its own windows and no others."""

    only: frozenset[tuple[int, int]] = frozenset()

    def footprints(self, size: int = 256, overlap: int = 0) -> Iterator[TileFootprint]:
        return (f for f in super().footprints(size, overlap) if f.index in self.only)


def describe_distributed(predictor: RsPredictor, series: SceneSeries, run: TileRun, out: Path,
                         *, progress: bool = True) -> SceneResult | None:
    """This process's share of `series`; the merged `SceneResult` in the main process, None in the others."""
    state = process_state()
    start = time.perf_counter()
    log = ShardLog(Path(out) / RUN_FOLDER, state.process_index)
    footprints = list(series.footprints(run.tile_size, run.overlap))
    if state.is_main_process and log.prepare(_settings(predictor, series, run)):
        print(f"resuming: {len(log.done())} of {len(footprints)} tiles already done", flush=True)
    state.wait_for_everyone()
    done = log.done()
    todo = [f for f in footprints if _key(f) not in done]
    # batches are cut from the whole to-do list before sharing, so every tile meets the same batch-mates
    # whatever the number of processes
    batches = share([todo[i : i + run.batch_size] for i in range(0, len(todo), run.batch_size)],
                    state.process_index, state.num_processes)
    quicklook = log.folder / f"quicklook{state.process_index}.npy"
    with tqdm(total=sum(map(len, batches)), desc=f"tiles (process {state.process_index})", unit="tile",
              disable=not progress) as bar:
        pictures, saved = None, time.monotonic()
        for number, batch in enumerate(batches, start=1):
            part = predictor.describe_series(_restricted(series, batch), tile_size=run.tile_size,
                                             overlap=run.overlap, batch_size=run.batch_size,
                                             min_valid=run.min_valid, heatmaps=run.heatmaps, progress=False,
                                             threshold=run.threshold)
            images = np.stack(part.quicklook.images)
            pictures = images if pictures is None else np.maximum(pictures, images)
            if number == len(batches) or time.monotonic() - saved > QUICKLOOK_EVERY_S:
                _keep_quicklook(quicklook, pictures)
                saved = time.monotonic()
            log.append(_records(batch, part))
            bar.update(len(batch))
    state.wait_for_everyone()
    if not state.is_main_process:
        return None
    return _merge(predictor, series, run, log, footprints, time.perf_counter() - start)


def _merge(predictor: RsPredictor, series: SceneSeries, run: TileRun, log: ShardLog,
           footprints: list[TileFootprint], seconds: float) -> SceneResult:
    template = predictor.describe_series(_restricted(series, []), tile_size=run.tile_size, overlap=run.overlap,
                                         min_valid=run.min_valid, heatmaps=run.heatmaps, progress=False,
                                         threshold=run.threshold)
    done = log.done()
    steps = [ChangeStep(s.before, s.after, []) for s in template.steps]
    for footprint in footprints:
        record = done[_key(footprint)]
        for step, tile in zip(steps, record["steps"] or [], strict=False):
            step.tiles.append(_tile(footprint, tile))
    for path in sorted(log.folder.glob("quicklook*.npy")):
        for canvas, image in zip(template.quicklook.images, np.load(path), strict=True):
            np.maximum(canvas, image, out=canvas)
    analysed = sum(1 for f in footprints if done[_key(f)]["steps"])
    return dataclasses.replace(template, steps=steps, skipped=len(footprints) - analysed, seconds=seconds)


def _restricted(series: SceneSeries, footprints: list[TileFootprint]) -> SceneShare:
    fields = {f.name: getattr(series, f.name) for f in dataclasses.fields(SceneSeries)}
    return SceneShare(**fields, only=frozenset(f.index for f in footprints))


def _records(batch: list[TileFootprint], part: SceneResult) -> Iterator[dict[str, Any]]:
    """One record per tile of `batch`: its verdict in every step, or `steps: None` when it was skipped."""
    by_index = [{t.tile.index: t for t in step.tiles} for step in part.steps]
    for footprint in batch:
        found = [step.get(footprint.index) for step in by_index]
        steps = None if any(t is None for t in found) else [_encode(t) for t in found]
        yield {"key": _key(footprint), "steps": steps}


def _encode(result: TileResult) -> dict[str, Any]:
    """Every field but the footprint, exactly (float32 arrays as base64 bytes, so a merge loses no bit)."""
    record: dict[str, Any] = {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if field.name == "tile":
            continue
        if isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value, np.float32)
            value = {"shape": list(array.shape), "float32": base64.b64encode(array.tobytes()).decode()}
        elif isinstance(value, np.generic):
            value = value.item()
        record[field.name] = value
    return record


def _tile(footprint: TileFootprint, record: dict[str, Any]) -> TileResult:
    values = {name: np.frombuffer(base64.b64decode(v["float32"]), np.float32).reshape(v["shape"]).copy()
              if isinstance(v, dict) and "float32" in v else v for name, v in record.items()}
    return TileResult(tile=footprint, **values)


def _keep_quicklook(path: Path, images: np.ndarray) -> None:
    if path.is_file():
        images = np.maximum(np.load(path), images)
    partial = path.with_suffix(".tmp.npy")
    np.save(partial, images)
    partial.replace(path)


def _key(footprint: TileFootprint) -> str:
    return "{},{}".format(*footprint.index)


def _settings(predictor: RsPredictor, series: SceneSeries, run: TileRun) -> dict[str, Any]:
    return {"scenes": [str(p) for p in series.paths], "model": predictor.name, "input_size": predictor.input_size,
            "bands": [list(b) for b in series.bands], **dataclasses.asdict(run)}
