"""Tile verdicts as a GeoJSON FeatureCollection in EPSG:4326 (RFC 7946), for web maps and GIS tools."""

from __future__ import annotations

from typing import Any

from rasterio.crs import CRS
from rasterio.warp import transform_geom

from apps.rs_change.outputs.results import TileResult

WGS84 = CRS.from_epsg(4326)


def tile_polygon(result: TileResult) -> dict[str, Any]:
    """The tile's outline in its own CRS (pixel units for plain images)."""
    left, bottom, right, top = result.tile.bounds
    ring = [[left, top], [right, top], [right, bottom], [left, bottom], [left, top]]
    return {"type": "Polygon", "coordinates": [ring]}


def to_geojson(results: list[TileResult]) -> dict[str, Any]:
    """One Polygon feature per tile, reprojected to lon/lat (7 decimals, about 1 cm).

    Tiles of plain images (PNG pairs, no CRS) keep pixel coordinates (x = column, y = row) and the collection is
    marked `"coordinate_space": "pixel"`: there is no ground position to report, but a viewer can still overlay
    the tiles on the image.
    """
    features = []
    pixel_space = False
    for result in results:
        geometry = tile_polygon(result)
        if result.tile.crs is None:
            pixel_space = True
        else:
            geometry = transform_geom(result.tile.crs, WGS84, geometry, precision=7)
        row, col = result.tile.index
        properties = {"row": row, "col": col, "caption": result.caption, "changed": bool(result.changed),
                      "score": float(result.score)}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if pixel_space:
        collection["coordinate_space"] = "pixel"
    return collection
