"""The RS tab's interactive map: one step of a `SceneResult` as a self-contained Leaflet page, built with
folium, that works in a browser with no network.

Layers, each switched on and off in the layer control:
- before, after: the two dates' quicklooks (what the model saw) as PNG data URIs of at most `max_side` px. A
  georeferenced scene is warped to Web Mercator, the map's projection, and placed by its lon/lat bounds; plain
  images lie on a pixel grid (Leaflet's CRS.Simple) that the map labels "pixel coordinates, not a map". The
  swipe slider shows the before date left of its line, the after date right of it (web_map_controls.py).
- tiles: filled and outlined in the colour of their p(change) (viridis, with a legend), changed ones with a
  thick outline; a click opens the tile's caption, p(change) and changed area.
- change polygons (polygons.py): dashed outlines; a click opens their tile's caption.
- basemap: only when a tile URL is configured (`SVE_BASEMAP_URL`, e.g. a local tile server's
  `.../{z}/{x}/{y}.png`, credited by `SVE_BASEMAP_ATTRIBUTION`), and only under georeferenced scenes. By
  default the page refers to nothing outside itself.
The mouse position is read out in lon/lat (in pixels on a pixel grid); georeferenced maps get a scale bar.
Leaflet itself is inlined from an installed package (leaflet_offline.py) instead of folium's CDN links.
`map_frame` wraps the page in a sandboxed iframe for a `gr.HTML` output.
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Callable
from typing import Any

import folium
import numpy as np
from affine import Affine
from folium.elements import Element
from PIL import Image
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import calculate_default_transform, reproject
from rasterio.warp import transform as transform_points
from shapely.geometry import shape

from apps.rs_change.outputs.geojson import WGS84, area_m2, crs_name, tile_polygon, to_lonlat
from apps.rs_change.outputs.leaflet_offline import leaflet_head, png_data_uri
from apps.rs_change.outputs.polygons import change_polygons
from apps.rs_change.outputs.results import ChangeStep, TileResult
from apps.rs_change.outputs.scene_result import SceneResult
from apps.rs_change.outputs.web_map_controls import (
    AFTER_PANE,
    BEFORE_PANE,
    POLYGON_COLOUR,
    POPUP,
    ControlStyle,
    CoordinateReadout,
    HomeView,
    Legend,
    SceneBox,
    p_colour,
)
from apps.rs_change.scene.grid import Grid

MAX_SIDE = 1024  # px: the longest side of an embedded scene picture
MAP_HEIGHT = 560  # px: the iframe's height in the tab
BASEMAP_ENV = "SVE_BASEMAP_URL"  # a tile URL template ({z}/{x}/{y}); unset: no basemap
ATTRIBUTION_ENV = "SVE_BASEMAP_ATTRIBUTION"
MERCATOR = CRS.from_epsg(3857)
PIXEL_WARNING = "Pixel coordinates, not a map: these scenes have no georeference (x = column, y = row)"
FRAME_TITLE = "Interactive change map: before/after scenes, tiles by p(change), change polygons"

POLYGON_STYLE = {"color": POLYGON_COLOUR, "weight": 2, "dashArray": "6 4", "fill": False}

Bounds = list[list[float]]  # [[south, west], [north, east]] in the map's coordinates
ToMap = Callable[[dict[str, Any]], dict[str, Any]]  # a GeoJSON geometry in the grid's CRS -> map coordinates
# the empty map, each scene picture with its bounds, the geometry converter, and the title's coordinate note
Space = tuple[folium.Map, list[tuple[np.ndarray, Bounds]], ToMap, str]


def web_map(result: SceneResult, *, step: int = -1, basemap: str | None = None,
            max_side: int = MAX_SIDE) -> str:
    """The HTML page of step `step` (the last one by default) with the layers of the module docstring;
    `basemap`, a tile URL template, goes under georeferenced scenes only."""
    change = result.steps[step]
    names = [result.names[change.before], result.names[change.after]]
    images = [result.quicklook.images[change.before], result.quicklook.images[change.after]]
    space = _lonlat_space if result.georeferenced else _pixel_space
    page, overlays, to_map, where = space(result.grid, images, max_side)
    page.default_js, page.default_css = [], []  # folium's CDN links: Leaflet comes inlined instead
    page.get_root().header.add_child(Element(leaflet_head()), name="leaflet", index=0)
    if basemap and result.georeferenced:
        attribution = os.environ.get(ATTRIBUTION_ENV) or f"Basemap: {BASEMAP_ENV}"
        folium.TileLayer(basemap, attr=html.escape(attribution), name="Basemap", max_zoom=22).add_to(page)
    for pane, z_index in ((AFTER_PANE, 250), (BEFORE_PANE, 260)):  # above a basemap, below tiles and popups
        folium.map.CustomPane(pane, z_index=z_index).add_to(page)
    scenes = zip(overlays, names, ("Before", "After"), (BEFORE_PANE, AFTER_PANE), strict=True)
    for (picture, bounds), name, when, pane in scenes:
        folium.raster_layers.ImageOverlay(_png(picture), bounds=bounds, name=html.escape(f"{when}: {name}"),
                                          pane=pane, pixelated=False, alt=f"{when}-scene {name}").add_to(page)
    calibration = result.calibration
    folium.GeoJson(_tile_features(change, calibration.threshold, to_map), name="Tiles by p(change)",
                   style_function=_tile_style, highlight_function=lambda _: {"weight": 4, "fillOpacity": 0.1},
                   on_each_feature=POPUP).add_to(page)
    polygons = _polygon_features(change, calibration.map_threshold, to_map, in_metres=result.georeferenced)
    folium.GeoJson(polygons, name="Change polygons", on_each_feature=POPUP,
                   style_function=lambda _: POLYGON_STYLE).add_to(page)
    folium.LayerControl(collapsed=False).add_to(page)
    page.add_child(ControlStyle())
    page.add_child(HomeView(overlays[0][1]))
    page.add_child(SceneBox(f"{names[0]} → {names[1]}{where}", "" if result.georeferenced else PIXEL_WARNING))
    page.add_child(CoordinateReadout(pixels=not result.georeferenced))
    page.add_child(Legend(calibration.threshold, calibration.map_threshold))
    return page.get_root().render()


def _lonlat_space(grid: Grid, images: list[np.ndarray], max_side: int) -> Space:
    """A Web Mercator map, the scenes warped onto it, geometries in lon/lat."""
    page = folium.Map(tiles=None, zoom_snap=0.25)
    page.options.update(min_zoom=1, max_zoom=22)  # the map's own limits (folium's arguments set a tile layer's)
    overlays = [_mercator_overlay(image, grid, max_side) for image in images]
    where = f"; {crs_name(grid.crs)} shown in lon/lat"
    return page, overlays, lambda geometry: to_lonlat(geometry, grid.crs), where


def _pixel_space(grid: Grid, images: list[np.ndarray], max_side: int) -> Space:
    """A CRS.Simple map in scene pixels, the scene's top up."""
    page = folium.Map(tiles=None, crs="Simple", zoom_snap=0.25)
    page.options.update(min_zoom=-6, max_zoom=6)
    bounds = [[-float(grid.height), 0.0], [0.0, float(grid.width)]]
    overlays = []
    for image in images:
        picture = Image.fromarray(image)
        picture.thumbnail((max_side, max_side))
        overlays.append((np.asarray(picture), bounds))
    return page, overlays, _pixels(grid), ""


