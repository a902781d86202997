"""A STAC Item for one `sve rs describe` run, so a GIS catalogue can index its outputs.

The Item's footprint is the analysed area (the first date's grid cropped to the overlap) in EPSG:4326; its assets
are the COG heatmap and change mask (projection and raster extension fields), the GeoJSON tiles, the report and
the tile map. Provenance: the processing extension (software, lineage), `sve:model`, `sve:mask_threshold`,
`sve:tile_size`, and one `derived_from` link per source STAC item (or `sve:sources` file names for local scenes).

`add_to_catalog` keeps `--out` as a self-contained static catalog that grows run after run (a rerun with the
same id replaces its item). `validate_item` checks the Item offline against pystac's bundled core JSON schemas;
extension schemas are checked too when a local copy is given (`schema_dir`), see docs/RS_CHANGE.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pystac
from pystac.extensions.projection import ProjectionExtension
from pystac.extensions.raster import DataType, NoDataStrings, RasterBand, RasterExtension
from pystac.validation import JsonSchemaSTACValidator
from rasterio.warp import transform_geom

from apps.rs_change.errors import SceneError
from apps.rs_change.outputs.cog import MASK_NODATA, StepRasters
from apps.rs_change.outputs.geojson import WGS84
from apps.rs_change.outputs.scene_result import SceneResult

PROCESSING_SCHEMA = "https://stac-extensions.github.io/processing/v1.2.0/schema.json"
CATALOG_ID = "sve-change"
COG = pystac.MediaType.COG


@dataclass(frozen=True)
class Provenance:
    """Where the scenes came from: source STAC items (None for local or URL scenes) and their dates."""

    sources: tuple[str, ...]  # item self links (STAC) or file names, oldest first
    stac: bool
    start: datetime | None = None
    end: datetime | None = None


def build_item(item_id: str, result: SceneResult, rasters: list[StepRasters], out: Path,
               provenance: Provenance, *, threshold: float) -> pystac.Item:
    """The Item describing the files of `result` written in `out` (asset hrefs relative to `out`)."""
    grid = result.grid
    if grid.crs is None:
        raise SceneError("a STAC Item needs georeferenced scenes; plain PNG/JPEG pairs have no ground position")
    left, bottom, right, top = grid.bounds
    ring = [[left, bottom], [right, bottom], [right, top], [left, top], [left, bottom]]
    geometry = transform_geom(grid.crs, WGS84, {"type": "Polygon", "coordinates": [ring]}, precision=7)
    lons = [p[0] for p in geometry["coordinates"][0]]
    lats = [p[1] for p in geometry["coordinates"][0]]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    item = pystac.Item(item_id, geometry, [min(lons), min(lats), max(lons), max(lats)],
                       provenance.end or now, properties={
                           "sve:model": result.model, "sve:mask_threshold": threshold,
                           "sve:tile_size": result.tile_size, "sve:tile_overlap": result.overlap,
                           "processing:software": {"sve-suite": _version()},
                           "processing:lineage": f"change captions of {len(result.names)} dates by {result.model}",
                           "processing:datetime": now.isoformat().replace("+00:00", "Z")})
    if provenance.start and provenance.end:
        item.common_metadata.start_datetime, item.common_metadata.end_datetime = provenance.start, provenance.end
    if provenance.stac:
        for href in provenance.sources:
            item.add_link(pystac.Link(pystac.RelType.DERIVED_FROM, href, pystac.MediaType.JSON))
    else:
        item.properties["sve:sources"] = list(provenance.sources)
    projection = ProjectionExtension.ext(item, add_if_missing=True)
    projection.code = grid.crs.to_string() if grid.crs.to_epsg() is None else f"EPSG:{grid.crs.to_epsg()}"
    projection.shape = [grid.height, grid.width]
    projection.transform = list(grid.transform)[:6]
    projection.bbox = [left, bottom, right, top]
    RasterExtension.add_to(item)
    item.stac_extensions.append(PROCESSING_SCHEMA)
    for index, step in enumerate(rasters):
        suffix = "" if len(rasters) == 1 else f"_step{index + 1}"
        _raster_asset(item, f"heatmap{suffix}", step.heatmap, out, DataType.FLOAT32, NoDataStrings.NAN,
                      "change heatmap (0 = no change)")
        _raster_asset(item, f"change_mask{suffix}", step.mask, out, DataType.UINT8, MASK_NODATA,
                      f"change mask: heat >= {threshold} on tiles captioned as changed")
    for key, name, media, title in (("tiles", "tiles.geojson", pystac.MediaType.GEOJSON, "tile verdicts"),
                                    ("report", "report.md", "text/markdown", "change report"),
                                    ("tile_map", "tiles.png", pystac.MediaType.PNG, "tile map")):
        if (out / name).is_file():
            item.add_asset(key, pystac.Asset(f"./{name}", title=title, media_type=media, roles=["data"]))
    return item


def write_item(item: pystac.Item, out: Path) -> Path:
    """`out`/item.json, asset hrefs relative to it; validated first."""
    path = out / "item.json"
    data = item.to_dict(include_self_link=False)
    validate_item(data)
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return path


def add_to_catalog(item: pystac.Item, catalog_dir: Path) -> Path:
    """Add `item` (its files in `catalog_dir`/<item id>/) to the static catalog in `catalog_dir`; the catalog's
    path. A first run creates it."""
    root = catalog_dir / "catalog.json"
    if root.is_file():
        catalog = pystac.Catalog.from_file(str(root))
    else:
        catalog = pystac.Catalog(CATALOG_ID, "Change detected by sve rs describe, one item per run")
    if catalog.get_item(item.id) is not None:
        catalog.remove_item(item.id)
    validate_item(item.to_dict(include_self_link=False))
    catalog.add_item(item)
    catalog.normalize_hrefs(str(catalog_dir))
    catalog.save(pystac.CatalogType.SELF_CONTAINED)
    return root


def validate_item(data: dict[str, Any], *, schema_dir: Path | None = None) -> list[str]:
    """Check `data` against the core Item schema bundled with pystac (offline), and each extension schema
    found under `schema_dir` (laid out as <extension>/<version>/schema.json); the extension URIs left unchecked."""
    validator = JsonSchemaSTACValidator()
    try:
        validator.validate_core(data, pystac.STACObjectType.ITEM, data["stac_version"])
        unchecked = []
        for uri in data.get("stac_extensions", []):
            local = _local_schema(uri, schema_dir)
            if local is None:
                unchecked.append(uri)
                continue
            validator.schema_cache[uri] = json.loads(local.read_text(encoding="utf-8"))
            validator.validate_extension(data, pystac.STACObjectType.ITEM, data["stac_version"], uri)
    except pystac.STACValidationError as err:
        raise SceneError(f"STAC Item {data.get('id')}: does not validate ({str(err)[:300]})") from err
    return unchecked


def _local_schema(uri: str, schema_dir: Path | None) -> Path | None:
    if schema_dir is None or not uri.startswith("https://stac-extensions.github.io/"):
        return None
    path = schema_dir / uri.removeprefix("https://stac-extensions.github.io/")
    return path if path.is_file() else None


def _raster_asset(item: pystac.Item, key: str, path: Path, out: Path, data_type: DataType,
                  nodata: float | NoDataStrings,
                  title: str) -> None:
    asset = pystac.Asset(f"./{path.relative_to(out)}", title=title, media_type=COG, roles=["data"])
    item.add_asset(key, asset)
    RasterExtension.ext(asset).bands = [RasterBand.create(data_type=data_type, nodata=nodata)]


def _version() -> str:
    try:
        return version("sve-suite")
    except PackageNotFoundError:
        return "unknown"
