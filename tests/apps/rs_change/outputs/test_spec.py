"""Spec-correct outputs on awkward input: RFC 7946 ring orientation checked by shapely, edge tiles without slivers
or near-duplicates, RGBA scenes on the same and on different grids, geostationary scenes, the `--grid` choice
and its warning for different resolutions."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from shapely.geometry import shape

from apps.rs_change import SceneError, TileResult, open_pair, open_series
from apps.rs_change.outputs.geojson import changes_geojson, to_geojson
from apps.rs_change.outputs.polygons import change_polygons
from apps.rs_change.scene.config import IngestConfig
from apps.rs_change.scene.grid import Grid
from apps.rs_change.scene.tiling import tile_footprints

GEOS = CRS.from_proj4("+proj=geos +h=35785831 +lon_0=0 +sweep=y +ellps=WGS84 +units=m +no_defs")
RGBA = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]


def _rings_are_rfc7946(collection: dict) -> None:
    assert collection["features"]
    for feature in collection["features"]:
        polygon = shape(feature["geometry"])
        assert polygon.is_valid and polygon.exterior.is_ccw  # exterior counter-clockwise
        assert all(not ring.is_ccw for ring in polygon.interiors)  # holes clockwise


def test_tile_and_change_polygons_have_counter_clockwise_exteriors(tmp_path, scenes):
    series = open_pair(scenes.write_scene(tmp_path / "a.tif"), scenes.write_scene(tmp_path / "b.tif", seed=2))
    [footprint] = list(series.footprints(320))
    yy, xx = np.mgrid[0:32, 0:32]
    radius = np.hypot(yy - 16, xx - 16)
    ring_map = ((radius > 5) & (radius < 11)).astype(np.float32)  # a ring: a polygon with a hole
    result = TileResult(footprint, "a pond appears in the middle", True, 0.9, ring_map)
    _rings_are_rfc7946(to_geojson([result]))
    changes = changes_geojson(change_polygons([result], map_threshold=0.5))
    _rings_are_rfc7946(changes)
    [feature] = changes["features"]
    assert len(feature["geometry"]["coordinates"]) == 2  # exterior and hole
    area = feature["properties"]["area_m2"]  # map pixels of 100 m: a ring of radii 500-1100 m, ~3.0e6 m²
    assert 2.5e6 < area < 3.5e6 and feature["properties"]["caption"] == "a pond appears in the middle"


@pytest.mark.parametrize("width", [511, 512, 513, 640, 700, 1000])
def test_edge_tiles_are_neither_slivers_nor_near_duplicates(width):
    grid = Grid(None, from_origin(0, 0, 1, -1), width, 300)
    footprints = list(tile_footprints(grid, 256))
    columns = sorted({(int(f.window.col_off), int(f.window.width)) for f in footprints})
    covered = np.zeros(width, int)
    for start, length in columns:
        assert 2 * 256 / 3 <= length <= 4 * 256 / 3 + 1  # no sliver, no huge tile
        covered[start:start + length] += 1
    assert (covered == 1).all()  # every pixel in exactly one tile: nothing counted twice
    assert width != 513 or columns == [(0, 256), (256, 257)]


def test_rgba_scenes_on_the_same_grid_use_alpha_as_the_mask(tmp_path, scenes):
    paths = []
    for name, seed in (("a.tif", 0), ("b.tif", 1)):
        path = scenes.write_scene(tmp_path / name, bands=4, seed=seed, colorinterp=RGBA)
        with rasterio.open(path, "r+") as dataset:
            alpha = np.full((320, 320), 255, np.uint8)
            alpha[:, :100] = 0
            dataset.write(alpha, 4)
        paths.append(path)
    tiles = list(open_pair(*paths).tiles(160))
    assert [t.index for t in tiles] == [(0, 1), (1, 1)]  # tiles over the transparent columns skipped
    assert all(t.valid_mask.all() for t in tiles)


def test_rgba_scenes_on_different_grids_are_warped_with_their_alpha(tmp_path, scenes):
    before = scenes.write_scene(tmp_path / "a.tif", bands=4, colorinterp=RGBA)
    after = scenes.write_scene(tmp_path / "b.tif", bands=4, colorinterp=RGBA, seed=1,
                               transform=scenes.utm_grid(res=12.0, shift=(30, -20)))
    with rasterio.open(after, "r+") as dataset:
        alpha = np.full((320, 320), 255, np.uint8)
        alpha[:, 200:] = 0  # the after-scene's right part is transparent
        dataset.write(alpha, 4)
    series = open_pair(before, after)
    tiles = list(series.tiles(128, min_valid=0.0))
    assert tiles and any(not t.valid_mask.all() for t in tiles)  # alpha became the mask after warping
    assert any(t.valid_mask.all() for t in tiles)


def test_geostationary_scene_is_mapped_or_refused_in_one_line(tmp_path, scenes):
    near = from_origin(-300_000.0, 300_000.0, 3000.0, 3000.0)  # around 0 N 0 E, well inside the disk
    pair = [scenes.write_scene(tmp_path / f"{k}.tif", crs=GEOS, transform=near, seed=k) for k in (0, 1)]
    series = open_pair(*pair)
    tiles = [TileResult(f, "x", True, 0.9) for f in series.footprints(160)]
    collection = to_geojson(tiles)
    _rings_are_rfc7946(collection)
    lon, lat = collection["features"][0]["geometry"]["coordinates"][0][0]
    assert abs(lon) < 5 and abs(lat) < 5
    beyond = Grid(GEOS, from_origin(5_200_000.0, 300_000.0, 3000.0, 3000.0), 320, 320)  # past the limb
    limb = [TileResult(f, "x", True, 0.9) for f in tile_footprints(beyond, 160)]
    with pytest.raises(SceneError, match=r"\+proj=geos .*cannot be expressed in longitude/latitude") as error:
        to_geojson(limb)
    assert "\n" not in str(error.value) and "gdalwarp" in str(error.value)


@pytest.mark.parametrize(("choice", "pixel"), [("before", 10.0), ("after", 30.0), ("finer", 10.0), ("coarser", 30.0)])
def test_grid_choice_and_resolution_warning(tmp_path, scenes, choice, pixel):
    fine = scenes.write_scene(tmp_path / "fine.tif", width=300, height=300)
    coarse = scenes.write_scene(tmp_path / "coarse.tif", width=100, height=100, transform=scenes.utm_grid(res=30.0))
    series = open_series([fine, coarse], config=IngestConfig(grid=choice))
    assert series.grid.transform.a == pixel
    [warning] = series.warnings
    assert "pixel sizes differ" in warning and "not land change" in warning and f"{choice!r} grid" in warning
    assert open_pair(fine, fine).warnings == ()
