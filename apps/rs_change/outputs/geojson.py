"""Tile verdicts and change polygons as GeoJSON FeatureCollections in lon/lat (RFC 7946), for web maps and GIS.

Two layers: `tiles.geojson` (one polygon per tile: p(change), flag, caption) and `changes.geojson` (the change
polygons of `polygons.py`: area in m², mean change-map value, the tile's p(change) and caption). Exterior rings
are counter-clockwise and holes clockwise, as RFC 7946 asks (shapely's `orient`); coordinates have 7 decimals
(about 1 cm). Plain images (PNG pairs) have no ground position, and any `.geojson` is read by GDAL as lon/lat,
so they get no GeoJSON at all: `geojson_refusal` says why, and tiles.json holds their pixel windows instead.
A CRS that cannot be expressed in lon/lat over the tiles (e.g. a geostationary view beyond the Earth's disk)
raises `SceneError` in one line.
"""

from __future__ import annotations

from typing import Any

from pyproj import Geod
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.warp import transform_geom
from shapely.geometry import mapping, shape
from shapely.geometry.polygon import orient

from apps.rs_change.errors import SceneError
from apps.rs_change.outputs.polygons import ChangePolygon
from apps.rs_change.outputs.results import TileResult

WGS84 = CRS.from_epsg(4326)
GEOD = Geod(ellps="WGS84")
NO_GEOREFERENCE = ("no GeoJSON written: the scenes are plain images without a georeference, so there is no ground "
                   "position to report; tiles.json lists the tiles and change polygons in pixel coordinates")


def tile_polygon(result: TileResult) -> dict[str, Any]:
    """The tile's outline in its own CRS (pixel units for plain images)."""
    left, bottom, right, top = result.tile.bounds
    ring = [[left, top], [right, top], [right, bottom], [left, bottom], [left, top]]
    return {"type": "Polygon", "coordinates": [ring]}


def to_lonlat(geometry: dict[str, Any], crs: CRS) -> dict[str, Any]:
    """`geometry` reprojected to WGS84 with RFC 7946 ring orientation."""
    try:
        projected = transform_geom(crs, WGS84, geometry, precision=7)
        polygon = orient(shape(projected), sign=1.0)
    except (RasterioError, CPLE_BaseError, ValueError) as error:
        raise SceneError(f"the scene's CRS ({crs_name(crs)}) cannot be expressed in longitude/latitude over these tiles "
                         "(e.g. a geostationary view past the Earth's limb); reproject the scenes onto a map "
                         "projection (gdalwarp -t_srs EPSG:4326) first") from error
    if not polygon.is_valid or polygon.is_empty:
        raise SceneError(f"the scene's CRS ({crs_name(crs)}) gives invalid lon/lat outlines over these tiles; "
                         "reproject the scenes onto a map projection (gdalwarp -t_srs EPSG:4326) first")
    return mapping(polygon)


def crs_name(crs: CRS) -> str:
    """'EPSG:32632', or the PROJ string of a CRS without an EPSG code."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_proj4() or "a custom CRS"


def area_m2(lonlat: dict[str, Any]) -> float:
    """Area on the WGS84 ellipsoid of a lon/lat polygon."""
    return abs(GEOD.geometry_area_perimeter(shape(lonlat))[0])


def to_geojson(results: list[TileResult]) -> dict[str, Any]:
    """One Polygon feature per tile; the tiles must be georeferenced."""
    features = []
    for result in results:
        if result.tile.crs is None:
            raise SceneError(NO_GEOREFERENCE)
        row, col = result.tile.index
        properties = {"row": row, "col": col, "p_change": round(float(result.score), 4),
                      "changed": bool(result.changed), "changed_area": round(float(result.area), 4),
                      "caption": result.caption, "disagreement": result.note}
        features.append({"type": "Feature", "geometry": to_lonlat(tile_polygon(result), result.tile.crs),
                         "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def changes_geojson(polygons: list[ChangePolygon]) -> dict[str, Any]:
    """One Polygon feature per change polygon, with area (m²), mean change-map value, p(change) and caption."""
    features = []
    for polygon in polygons:
        tile = polygon.tile
        if tile.tile.crs is None:
            raise SceneError(NO_GEOREFERENCE)
        geometry = to_lonlat(polygon.geometry, tile.tile.crs)
        row, col = tile.tile.index
        properties = {"area_m2": round(area_m2(geometry), 2), "mean_score": round(polygon.mean_score, 4),
                      "p_change": round(float(tile.score), 4), "row": row, "col": col, "caption": tile.caption}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}
