"""Ingestion: pairs on the same grid, in other CRSs and resolutions, with nodata, 16-bit, PNG and 3 dates."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from apps.rs_change import IngestConfig, open_pair, open_series
from apps.rs_change.scene.stretch import Stretch, sample_windows


def mean_abs_diff(tile) -> float:
    before, after = (image.astype(int) for image in tile.images)
    return float(np.abs(before - after)[tile.valid_mask].mean())


def test_same_grid_uint8_pair_is_read_untouched(tmp_path, scenes):
    before = scenes.write_scene(tmp_path / "before.tif", seed=1)
    after = scenes.write_scene(tmp_path / "after.tif", seed=2)
    series = open_pair(before, after)
    assert series.stretch is None  # uint8 scenes keep their colours
    assert (series.grid.width, series.grid.height) == (320, 320)
    tiles = list(series.tiles(size=160))
    assert [t.index for t in tiles] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    last = tiles[-1]
    assert (last.window.col_off, last.window.row_off) == (160, 160)
    assert all(image.shape == (160, 160, 3) and image.dtype == np.uint8 for t in tiles for image in t.images)
    assert last.transform == series.grid.window_transform(last.window)
    assert last.bounds == (501_600.0, 5_096_800.0, 503_200.0, 5_098_400.0)
    expected = scenes.ground(scenes.UTM, scenes.utm_grid(), 320, 320, seed=1) * 250 + 3
    assert np.array_equal(tiles[0].images[0], expected.astype(np.uint8)[:, :160, :160].transpose(1, 2, 0))


def test_utm_vs_web_mercator_partial_overlap_is_warped_and_cropped(tmp_path, scenes):
    before = scenes.write_scene(tmp_path / "before.tif", dtype="uint16")
    west, south, east, north = transform_bounds(scenes.UTM, scenes.WEB_MERCATOR, 501_200, 5_096_000, 504_700,
                                                5_099_100)
    res = 14.0  # about 10 m on the ground at 46 N
    after = scenes.write_scene(tmp_path / "after.tif", crs=scenes.WEB_MERCATOR, transform=from_origin(west, north, res, res),
                               width=int((east - west) / res), height=int((north - south) / res), dtype="uint16")
    series = open_pair(before, after)
    assert series.grid.crs == scenes.UTM
    assert 0 < series.grid.width < 320 and 0 < series.grid.height < 320
    assert series.overlap.col_off > 0 and series.overlap.row_off > 0
    tiles = list(series.tiles(size=64))
    assert tiles and all(t.valid_fraction >= 0.5 for t in tiles)
    assert max(mean_abs_diff(t) for t in tiles) < 2.0  # the same ground after warping


def test_coarser_after_scene_is_resampled_onto_the_before_grid(tmp_path, scenes):
    before = scenes.write_scene(tmp_path / "before.tif")
    after = scenes.write_scene(tmp_path / "after.tif", transform=scenes.utm_grid(res=20.0, shift=(300, -200)),
                               width=150, height=150)
    series = open_pair(before, after)
    assert series.grid.transform.a == 10.0
    assert (series.overlap.col_off, series.overlap.row_off) == (30, 20)
    tiles = list(series.tiles(size=128))
    assert tiles and max(mean_abs_diff(t) for t in tiles) < 6.0


BORDERS = {  # three ways a scene marks its first 100 columns as having no data
    "uint16 nodata": dict(dtype="uint16", nodata=0, blank_cols=100),
    "float32 NaN nodata": dict(dtype="float32", nodata=float("nan"), blank_cols=100),
    "internal mask": dict(dtype="uint16", masked_cols=100),
}


@pytest.mark.parametrize("border", BORDERS.values(), ids=BORDERS.keys())
def test_nodata_border_is_masked_and_empty_tiles_skipped(tmp_path, scenes, border):
    before = scenes.write_scene(tmp_path / "before.tif", **border)
    after = scenes.write_scene(tmp_path / "after.tif", dtype=border["dtype"],
                               transform=scenes.utm_grid(shift=(-20, 0)))  # 2 px west: warped, masked by alpha
    series = open_pair(before, after)
    assert series.overlap.col_off == 0 and series.grid.width == 318
    every = list(series.tiles(size=64, min_valid=0.0))
    kept = list(series.tiles(size=64, min_valid=0.5))
    assert len(every) == 20  # tiles without a single valid pixel (columns 0-63) are never yielded
    assert len(kept) == 15  # columns 64-127 are only 28/64 valid
    partial = next(t for t in every if t.index == (0, 1))  # columns 64-127: 36 masked, 28 valid
    assert partial.valid_mask[:, :36].sum() == 0 and partial.valid_mask[:, 36:].all()
    assert not partial.images[0][:, :36].any() and not partial.images[1][:, :36].any()


def test_uint16_four_bands_by_colour_interpretation_and_joint_stretch(tmp_path, scenes):
    bgrn = [ColorInterp.blue, ColorInterp.green, ColorInterp.red, ColorInterp.undefined]
    before = scenes.write_scene(tmp_path / "before.tif", dtype="uint16", bands=4, colorinterp=bgrn)
    after = scenes.write_scene(tmp_path / "after.tif", dtype="uint16", bands=4, colorinterp=bgrn,
                               nodata=0, blank_cols=200)
    series = open_pair(before, after)
    assert series.bands == ((3, 2, 1), (3, 2, 1))
    assert series.stretch is not None
    tiles = list(series.tiles(size=64, min_valid=0.1))
    for tile in tiles:
        # identical radiance -> identical colours, although the dates have very different valid extents
        assert np.array_equal(tile.images[0][tile.valid_mask], tile.images[1][tile.valid_mask])
    assert max(int(t.images[0].max()) for t in tiles) == 255 and min(int(t.images[0][t.valid_mask].min()) for t in tiles) == 0
    nir = open_pair(before, after, config=IngestConfig(bands=(4, 3, 2)))
    assert nir.bands == ((4, 3, 2), (4, 3, 2))


def test_png_pair_uses_pixel_coordinates(tmp_path, scenes):
    a = scenes.write_png(tmp_path / "A.png", seed=3)
    b = scenes.write_png(tmp_path / "B.png", seed=4)
    series = open_pair(a, b)
    [tile] = list(series.tiles())
    assert tile.crs is None and tile.index == (0, 0)
    assert tuple(tile.bounds) == (0.0, 256.0, 256.0, 0.0)
    assert tile.valid_mask.all()
    assert np.array_equal(tile.images[0], np.asarray(Image.open(a)))


def test_series_of_three_dates_yields_tile_sequences(tmp_path, scenes):
    paths = [scenes.write_scene(tmp_path / "d0.tif", seed=0),
             scenes.write_scene(tmp_path / "d1.tif", transform=scenes.utm_grid(shift=(50, 0)), seed=0),
             scenes.write_scene(tmp_path / "d2.tif", transform=scenes.utm_grid(shift=(0, -70)), seed=0)]
    series = open_series(paths)
    assert (series.overlap.col_off, series.overlap.row_off) == (5, 7)
    assert (series.grid.width, series.grid.height) == (315, 313)
    tiles = list(series.tiles(size=128))
    assert len(tiles) == 4 and all(len(t.images) == 3 for t in tiles)  # 315 x 313 px: 2 x 2 tiles
    assert all(np.abs(t.images[0].astype(int) - t.images[2].astype(int)).max() <= 1 for t in tiles)


def test_stretch_sampling_uses_overviews_or_block_aligned_patches(tmp_path, scenes):
    path = scenes.write_scene(tmp_path / "big.tif", width=1000, height=900, dtype="uint16")
    window = Window(10, 20, 980, 870)
    with rasterio.open(path) as dataset:
        reads = sample_windows(dataset, window, max_side=512)
    assert len(reads) == 16  # no overviews: a 4 x 4 grid of full-resolution patches
    for patch, shape in reads:
        assert shape == (patch.height, patch.width) == (128, 128)
        assert patch.col_off % 128 == 0 and patch.row_off % 128 == 0  # one block each (blocks are 128)
        assert window.col_off <= patch.col_off and patch.col_off + patch.width <= window.col_off + window.width
    with rasterio.open(path, "r+") as dataset:
        dataset.build_overviews([2, 4])
    with rasterio.open(path) as dataset:
        assert sample_windows(dataset, window, max_side=512) == [(window, (455, 512))]  # one decimated read


def test_stretch_is_linear_between_percentiles_then_gamma_encoded():
    data = np.array([0, 100, 125, 200, 900], np.uint16)[None, None, :].repeat(3, axis=0)  # (3, 1, 5)
    linear = Stretch((100.0,) * 3, (200.0,) * 3).apply(data)[0, :, 0]
    assert linear.tolist() == [0, 0, 64, 255, 255]
    assert Stretch((100.0,) * 3, (200.0,) * 3, gamma=0.5).apply(data)[0, 2, 0] == 128  # sqrt(0.25) = 0.5
