"""`RsPredictor`: the remote-sensing change model behind `sve rs` and the UI tab, loaded once; no Gradio here.

`describe([before, after, ...])` opens the scenes (`open_series`: checks, warping onto the first date's grid,
joint stretch), streams them tile by tile and sends the tiles to the model in batches of `batch_size`. Memory
stays bounded by one batch of tiles plus small per-tile verdicts (`TileResult`: caption, flag, score and a
32 x 32 heatmap) and the quicklooks; the full-resolution tiles are dropped as soon as their batch is answered.

Each tile is resized to the model's input size (`DEMO_INPUT_SIZE` for the embedded demo, trained on the
synthetic dataset's 96 px copies; `INPUT_SIZE`, LEVIR-CC's 256 px, otherwise) and asked `CHANGE_PROMPT`, the
instruction every training export uses. Per batch, one call over the whole batch
(`Describer.describe_and_score`): a teacher-forced forward scoring the no-change answer, which gives p(change)
and, for stateful models, the change maps read off the SVE cross-attention of that forward, continued from its
key/value cache by the generation of the captions, so the images are encoded once; then one more scoring forward
with the two dates swapped, as p(change) is read both ways (`verdict.py` says why, and turns the numbers into
flag, area and ranking). benchmarks/rs_describe.py measures the cost.

A series of more than two dates is described step by step: step k (date k -> date k + 1) asks about the tile's
images of dates 1..k + 1, oldest first, so the SVE state reaches the newest date through every earlier one,
and the caption and heatmap are about the last pair. A model fine-tuned on pairs only (LEVIR-CC, the demo)
never saw longer sequences, so later steps run outside its training distribution.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from apps.common.policy.raster import DEFAULT_MAX_TILES, check_scene_tiles, check_tile_count, tile_count
from apps.common.predictor import DescriberBacked, RunStopped, load_app_describer
from apps.rs_change.calibration import ChangeCalibration
from apps.rs_change.describe.verdict import (
    NO_CHANGE_ANSWER,
    change_probability,
    changed_area,
    disagreement,
    either_way,
)
from apps.rs_change.outputs.results import ChangeStep, TileResult
from apps.rs_change.outputs.scene_result import SceneResult
from apps.rs_change.scene.config import GridChoice, IngestConfig
from apps.rs_change.scene.ingest import SceneSeries, open_series
from apps.rs_change.scene.quicklook import Quicklook
from apps.rs_change.scene.tiling import Tile
from apps.rs_change.synthetic.make_dataset import PAIR_SIZE
from evaluation.datasets.levir_cc import PROMPT as CHANGE_PROMPT
from sve_core.inference import AnswerScores, Describer, Description, Request

DEMO_MODEL_DIR = Path(__file__).resolve().parents[1] / "demo_model"
DEMO_INPUT_SIZE = 96  # make-dataset's default --size: the demo model's training copies
INPUT_SIZE = PAIR_SIZE  # LEVIR-CC's 256 px tiles, what a model trained on it saw
HEATMAP_SIDE = 32  # kept per tile: 4 KB, enough for a map; the GeoTIFF writer resizes it onto the tile

ImageLike = np.ndarray | Image.Image  # (H, W, 3) uint8 or a PIL image


def check_series_tiles(series: SceneSeries, tile_size: int, overlap: int, *, max_tiles: int) -> None:
    """Refuse a run over the aligned scenes of more than `max_tiles` tiles (`--max-tiles`), before any is read."""
    check_tile_count(tile_count(series.grid.width, series.grid.height, tile_size, overlap),
                     max_tiles=max_tiles, name=series.paths[0].name)


class RsPredictor(DescriberBacked):
    """One describer shared by every request (it serialises generation itself)."""

    def __init__(self, describer: Describer, *, input_size: int = DEMO_INPUT_SIZE,
                 calibration: ChangeCalibration | None = None) -> None:
        self.describer = describer
        self.input_size = input_size
        self.calibration = calibration or ChangeCalibration()

    @classmethod
    def load(
        cls, model: str | None, *, input_size: int | None = None, max_new_tokens: int = 64
    ) -> RsPredictor:
        """`model` (hub id, local folder, ``tiny:<family>``), or the embedded demo model when None.
        `input_size` is the side tiles are resized to; by default `DEMO_INPUT_SIZE` for the demo, `INPUT_SIZE`
        otherwise."""
        describer = load_app_describer(model, DEMO_MODEL_DIR, max_new_tokens=max_new_tokens)
        if input_size is None:
            input_size = DEMO_INPUT_SIZE if model is None else INPUT_SIZE
        calibration = ChangeCalibration.for_model(model or DEMO_MODEL_DIR)  # defaults where no file is
        return cls(describer, input_size=input_size, calibration=calibration)

    def describe(
        self,
        scenes: Sequence[str | Path],
        *,
        tile_size: int = 256,
        overlap: int = 0,
        batch_size: int = 8,
        min_valid: float = 0.5,
        bands: tuple[int, int, int] | None = None,
        heatmaps: bool = True,
        progress: bool = True,
        max_tiles: int = DEFAULT_MAX_TILES,
        threshold: float | None = None,
        grid: GridChoice = "before",
        stop: Callable[[], bool] | None = None,
    ) -> SceneResult:
        """Describe the change across `scenes` (GeoTIFFs or PNG/JPEG images of one area, oldest first, two or
        more); raises `SceneError` naming the file that cannot be used, and `RunStopped` once `stop()` is true
        (asked between batches: the UI's Stop button)."""
        if scenes:
            check_scene_tiles(scenes[0], tile_size, overlap, max_tiles=max_tiles)
        series = open_series(scenes, config=IngestConfig(bands=bands, grid=grid))
        check_series_tiles(series, tile_size, overlap, max_tiles=max_tiles)
        return self.describe_series(
            series,
            tile_size=tile_size,
            overlap=overlap,
            batch_size=batch_size,
            min_valid=min_valid,
            heatmaps=heatmaps,
            progress=progress,
            threshold=threshold,
            stop=stop,
        )

    def describe_series(
        self,
        series: SceneSeries,
        *,
        tile_size: int = 256,
        overlap: int = 0,
        batch_size: int = 8,
        min_valid: float = 0.5,
        heatmaps: bool = True,
        progress: bool = True,
        threshold: float | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> SceneResult:
        """`describe` on scenes already opened, for callers that check the files (and `check_series_tiles`)
        before loading a model. `threshold` overrides the calibrated p(change) threshold."""
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size}: expected at least 1")
        calibration = self.calibration
        if threshold is not None:
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"threshold={threshold}: expected a p(change) in [0, 1]")
            calibration = replace(calibration, threshold=threshold)
        start = time.perf_counter()
        total = sum(1 for _ in series.footprints(tile_size, overlap))  # raises on a bad tile size first
        quicklook = Quicklook(series.grid, len(series.paths))
        steps = [ChangeStep(k - 1, k, []) for k in range(1, len(series.paths))]
        analysed = 0
        with tqdm(total=total, desc="tiles", unit="tile", disable=not progress) as bar:
            for batch in _batches(series.tiles(tile_size, overlap, min_valid), batch_size):
                if stop is not None and stop():
                    raise RunStopped(f"stopped after {analysed} of {total} tiles")
                for tile in batch:
                    quicklook.add(tile)
                for step in steps:
                    step.tiles.extend(self._judge(batch, step.after, calibration, heatmaps=heatmaps))
                analysed += len(batch)
                bar.update(len(batch))
            bar.update(total - analysed)  # positions skipped as mostly invalid
        return SceneResult(
            names=tuple(path.name for path in series.paths),
            grid=series.grid,
            steps=steps,
            quicklook=quicklook,
            tile_size=tile_size,
            overlap=overlap,
            skipped=total - analysed,
            model=self.name,
            demo=self.demo,
            seconds=time.perf_counter() - start,
            calibration=calibration,
            warnings=series.warnings,
        )

    def captions(self, sequences: Sequence[Sequence[ImageLike]]) -> list[str]:
        """Captions for image sequences (oldest first) in one batched generation: no heatmaps, no tiling; what
        `sve rs predict-levircc` runs over LEVIR-CC's 256 px pairs."""
        return [answer.text for answer in self._answers(sequences, heatmaps=False)]

    def change_probabilities(
        self, sequences: Sequence[Sequence[ImageLike]], *, heatmaps: bool = False, both_ways: bool = True
    ) -> tuple[list[float], list[np.ndarray | None]]:
        """p(change) of the last step of each sequence (oldest first) and, with `heatmaps` on a stateful model,
        its raw change map at the model's input size (None otherwise); no generation: one batched forward, and
        one more for the step read backwards (`_both_ways`; `both_ways=False` gives the forward reading alone,
        which benchmarks/rs_both_ways.py compares)."""
        inputs = [self._inputs(images) for images in sequences]
        scores = self.describer.answer_likelihoods(inputs, CHANGE_PROMPT, [NO_CHANGE_ANSWER], heatmaps=heatmaps)
        maps = [per_image[-1] for per_image in scores.heatmaps]
        if not both_ways:
            return [change_probability(float(row[0])) for row in scores.log_likelihoods], maps
        return self._both_ways(inputs, scores), maps

    def _judge(
        self, batch: list[Tile], last: int, calibration: ChangeCalibration, *, heatmaps: bool
    ) -> list[TileResult]:
        """Verdicts on the change from date `last - 1` to date `last` for every tile of `batch`: captions,
        p(change) and change maps from one encoding of the images (`Describer.describe_and_score`), p(change) read
        both ways (`_both_ways`); a tile whose two dates are equal pixel for pixel is no change (p 0), as the model
        itself may not know on real texture."""
        sequences = [self._inputs(tile.images[: last + 1]) for tile in batch]
        texts, scores = self.describer.describe_and_score(
            sequences, CHANGE_PROMPT, NO_CHANGE_ANSWER, heatmaps=heatmaps and self.has_heatmaps
        )
        probabilities = self._both_ways(sequences, scores)
        maps = [per_image[-1] for per_image in scores.heatmaps]
        results = []
        for tile, text, p, heat in zip(batch, texts, probabilities, maps, strict=True):
            if np.array_equal(np.asarray(tile.images[last - 1]), np.asarray(tile.images[last])):
                text, p = NO_CHANGE_ANSWER, 0.0  # identical pixels: no change, whatever the model would say
            changed = p >= calibration.threshold
            small = None if heat is None else _small_heatmap(heat, tile.valid_mask)
            area = changed_area(small, calibration.map_threshold) if changed else 0.0
            results.append(
                TileResult(tile.footprint(), text, changed, p, small, area, disagreement(text, changed, p))
            )
        return results

    def _both_ways(self, sequences: Sequence[list[Image.Image]], forward: AnswerScores) -> list[float]:
        """p(change) of each sequence's last step read both ways (`verdict.either_way`): from `forward`, the
        no-change answer's scores of the sequences as given, and from one more batched forward over the step's two
        images swapped (the later date first), without maps."""
        backward = self.describer.answer_likelihoods(
            [[images[-1], images[-2]] for images in sequences], CHANGE_PROMPT, [NO_CHANGE_ANSWER]
        )
        return [either_way(change_probability(float(f[0])), change_probability(float(b[0])))
                for f, b in zip(forward.log_likelihoods, backward.log_likelihoods, strict=True)]

    def _answers(self, sequences: Sequence[Sequence[ImageLike]], *, heatmaps: bool) -> list[Description]:
        """One `Describer.predict` call for the whole batch (one generation unless heatmaps are asked for)."""
        requests = [Request(self._inputs(images), CHANGE_PROMPT) for images in sequences]
        return self.describer.predict(requests, batch_size=max(len(requests), 1), heatmaps=heatmaps)

    def _inputs(self, images: Sequence[ImageLike]) -> list[Image.Image]:
        """Images at the model's input size, resampled as make-dataset resamples its training copies."""
        size = (self.input_size, self.input_size)
        pictures = [image if isinstance(image, Image.Image) else Image.fromarray(image) for image in images]
        return [p if p.size == size else p.resize(size, Image.Resampling.LANCZOS) for p in pictures]


def _small_heatmap(heatmap: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(HEATMAP_SIDE, HEATMAP_SIDE): the raw change map (scene-wide units), NaN where the tile is mostly
    invalid, so the GeoTIFF shows no value where there is no data."""
    side = (HEATMAP_SIDE, HEATMAP_SIDE)
    small = np.asarray(
        Image.fromarray(np.asarray(heatmap, np.float32)).resize(side, Image.Resampling.BILINEAR)
    )
    coverage = np.asarray(Image.fromarray(valid.astype(np.float32)).resize(side, Image.Resampling.BILINEAR))
    return np.where(coverage >= 0.5, small, np.nan).astype(np.float32)


def _batches(tiles: Iterable[Tile], size: int) -> Iterator[list[Tile]]:
    iterator = iter(tiles)
    while batch := list(islice(iterator, size)):
        yield batch
