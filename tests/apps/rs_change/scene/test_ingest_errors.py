"""Inputs a user can get wrong end in a `SceneError` (a ValueError) naming the file and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasterio.transform import from_origin

from apps.rs_change import IngestConfig, SceneError, open_pair, open_series


def far_away(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return (scenes.write_scene(tmp_path / "before.tif"),
            scenes.write_scene(tmp_path / "after.tif", transform=scenes.utm_grid(shift=(50_000, 0))))


def far_away_other_crs(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return (scenes.write_scene(tmp_path / "before.tif"),
            scenes.write_scene(tmp_path / "after.tif", crs=scenes.WEB_MERCATOR,
                               transform=from_origin(-8_000_000, 4_000_000, 14, 14)))


def no_crs(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return (scenes.write_scene(tmp_path / "before.tif"), scenes.write_scene(tmp_path / "after.tif", crs=None))


def constant(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return (scenes.write_scene(tmp_path / "before.tif"),
            scenes.write_scene(tmp_path / "after.tif", dtype="uint16", constant=1200))


def all_nodata(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return (scenes.write_scene(tmp_path / "before.tif", nodata=0, blank_cols=320),
            scenes.write_scene(tmp_path / "after.tif"))


def missing(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return scenes.write_scene(tmp_path / "before.tif"), tmp_path / "after.tif"


def not_a_raster(tmp_path: Path, scenes) -> tuple[Path, Path]:
    (tmp_path / "after.tif").write_text("not a raster")
    return scenes.write_scene(tmp_path / "before.tif"), tmp_path / "after.tif"


def png_with_geotiff(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return scenes.write_scene(tmp_path / "before.tif"), scenes.write_png(tmp_path / "after.png")


def png_sizes_differ(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return scenes.write_png(tmp_path / "before.png"), scenes.write_png(tmp_path / "after.png", size=128)


def two_bands(tmp_path: Path, scenes) -> tuple[Path, Path]:
    return scenes.write_scene(tmp_path / "before.tif"), scenes.write_scene(tmp_path / "after.tif", bands=2)


CASES = [
    (far_away, "no overlap", "after.tif"),
    (far_away_other_crs, "no overlap", "after.tif"),
    (no_crs, "without a CRS", "after.tif"),
    (constant, "every valid pixel has the value 1200", "after.tif"),
    (all_nodata, "no valid pixel", "before.tif"),
    (missing, "no such file", "after.tif"),
    (not_a_raster, "not a GeoTIFF, PNG or JPEG", "after.tif"),
    (png_with_geotiff, "cannot compare plain images", "after.png"),
    (png_sizes_differ, "must have the same size", "after.png"),
    (two_bands, r"expected 1 \(grey\) or at least 3", "after.tif"),
]


@pytest.mark.parametrize(("make", "message", "names"), CASES, ids=[case[0].__name__ for case in CASES])
def test_unusable_input_names_the_file(tmp_path, scenes, make, message, names):
    before, after = make(tmp_path, scenes)
    with pytest.raises(ValueError, match=message) as caught:
        open_pair(before, after)
    assert names in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_requested_band_beyond_the_file(tmp_path, scenes):
    before = scenes.write_scene(tmp_path / "before.tif", bands=4)
    after = scenes.write_scene(tmp_path / "after.tif", bands=3)
    with pytest.raises(SceneError, match=r"after.tif: band\(s\) \[4\] requested"):
        open_pair(before, after, config=IngestConfig(bands=(4, 3, 2)))


@pytest.mark.parametrize("bad", [dict(bands=(1, 2)), dict(percentiles=(98.0, 2.0)), dict(stretch="minmax"),
                                 dict(stretch_sample=4)])
def test_config_rejects_unusable_values(bad):
    with pytest.raises(SceneError, match="IngestConfig"):
        IngestConfig(**bad)


def test_a_series_needs_two_dates(tmp_path, scenes):
    with pytest.raises(SceneError, match="expected at least two dates"):
        open_series([scenes.write_scene(tmp_path / "only.tif")])


def test_tiling_arguments_are_checked(tmp_path, scenes):
    series = open_pair(scenes.write_scene(tmp_path / "a.tif"), scenes.write_scene(tmp_path / "b.tif"))
    with pytest.raises(SceneError, match="overlap"):
        next(series.tiles(size=64, overlap=64))
    with pytest.raises(SceneError, match="min_valid"):
        next(series.tiles(min_valid=1.5))
