"""Seeded STAC fixture: a static catalog of small Cloud-Optimized GeoTIFF items, written into a test's folder.

Dataset format (`write_catalog(root)`): `root/catalog.json` -> `root/scenes/collection.json` (collection
`scenes`) -> one item folder per item, each with `<id>.json` and its COG assets, hrefs relative so the folder
can be served from any URL. The ground is a crop of /work/shared/data/RGB.byte.tif (a real Landsat RGB scene,
UTM 18N) when it exists, else a seeded smooth pattern on the same grid. Items (date: id, cloud, what it tests):

  2024-05-01  may-clear 5% (bands red/green/blue as single-band assets), may-cloudy 60%, may-west 0% (covers
              only the western half of the AOI: must not be chosen)
  2024-06-01  jun-clear 10% (one 3-band `visual` asset, bands found by eo:bands common name; a bright square
              added: the change), jun-cloudy 70%
  2024-07-01  jul-cloudy 90% only (cloud above any reasonable limit)
  2024-08-01  aug-mixed 1% (red in UTM, green/blue in Web Mercator: different CRSs in one item)

`AOI` is the area of interest (W, S, E, N degrees) inside every full item. `api_items(root, base_url)` gives
the same items with absolute hrefs under `base_url`, for the STAC API server. Run `python data.py DIR` to look.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pystac
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.io import MemoryFile
from rasterio.warp import calculate_default_transform, reproject, transform_bounds
from rio_cogeo.cogeo import cog_translate
from rio_cogeo.profiles import cog_profiles

LANDSAT = Path("/work/shared/data/RGB.byte.tif")
UTM18 = CRS.from_epsg(32618)
SIZE = 320  # pixels of each full item
WINDOW = (200, 235)  # row, col of the crop in RGB.byte.tif (a fully valid area)
TRANSFORM = Affine(300.0379266750948, 0.0, 101985.0 + 235 * 300.0379266750948,
                   0.0, -300.041782729805, 2826915.0 - 200 * 300.041782729805)
COLLECTION = "scenes"
DATES = {"may": "2024-05-01", "jun": "2024-06-01", "jul": "2024-07-01", "aug": "2024-08-01"}


def ground() -> np.ndarray:
    """(3, SIZE, SIZE) uint8: the Landsat crop, or a seeded stand-in of the same size."""
    if LANDSAT.is_file():
        with rasterio.open(LANDSAT) as src:
            return src.read(window=((WINDOW[0], WINDOW[0] + SIZE), (WINDOW[1], WINDOW[1] + SIZE)))
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    base = [np.sin(6 * rows + k) * np.cos(5 * cols - k) for k in range(3)]
    return (np.clip(np.stack(base) * 80 + 120 + rng.normal(0, 6, (3, SIZE, SIZE)), 1, 255)).astype(np.uint8)


def aoi() -> tuple[float, float, float, float]:
    """W, S, E, N: the middle 200 x 200 pixels of a full item."""
    left, top = TRANSFORM @ (60, 60)
    right, bottom = TRANSFORM @ (260, 260)
    return tuple(round(v, 6) for v in transform_bounds(UTM18, "EPSG:4326", left, bottom, right, top))


def _cog(path: Path, data: np.ndarray, transform: Affine, crs: CRS) -> None:
    profile = dict(driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0], dtype="uint8",
                   crs=crs, transform=transform, nodata=0)
    with MemoryFile() as memory:
        with memory.open(**profile) as mem:
            mem.write(data)
        cog = cog_profiles.get("deflate") | {"blockxsize": 64, "blockysize": 64}
        with memory.open() as src:
            cog_translate(src, str(path), cog, quiet=True, in_memory=True)


def _mercator(data: np.ndarray) -> tuple[np.ndarray, Affine]:
    left, bottom = TRANSFORM @ (0, SIZE)
    right, top = TRANSFORM @ (SIZE, 0)
    transform, width, height = calculate_default_transform(UTM18, "EPSG:3857", SIZE, SIZE, left, bottom, right, top)
    out = np.zeros((data.shape[0], height, width), np.uint8)
    reproject(data, out, src_transform=TRANSFORM, src_crs=UTM18, dst_transform=transform, dst_crs="EPSG:3857")
    return out, transform


def _item(root: Path, key: str, name: str, cloud: float, bands: dict[str, tuple[np.ndarray, Affine, CRS]],
          ) -> pystac.Item:
    folder = root / COLLECTION / name
    folder.mkdir(parents=True, exist_ok=True)
    first = next(iter(bands.values()))
    data, transform, crs = first
    left, bottom = transform @ (0, data.shape[1])
    right, top = transform @ (data.shape[2], 0)
    west, south, east, north = transform_bounds(crs, "EPSG:4326", left, bottom, right, top)
    geometry = {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                    [west, south]]]}
    item = pystac.Item(name, geometry, [west, south, east, north],
                       pystac.utils.str_to_datetime(DATES[key] + "T10:00:00Z"), {"eo:cloud_cover": cloud},
                       collection=COLLECTION)
    for asset, (array, asset_transform, asset_crs) in bands.items():
        _cog(folder / f"{asset}.tif", array, asset_transform, asset_crs)
        names = ["red", "green", "blue"] if array.shape[0] == 3 else [asset]
        item.add_asset(asset, pystac.Asset(f"./{asset}.tif", media_type=pystac.MediaType.COG, roles=["data"],
                                           extra_fields={"eo:bands": [{"name": n, "common_name": n}
                                                                      for n in names]}))
    return item


def items(root: Path) -> list[pystac.Item]:
    scene = ground()
    changed = scene.copy()
    changed[:, 140:200, 150:210] = 250  # a new bright roof in the AOI
    west_half = scene[:, :, :150]
    mercator, mercator_transform = _mercator(scene)

    def split(data: np.ndarray, transform: Affine = TRANSFORM) -> dict[str, tuple[np.ndarray, Affine, CRS]]:
        return {name: (data[i : i + 1], transform, UTM18) for i, name in enumerate(("red", "green", "blue"))}

    return [
        _item(root, "may", "may-clear", 5, split(scene)),
        _item(root, "may", "may-cloudy", 60, split(scene)),
        _item(root, "may", "may-west", 0, split(west_half)),
        _item(root, "jun", "jun-clear", 10, {"visual": (changed, TRANSFORM, UTM18)}),
        _item(root, "jun", "jun-cloudy", 70, {"visual": (scene, TRANSFORM, UTM18)}),
        _item(root, "jul", "jul-cloudy", 90, split(scene)),
        _item(root, "aug", "aug-mixed", 1, {"red": (scene[:1], TRANSFORM, UTM18),
                                             "green": (mercator[1:2], mercator_transform, CRS.from_epsg(3857)),
                                             "blue": (mercator[2:3], mercator_transform, CRS.from_epsg(3857))}),
    ]


def write_catalog(root: Path) -> list[pystac.Item]:
    """The static catalog described above, in `root` (created); its items."""
    root = Path(root)
    written = items(root)
    collection = pystac.Collection(COLLECTION, "Landsat crops for the STAC tests",
                                   pystac.Extent(pystac.SpatialExtent([list(written[0].bbox)]),
                                                 pystac.TemporalExtent([[None, None]])))
    catalog = pystac.Catalog("sve-test", "STAC fixture for sve rs describe --stac")
    catalog.add_child(collection)
    for item in written:
        collection.add_item(item)
    catalog.normalize_hrefs(str(root))
    catalog.save(pystac.CatalogType.SELF_CONTAINED)
    return written


def api_items(root: Path, base_url: str) -> list[dict]:
    """The catalog's items as dicts with absolute hrefs under `base_url` (the served `root`), for a STAC API."""
    records = []
    for path in sorted((Path(root) / COLLECTION).glob("*/*.json")):
        item = json.loads(path.read_text())
        folder = f"{base_url}/{COLLECTION}/{item['id']}"
        for asset in item["assets"].values():
            asset["href"] = f"{folder}/{Path(asset['href']).name}"
        item["links"] = [{"rel": "self", "href": f"{folder}/{item['id']}.json", "type": "application/json"}]
        records.append(item)
    return records


if __name__ == "__main__":
    write_catalog(Path(sys.argv[1]))
    print(json.dumps({"aoi": aoi()}))
