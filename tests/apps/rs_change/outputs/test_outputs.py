"""Outputs: GeoJSON in EPSG:4326 inside the overlap (none for plain images), the heatmap GeoTIFF, the markdown
summary."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import rasterio
from rasterio.enums import Compression
from rasterio.transform import from_origin
from rasterio.warp import transform_bounds

from apps.rs_change import SceneError, TileResult, open_pair, summary_markdown, to_geojson, write_heatmap


@pytest.fixture
def utm_vs_mercator(tmp_path, scenes):
    before = scenes.write_scene(tmp_path / "before.tif", dtype="uint16")
    west, south, east, north = transform_bounds(scenes.UTM, scenes.WEB_MERCATOR, 501_000, 5_096_000, 505_000,
                                                5_099_000)
    after = scenes.write_scene(tmp_path / "after.tif", crs=scenes.WEB_MERCATOR, dtype="uint16",
                               transform=from_origin(west, north, 14, 14), width=int((east - west) / 14),
                               height=int((north - south) / 14))
    return open_pair(before, after)


def test_geojson_tiles_land_inside_the_overlap_in_lon_lat(utm_vs_mercator):
    series = utm_vs_mercator
    results = [TileResult(t.footprint(), f"caption {t.index}", t.index == (0, 0), 0.5) for t in series.tiles(64)]
    collection = json.loads(json.dumps(to_geojson(results)))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(results) > 4
    west, south, east, north = transform_bounds(series.grid.crs, "EPSG:4326", *series.grid.bounds, densify_pts=21)
    assert 8.9 < west < east < 9.1 and 45.9 < south < north < 46.1  # lon, lat order
    eps = 1e-6
    for feature in collection["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5
        assert all(west - eps <= lon <= east + eps and south - eps <= lat <= north + eps for lon, lat in ring)
    first = collection["features"][0]["properties"]
    assert first == {"row": 0, "col": 0, "caption": "caption (0, 0)", "changed": True, "p_change": 0.5,
                     "changed_area": 0.0, "disagreement": ""}


def test_plain_images_get_no_geojson(tmp_path, scenes):
    series = open_pair(scenes.write_png(tmp_path / "A.png"), scenes.write_png(tmp_path / "B.png", seed=1))
    results = [TileResult(t.footprint(), "the scene is the same as before", False, 0.0) for t in series.tiles()]
    with pytest.raises(SceneError, match="no GeoJSON written: the scenes are plain images"):
        to_geojson(results)


def test_heatmap_geotiff_is_georeferenced_tiled_compressed_and_averaged(tmp_path, scenes):
    series = open_pair(scenes.write_scene(tmp_path / "a.tif"), scenes.write_scene(tmp_path / "b.tif", seed=5))
    top_row = [t.footprint() for t in series.tiles(192, overlap=64) if t.index[0] == 0]  # columns 0-191, 128-319
    results = [TileResult(top_row[0], "a", True, 0.25, heatmap=np.ones((7, 7))),
               TileResult(top_row[1], "b", True, 0.75)]  # no heatmap: its score fills the tile
    for combine, overlap_value in (("mean", 0.875), ("max", 1.0)):
        path = write_heatmap(tmp_path / f"heat_{combine}.tif", results, series.grid, combine=combine)
        with rasterio.open(path) as heat:
            assert heat.crs == series.grid.crs and heat.transform == series.grid.transform
            assert (heat.width, heat.height, heat.dtypes[0]) == (320, 320, "float32")
            assert heat.block_shapes == [(256, 256)] and heat.compression == Compression.deflate
            assert math.isnan(heat.nodata)
            values = heat.read(1)
        assert np.all(values[:192, :128] == 1.0) and np.all(values[:192, 192:] == 0.75)
        assert np.all(values[:192, 128:192] == overlap_value)
        assert np.isnan(values[192:]).all()  # no tile covers the bottom rows


def test_heatmap_is_resized_bilinearly_and_nan_means_no_opinion(tmp_path, scenes):
    series = open_pair(scenes.write_png(tmp_path / "A.png"), scenes.write_png(tmp_path / "B.png", seed=1))
    [tile] = [t.footprint() for t in series.tiles()]
    ramp = np.array([[0.0, np.nan], [1.0, 1.0]], np.float32)
    with rasterio.open(write_heatmap(tmp_path / "heat.tif", [TileResult(tile, "x", True, 0.2, ramp)],
                                     series.grid)) as heat:
        assert heat.crs is None
        values = heat.read(1)
    assert values[0, 0] == pytest.approx(0.0) and values[-1, 0] == pytest.approx(1.0)
    assert np.isnan(values[0, -1])


def test_summary_lists_the_most_changed_tiles_first(tmp_path, scenes):
    series = open_pair(scenes.write_png(tmp_path / "A.png"), scenes.write_png(tmp_path / "B.png", seed=1))
    [tile] = [t.footprint() for t in series.tiles()]
    results = [TileResult(tile, "a road | is built", True, 0.4), TileResult(tile, "no change", False, 0.3),
               TileResult(tile, "many buildings are built", True, 0.8, area=0.05)]
    text = summary_markdown(results, top_n=1)
    assert "- Tiles analysed: 3" in text and "- Tiles with change: 2 (66.7%)" in text
    assert "| 1 | (0, 0) | 0.800 | 5.0% | many buildings are built |" in text and "road" not in text
    assert "a road \\| is built" in summary_markdown(results)
    assert "No tile was flagged as changed." in summary_markdown(results[1:2])


def test_tile_result_rejects_unusable_values(tmp_path, scenes):
    series = open_pair(scenes.write_png(tmp_path / "A.png"), scenes.write_png(tmp_path / "B.png", seed=1))
    [tile] = [t.footprint() for t in series.tiles()]
    with pytest.raises(SceneError, match="score"):
        TileResult(tile, "x", True, float("nan"))
    with pytest.raises(SceneError, match="heatmap shape"):
        TileResult(tile, "x", True, 1.0, heatmap=np.ones(5))


def test_a_strong_small_change_outranks_diffuse_noise(tmp_path, scenes):
    series = open_pair(scenes.write_png(tmp_path / "A.png"), scenes.write_png(tmp_path / "B.png", seed=1))
    [tile] = [t.footprint() for t in series.tiles()]
    noise = TileResult(tile, "noise", True, 0.62, np.full((8, 8), 0.3, np.float32), area=0.9)
    building = TileResult(tile, "a building is built", True, 0.97, np.zeros((8, 8), np.float32), area=0.02)
    wider = TileResult(tile, "two buildings are built", True, 0.97, np.zeros((8, 8), np.float32), area=0.05)
    ranked = sorted([noise, building, wider], key=lambda r: r.rank, reverse=True)
    assert ranked == [wider, building, noise]  # p(change) first, changed area breaks ties
    assert "| 1 | (0, 0) | 0.970 | 5.0% | two buildings are built |" in summary_markdown([noise, building, wider])
