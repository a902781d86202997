"""The interactive map page: offline (Leaflet inlined, no URL unless a basemap is configured), every layer
there, scenes where they lie (lon/lat) or labelled as pixels, downsampled, and captions kept as text."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from rasterio.warp import transform_bounds

from apps.rs_change.outputs.leaflet_offline import leaflet_head
from apps.rs_change.outputs.results import ChangeStep
from apps.rs_change.outputs.web_map import BASEMAP_ENV, PIXEL_WARNING, map_frame, web_map
from tests.data.rs_change.results import caption, fake_result

REAL_SCENE = Path("/work/shared/data/RGB.byte.tif")  # a GDAL test GeoTIFF, UTM 18N off the Bahamas
BASEMAP = "http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png"
OVERLAY = re.compile(r'L\.imageOverlay\(\s*"(data:image/png;base64,[^"]+)",\s*(\[\[.*?\]\])', re.S)
GEOJSON = re.compile(r"_add\((\{.*?\})\);\n")


@pytest.fixture
def utm_pair(tmp_path: Path, scenes):
    before = scenes.write_scene(tmp_path / "before.tif")
    after = scenes.write_scene(tmp_path / "after.tif", seed=3, transform=scenes.utm_grid(shift=(320, -160)))
    return fake_result(before, after)


@pytest.fixture
def png_pair(tmp_path: Path, scenes):
    return fake_result(scenes.write_png(tmp_path / "A.png"), scenes.write_png(tmp_path / "B.png", seed=1))


def overlays(page: str) -> list[tuple[Image.Image, list[list[float]]]]:
    """The page's scene pictures and their [[south, west], [north, east]] bounds."""
    found = []
    for uri, bounds in OVERLAY.findall(page):
        picture = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        found.append((picture, json.loads(bounds)))
    return found


def layers(page: str) -> list[dict]:
    """The GeoJSON FeatureCollections embedded in the page: tiles first, then change polygons."""
    return [json.loads(data) for data in GEOJSON.findall(page)]


def test_a_georeferenced_map_is_offline_and_has_every_layer(utm_pair) -> None:
    page = web_map(utm_pair)
    assert page.count(leaflet_head()) == 1  # Leaflet inlined from the installed package
    rest = page.replace(leaflet_head(), "")
    assert not re.search(r"https?://", rest), re.findall(r"https?://\S{0,60}", rest)
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", rest)
    for name in ("Before: before.tif", "After: after.tif", "Tiles by p(change)", "Change polygons"):
        assert f'"{name}"' in page
    assert "L.CRS.EPSG3857" in page and PIXEL_WARNING not in page
    assert "EPSG:32632 shown in lon/lat" in page and "sveBefore" in page and "Tile p(change)" in page
    tiles, polygons = layers(page)
    assert len(tiles["features"]) == 4 and len(polygons["features"]) == 2  # one hot square per changed tile
    first = tiles["features"][0]["properties"]
    assert first["caption"] == caption((0, 0)) and first["title"] == "Tile 0,0: changed"
    assert first["details"][0].startswith("p(change) 0.") and first["details"][0].endswith("(threshold 0.50)")
    assert polygons["features"][0]["properties"]["details"][1].endswith(" m²")


def test_scenes_are_warped_onto_their_lon_lat_bounds(utm_pair) -> None:
    west, south, east, north = transform_bounds(utm_pair.grid.crs, "EPSG:4326", *utm_pair.grid.bounds)
    pictures = overlays(web_map(utm_pair))
    assert len(pictures) == 2
    for picture, ((s, w), (n, e)) in pictures:
        assert picture.mode == "RGBA" and max(picture.size) <= 1024
        assert s == pytest.approx(south, abs=1e-4) and n == pytest.approx(north, abs=1e-4)
        assert w == pytest.approx(west, abs=1e-4) and e == pytest.approx(east, abs=1e-4)
    ring = layers(web_map(utm_pair))[0]["features"][0]["geometry"]["coordinates"][0]
    assert all(west - 1e-6 <= lon <= east + 1e-6 and south - 1e-6 <= lat <= north + 1e-6 for lon, lat in ring)


def test_plain_images_are_labelled_pixel_coordinates_not_a_map(png_pair) -> None:
    page = web_map(png_pair, basemap=BASEMAP)  # no basemap under pixels, even when one is configured
    assert PIXEL_WARNING in page and "Pixel coordinates, not a map" in PIXEL_WARNING
    assert "L.CRS.Simple" in page and BASEMAP not in page
    (_, bounds), _ = overlays(page)
    assert bounds == [[-256.0, 0.0], [0.0, 256.0]]  # rows down from the top, as the scene shows them
    tiles, polygons = layers(page)
    corners = tiles["features"][0]["geometry"]["coordinates"][0]
    assert sorted({tuple(point) for point in corners}) == [(0, -128), (0, 0), (128, -128), (128, 0)]
    assert polygons["features"][0]["properties"]["details"][1].endswith(" px")


def test_a_basemap_only_when_configured(utm_pair, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "L.tileLayer" not in web_map(utm_pair)
    page = web_map(utm_pair, basemap=BASEMAP)
    assert "L.tileLayer" in page and BASEMAP in page and '"Basemap"' in page
    monkeypatch.delenv(BASEMAP_ENV, raising=False)
    assert "127.0.0.1:8080" not in map_frame(utm_pair)
    monkeypatch.setenv(BASEMAP_ENV, BASEMAP)
    assert BASEMAP in html.unescape(map_frame(utm_pair))


def test_the_frame_is_a_sandboxed_iframe(utm_pair) -> None:
    frame = map_frame(utm_pair)
    assert frame.startswith("<iframe ") and frame.endswith("</iframe>")
    assert 'sandbox="allow-scripts"' in frame and "allow-same-origin" not in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)  # escaped: no raw quote ends it early
    assert html.unescape(srcdoc).startswith("<!DOCTYPE html>") and "Tile 1,1" in html.unescape(srcdoc)


def test_captions_and_file_names_stay_text(utm_pair) -> None:
    hostile = '</script><img src=x onerror="alert(1)">'
    tiles = [replace(tile, caption=hostile) for tile in utm_pair.steps[0].tiles]
    result = replace(utm_pair, names=(hostile + ".tif", "after.tif"), steps=[ChangeStep(0, 1, tiles)])
    page = web_map(result)
    assert "<img src=x" not in page and "</script><img" not in page
    assert layers(page)[0]["features"][0]["properties"]["caption"] == hostile  # shown as text by the popup


def test_large_scenes_are_downsampled(png_pair) -> None:
    assert [max(picture.size) for picture, _ in overlays(web_map(png_pair, max_side=64))] == [64, 64]


@pytest.mark.skipif(not REAL_SCENE.is_file(), reason=f"{REAL_SCENE} not present")
def test_a_real_geotiff_lands_where_it_is() -> None:
    result = fake_result(REAL_SCENE, REAL_SCENE, tile_size=256)
    pictures = overlays(web_map(result))
    for picture, ((south, west), (north, east)) in pictures:
        assert max(picture.size) <= 1024
        assert 23.0 < south < north < 26.0 and -79.5 < west < east < -76.0  # off the Bahamas, UTM 18N
    assert "EPSG:32618" in web_map(result)