def map_frame(result: SceneResult, *, height: int = MAP_HEIGHT) -> str:
    """`web_map` (with the basemap `SVE_BASEMAP_URL` names, if any) in a sandboxed iframe, for `gr.HTML`."""
    page = web_map(result, basemap=os.environ.get(BASEMAP_ENV) or None)
    return (f'<iframe title="{FRAME_TITLE}" sandbox="allow-scripts" srcdoc="{html.escape(page, quote=True)}" '
            f'style="width: 100%; height: {height}px; border: 0;"></iframe>')


def _tile_features(change: ChangeStep, threshold: float, to_map: ToMap) -> dict[str, Any]:
    features = []
    for tile in change.tiles:
        details = [f"p(change) {tile.score:.2f} (threshold {threshold:.2f})",
                   f"changed area {100 * tile.area:.1f}% of the tile"]
        if tile.note:
            details.append(f"caption and flag disagree: {tile.note}")
        properties = {"title": f"Tile {_label(tile)}: {'changed' if tile.changed else 'no change'}",
                      "caption": tile.caption, "details": details, "p_change": round(tile.score, 4),
                      "changed": tile.changed}
        features.append({"type": "Feature", "geometry": to_map(tile_polygon(tile)), "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def _polygon_features(change: ChangeStep, map_threshold: float, to_map: ToMap, *,
                      in_metres: bool) -> dict[str, Any]:
    features = []
    for polygon in change_polygons(change.tiles, map_threshold):
        geometry = to_map(polygon.geometry)
        size = f"{area_m2(geometry):,.0f} m²" if in_metres else f"{shape(polygon.geometry).area:,.0f} px"
        details = [f"mean change-map value {polygon.mean_score:.3f}", f"area {size}",
                   f"tile p(change) {polygon.tile.score:.2f}"]
        title = f"Change polygon in tile {_label(polygon.tile)}"
        properties = {"title": title, "caption": polygon.tile.caption, "details": details}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def _tile_style(feature: dict[str, Any]) -> dict[str, Any]:
    facts = feature["properties"]
    colour = p_colour(facts["p_change"])
    return {"color": colour, "fillColor": colour, "fillOpacity": 0.2, "weight": 4 if facts["changed"] else 1,
            "opacity": 1.0 if facts["changed"] else 0.7}


def _label(tile: TileResult) -> str:
    return "{},{}".format(*tile.tile.index)


def _pixels(grid: Grid) -> ToMap:
    """Grid coordinates -> CRS.Simple's (lng = column, lat = -row), so the scene's top is up."""
    inverse = ~grid.transform

    def convert(geometry: dict[str, Any]) -> dict[str, Any]:
        rings = [[list(_flip(inverse @ tuple(point))) for point in ring] for ring in geometry["coordinates"]]
        return {"type": "Polygon", "coordinates": rings}

    return convert


def _flip(column_row: tuple[float, float]) -> tuple[float, float]:
    column, row = column_row
    return round(column, 3), round(-row, 3)


def _mercator_overlay(image: np.ndarray, grid: Grid, max_side: int) -> tuple[np.ndarray, Bounds]:
    """(h, w, 4) RGBA: the quicklook `image` (on `grid`, any size) warped to Web Mercator, transparent outside
    the scene, at most `max_side` px a side; and its lon/lat bounds."""
    height, width = image.shape[:2]
    source = grid.transform @ Affine.scale(grid.width / width, grid.height / height)
    target, out_width, out_height = calculate_default_transform(grid.crs, MERCATOR, width, height,
                                                                *grid.bounds)
    shrink = max(1.0, max(out_width, out_height) / max_side)
    size = max(1, round(out_width / shrink)), max(1, round(out_height / shrink))
    target = target @ Affine.scale(out_width / size[0], out_height / size[1])
    rgba = np.concatenate([image.transpose(2, 0, 1), np.full((1, height, width), 255, np.uint8)])
    warped = np.zeros((4, size[1], size[0]), np.uint8)
    reproject(rgba, warped, src_transform=source, src_crs=grid.crs, dst_transform=target, dst_crs=MERCATOR,
              resampling=Resampling.bilinear)
    (west, east), (south, north) = transform_points(
        MERCATOR, WGS84, [target.c, target.c + size[0] * target.a], [target.f + size[1] * target.e, target.f]
    )
    return warped.transpose(1, 2, 0), [[south, west], [north, east]]


def _png(picture: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", compress_level=1)  # fast: the page is not kept
    return png_data_uri(buffer.getvalue())
