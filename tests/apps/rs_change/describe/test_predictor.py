"""`RsPredictor` on an untrained tiny Qwen2-VL: the structure of a result and its files, never the wording.

Change flags come from p(change), so the flag and score checks script the no-change answer's likelihood
(`Scripted`, which also scripts captions) and keep the tiny model's change maps.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.warp import transform_bounds

from apps.common.predictor import DemoModelMissingError
from apps.rs_change import SceneError, open_pair
from apps.rs_change.describe import predictor
from apps.rs_change.describe.predictor import HEATMAP_SIDE, RsPredictor
from apps.rs_change.describe.verdict import says_change
from apps.rs_change.synthetic.captions import NO_CHANGE
from apps.rs_change.synthetic.make_examples import OUT as EXAMPLES
from sve_core import SVEConfig, make_stateful
from sve_core.inference import AnswerScores, Describer, load_describer

PAIR = [EXAMPLES / "before.tif", EXAMPLES / "after.tif"]
CHANGE = "some buildings are built along the road in the middle"


class Scripted(Describer):
    """The tiny model's generation and change maps, with (caption, p(change)) taken in turn from `script`, and
    p(change) read backwards (the dates swapped) taken in turn from `backward` (0 unless given)."""

    def __init__(self, base: Describer, script: list[tuple[str, float]], backward: tuple[float, ...] = (0.0,)) -> None:
        super().__init__(base.model, base.processor, name="scripted", max_new_tokens=2)
        self.captions = itertools.cycle([caption for caption, _ in script])
        self.probabilities = itertools.cycle([p for _, p in script])
        self.backward = itertools.cycle(backward)

    def answer_likelihoods(self, sequences, prompt, answers, *, heatmaps=False):
        no_change = [[math.log(1.0 - next(self.backward))] for _ in sequences]
        return AnswerScores(np.array(no_change), [[None] * len(images) for images in sequences])

    def describe_and_score(self, sequences, prompt, answer, *, heatmaps=False):
        _, scores = super().describe_and_score(sequences, prompt, answer, heatmaps=heatmaps)
        no_change = [[math.log(1.0 - next(self.probabilities))] for _ in sequences]
        return [next(self.captions) for _ in sequences], AnswerScores(np.array(no_change), scores.heatmaps)


@pytest.fixture(scope="module")
def describer() -> Describer:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 3 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=3)
    make_stateful(describer.model, SVEConfig())
    return describer


@pytest.fixture(scope="module")
def stateful(describer: Describer) -> RsPredictor:
    return RsPredictor(describer, input_size=56)


def test_pair_gives_four_tiles_with_verdicts_and_files(describer: Describer, tmp_path: Path) -> None:
    script = [(CHANGE, 0.9), (NO_CHANGE[0], 0.1), (NO_CHANGE[0], 0.95), (CHANGE, 0.2)]
    scripted = RsPredictor(Scripted(describer, script), input_size=56)
    result = scripted.describe(PAIR, batch_size=3, progress=False)
    assert result.names == ("before.tif", "after.tif") and len(result.steps) == 1 and result.skipped == 0
    tiles = result.steps[0].tiles
    assert [t.tile.index for t in tiles] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [t.changed for t in tiles] == [True, False, True, False]  # p(change) >= 0.5, whatever the caption
    assert [t.score for t in tiles] == pytest.approx([0.9, 0.1, 0.95, 0.2])
    assert [bool(t.note) for t in tiles] == [False, False, True, True]  # caption and p(change) disagree
    for tile in tiles:
        assert tile.heatmap.shape == (HEATMAP_SIDE, HEATMAP_SIDE) and np.nanmax(tile.heatmap) <= 1
        assert 0 <= tile.area <= 1 and (tile.changed or tile.area == 0)
    assert [t.tile.index for t in result.steps[0].changed] == [(1, 0), (0, 0)]  # by p(change)
    assert result.quicklook.images[0].shape == (result.grid.height, result.grid.width, 3)
    report = result.report()
    assert result.tiles_per_second > 0 and "Tiles with change: 2 (50.0%)" in report
    assert "disagree on 2 tile(s)" in report and "uncalibrated default" in report

    names = sorted(path.name for path in result.write(tmp_path))
    assert names == ["changes.geojson", "heatmap.tif", "report.md", "tiles.geojson", "tiles.json", "tiles.png"]
    west, south, east, north = transform_bounds(
        result.grid.crs, "EPSG:4326", *result.grid.bounds, densify_pts=21
    )
    collection = json.loads((tmp_path / "tiles.geojson").read_text())
    assert len(collection["features"]) == 4 and "coordinate_space" not in collection
    for feature in collection["features"]:
        assert all(
            west - 1e-6 <= lon <= east + 1e-6 and south - 1e-6 <= lat <= north + 1e-6
            for lon, lat in feature["geometry"]["coordinates"][0]
        )
        assert feature["properties"]["step"] == 1 and feature["properties"]["after"] == "after.tif"
    with rasterio.open(tmp_path / "heatmap.tif") as heat:
        assert heat.crs == result.grid.crs and heat.transform == result.grid.transform
        assert (heat.width, heat.height) == (result.grid.width, result.grid.height)
        assert heat.profile["tiled"] and heat.compression.name == "deflate"
        assert heat.descriptions[0].startswith("change map")
        values = heat.read(1)
    assert np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1  # raw maps, one scale
    record = json.loads((tmp_path / "tiles.json").read_text())
    assert record["scenes"] == ["before.tif", "after.tif"] and len(record["steps"][0]["tiles"]) == 4


def test_series_of_three_dates_has_a_step_per_date(stateful: RsPredictor, scenes, tmp_path: Path) -> None:
    paths = [scenes.write_scene(tmp_path / f"date_{k}.tif", width=256, height=256, seed=k) for k in range(3)]
    result = stateful.describe(paths, tile_size=128, progress=False)
    assert [(step.before, step.after) for step in result.steps] == [(0, 1), (1, 2)]
    assert len(result.quicklook.images) == 3 and all(len(step.tiles) == 4 for step in result.steps)
    written = sorted(path.name for path in result.write(tmp_path / "out"))
    assert written == [
        "changes.geojson",
        "heatmap_step1.tif",
        "heatmap_step2.tif",
        "report.md",
        "tiles.geojson",
        "tiles.json",
        "tiles_step1.png",
        "tiles_step2.png",
    ]
    steps = [
        f["properties"]["step"]
        for f in json.loads((tmp_path / "out" / "tiles.geojson").read_text())["features"]
    ]
    assert steps == [1] * 4 + [2] * 4
    assert "date_0.tif → date_1.tif" in result.report() and "date_1.tif → date_2.tif" in result.report()


def test_png_pair_is_described_in_pixel_space(stateful: RsPredictor, scenes, tmp_path: Path) -> None:
    pair = [scenes.write_png(tmp_path / "A.png"), scenes.write_png(tmp_path / "B.png", seed=1)]
    result = stateful.describe(pair, tile_size=128, progress=False)
    assert len(result.steps[0].tiles) == 4 and result.grid.crs is None
    written = sorted(path.name for path in result.write(tmp_path / "out"))
    assert not any(name.endswith(".geojson") for name in written)  # GDAL would read any GeoJSON as lon/lat
    assert json.loads((tmp_path / "out" / "tiles.json").read_text())["coordinate_space"] == "pixel"
    assert "Coordinates: pixels" in result.report() and "no GeoJSON written" in result.report()
    with rasterio.open(tmp_path / "out" / "heatmap.tif") as heat:
        assert heat.crs is None and (heat.width, heat.height) == (256, 256)


def test_nodata_tiles_are_skipped_and_left_without_value(
    stateful: RsPredictor, scenes, tmp_path: Path
) -> None:
    kwargs = dict(dtype="uint16", nodata=0, blank_cols=200)  # 320 px: two 160 px tiles per axis
    pair = [
        scenes.write_scene(tmp_path / "a.tif", **kwargs),
        scenes.write_scene(tmp_path / "b.tif", seed=3, **kwargs),
    ]
    result = stateful.describe(pair, tile_size=128, progress=False)
    assert result.skipped == 2 and [t.tile.index[1] for t in result.steps[0].tiles] == [1, 1]
    result.write(tmp_path / "out")
    with rasterio.open(tmp_path / "out" / "heatmap.tif") as heat:
        values = heat.read(1)
    assert np.isnan(values[:, :160]).all() and np.isfinite(values[:, 210:]).all()


@pytest.mark.parametrize("heatmaps", [False, True])
def test_batch_size_does_not_change_captions(stateful: RsPredictor, heatmaps: bool) -> None:
    captions = [
        [
            t.caption
            for t in stateful.describe(PAIR, batch_size=size, heatmaps=heatmaps, progress=False)
            .steps[0]
            .tiles
        ]
        for size in (1, 3)
    ]
    assert captions[0] == captions[1] and len(captions[0]) == 4


def test_stateless_model_has_probabilities_but_no_maps(tmp_path: Path) -> None:
    plain = load_describer("tiny:qwen2_vl", max_new_tokens=2)
    scripted = RsPredictor(Scripted(plain, [(NO_CHANGE[3], 0.3), (CHANGE, 0.7)]), input_size=56)
    assert not scripted.has_heatmaps
    result = scripted.describe(PAIR, progress=False, threshold=0.6)
    tiles = result.steps[0].tiles
    assert [(t.changed, t.heatmap, t.area) for t in tiles] == [(False, None, 0.0), (True, None, 0.0)] * 2
    assert [t.score for t in tiles] == pytest.approx([0.3, 0.7] * 2)
    result.write(tmp_path)
    assert json.loads((tmp_path / "changes.geojson").read_text())["features"] == []  # no map, no polygons
    with rasterio.open(tmp_path / "heatmap.tif") as heat:
        assert heat.descriptions[0] == "tile p(change)"


def test_p_change_is_read_both_ways(tmp_path: Path) -> None:
    """The larger of forward and backward p(change) (verdict.either_way), so the flags do not depend on the order."""
    plain = load_describer("tiny:qwen2_vl", max_new_tokens=2)
    scripted = RsPredictor(Scripted(plain, [(CHANGE, 0.2), (CHANGE, 0.9)], backward=(0.7, 0.1)), input_size=56)
    tiles = scripted.describe(PAIR, progress=False, threshold=0.6).steps[0].tiles
    assert [t.score for t in tiles] == pytest.approx([0.7, 0.9] * 2)
    assert all(t.changed for t in tiles)


@pytest.mark.parametrize(
    "caption",
    [
        *NO_CHANGE,
        "",
        "  The scene is the same as before . ",
        "these two scenes are exactly the same",
        "nothing changes",
    ],
)
def test_no_change_captions(caption: str) -> None:
    assert not says_change(caption)


@pytest.mark.parametrize(
    "caption",
    [
        CHANGE,
        "a pond appears on the right",
        "many trees disappear at the top",
        "the road remains the same but a house is built",
        "a house is built on the same side of the road",
    ],
)
def test_change_captions(caption: str) -> None:
    assert says_change(caption)


def test_bad_inputs_name_the_file(stateful: RsPredictor, scenes, tmp_path: Path) -> None:
    before = scenes.write_scene(tmp_path / "before.tif")
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    cases = [
        (
            [before, scenes.write_scene(tmp_path / "plain.tif", crs=None)],
            r"plain\.tif: GTiff raster without a CRS",
        ),
        (
            [before, scenes.write_scene(tmp_path / "far.tif", transform=scenes.utm_grid(shift=(50_000, 0)))],
            "no overlap between",
        ),
        ([before, text], r"notes\.tif: not a GeoTIFF, PNG or JPEG"),
        ([before], "expected at least two dates"),
    ]
    for paths, message in cases:
        with pytest.raises(ValueError, match=message):
            stateful.describe(paths, progress=False)
    with pytest.raises(SceneError, match="tile size=8"):
        stateful.describe([before, before], tile_size=8, progress=False)
    with pytest.raises(ValueError, match="batch_size=0"):
        stateful.describe_series(open_pair(before, before), batch_size=0, progress=False)


def test_demo_model_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "demo_model"
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", missing)
    with pytest.raises(
        DemoModelMissingError, match="demo_model: the embedded demo model is not there"
    ) as error:
        RsPredictor.load(None)
    assert "train_demo_models.sh" in str(error.value) and "--model" in str(error.value)

    missing.mkdir()
    calls = []
    monkeypatch.setattr(predictor, "load_app_describer", lambda *args, **kwargs: calls.append((args, kwargs)))
    assert RsPredictor.load(None).input_size == predictor.DEMO_INPUT_SIZE
    assert RsPredictor.load("my/model").input_size == predictor.INPUT_SIZE == 256
    assert calls[0] == ((None, missing), {"max_new_tokens": 64})
