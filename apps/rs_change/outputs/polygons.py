"""Change polygons: the change map of every flagged tile, thresholded at the calibrated map threshold and
vectorised (`rasterio.features.shapes`) on the tile's own window of the scene grid.

Each polygon carries its area, the mean change-map value inside it, and the tile's p(change) and caption.
Geometries are in the grid's CRS (pixel coordinates, x = column and y = row, for plain images); `geojson.py`
reprojects them and orients their rings. Areas: m² on the WGS84 ellipsoid (pyproj.Geod) for georeferenced
scenes, pixels for plain images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from rasterio.features import geometry_mask, shapes

from apps.rs_change.outputs.heatmap_geotiff import tile_values
from apps.rs_change.outputs.results import TileResult


@dataclass(frozen=True)
class ChangePolygon:
    geometry: dict[str, Any]  # GeoJSON Polygon in the grid's CRS
    mean_score: float  # mean change-map value of its pixels
    tile: TileResult


def change_polygons(results: list[TileResult], map_threshold: float) -> list[ChangePolygon]:
    """Polygons of every flagged tile with a change map; tiles without a map (stateless models) give none."""
    polygons = []
    for result in results:
        if not result.changed or result.heatmap is None:
            continue
        values = tile_values(result)
        mask = np.nan_to_num(values, nan=0.0) >= map_threshold
        if not mask.any():
            continue
        labels = mask.astype(np.uint8)
        for geometry, _ in shapes(labels, mask=mask, transform=result.tile.transform, connectivity=8):
            polygons.append(ChangePolygon(geometry, _mean_inside(values, labels, geometry, result), result))
    return polygons


def _mean_inside(values: np.ndarray, labels: np.ndarray, geometry: dict[str, Any], result: TileResult) -> float:
    """Mean map value of the polygon's pixels (rasterised back on the tile's window)."""
    inside = ~geometry_mask([geometry], out_shape=labels.shape, transform=result.tile.transform)
    return float(np.nanmean(values[inside & (labels > 0)])) if inside.any() else 0.0
