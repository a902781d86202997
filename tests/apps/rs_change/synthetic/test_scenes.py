"""Synthetic pairs and scenes: seeded, the change is where the record says, and GeoTIFF scenes ingest."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from apps.rs_change import open_pair
from apps.rs_change.synthetic.captions import NO_CHANGE, position, quantity
from apps.rs_change.synthetic.changes import CHANGE_KINDS, Change
from apps.rs_change.synthetic.geoscene import write_scene_pair
from apps.rs_change.synthetic.scenes import make_pair, make_scene


def test_pairs_are_reproducible_from_their_seed():
    first, again, other = make_pair([1, 2]), make_pair([1, 2]), make_pair([1, 3])
    assert np.array_equal(first.before, again.before) and np.array_equal(first.after, again.after)
    assert first.sentences == again.sentences
    assert not np.array_equal(first.before, other.before)


@pytest.mark.parametrize("kind", CHANGE_KINDS)
def test_each_kind_changes_its_box_and_is_captioned(kind):
    pair = make_pair([7, CHANGE_KINDS.index(kind)], kind=kind)
    assert pair.change.kind == kind and pair.changeflag == int(kind != "none")
    assert pair.before.shape == pair.after.shape == (4, 256, 256) and pair.before.dtype == np.float32
    assert len(pair.sentences) == 5 and all(s == s.lower().strip() and not s.endswith(".") for s in pair.sentences)
    difference = np.abs(pair.after - pair.before).mean(axis=0)
    if kind == "none":
        assert pair.sentences[0] == "the scene is the same as before" and set(pair.sentences) <= set(NO_CHANGE)
        assert 0 < difference.mean() < 0.03  # the season shifted, nothing else
        return
    x0, y0, x1, y1 = (int(v) for v in pair.change.box)
    inside = np.zeros(difference.shape, bool)
    inside[y0:y1, x0:x1] = True
    assert difference[inside].mean() > 1.5 * difference[~inside].mean()


def test_position_and_quantity_words():
    area = (0, 0, 256, 256)
    top_left = Change("pond_dug", 0, (10, 10, 60, 60), area, "grassland", False)
    everywhere = Change("road_built", 0, (0, 0, 256, 256), area, "grassland", False)
    assert position(top_left) == "at the top left" and position(everywhere) == ""
    rng = np.random.default_rng(0)
    assert quantity(1, rng)[0].startswith("a ") and not quantity(1, rng)[1]
    assert quantity(9, rng)[0].split()[0] in ("many", "a") and quantity(9, rng)[1]


def test_scene_pair_geotiffs_ingest_with_warping_and_change_mask(tmp_path):
    scene = make_scene(3, 512 + 32, events=2)
    assert len(scene.changes) == 2 and scene.change_mask.any() and scene.change_mask.mean() < 0.3
    paths = write_scene_pair(tmp_path / "scene", scene, size=512, shift=(24, 16))
    with rasterio.open(paths.before) as before, rasterio.open(paths.after) as after:
        assert before.crs == after.crs and before.crs.to_epsg() == 32632
        assert before.count == 4 and before.dtypes[0] == "uint16" and before.nodata == 0
        assert before.block_shapes[0] == (256, 256) and before.compression.name == "deflate"
        assert after.transform.c - before.transform.c == 12.0 and before.transform.f - after.transform.f == 8.0
    events = json.loads(paths.events.read_text())["events"]
    assert [e["kind"] for e in events] == [c.kind for c in scene.changes]
    series = open_pair(paths.before, paths.after)
    assert (series.overlap.col_off, series.overlap.row_off, series.grid.width) == (24, 16, 488)
    assert series.bands == ((1, 2, 3), (1, 2, 3)) and series.stretch is not None
    tiles = list(series.tiles(size=256))
    assert len(tiles) == 4 and all(t.valid_mask.all() for t in tiles)
