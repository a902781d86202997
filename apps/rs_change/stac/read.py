"""Read only the area of interest of a STAC item's band assets into a small local GeoTIFF.

`band_refs` resolves the requested names (`--assets red,green,blue`) to (asset, band) pairs: an asset key, or
a band's common name in the asset's `eo:bands` (STAC 1.0) or `bands` (`eo:common_name`, STAC 1.1). `read_aoi`
reads the AOI window of each (over HTTP through `remote.open_remote`: Range requests, so only the blocks under
the AOI travel) onto the first band's grid and writes them as one 3-band GeoTIFF that `open_series` then
ingests like any local scene.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pystac
import rasterio
from rasterio.enums import ColorInterp, Resampling
from rasterio.io import DatasetReader
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from apps.rs_change.errors import SceneError
from apps.rs_change.scene.remote import RemoteConfig, is_remote, open_remote
from apps.rs_change.stac.search import BBox

DEFAULT_ASSETS = ("red", "green", "blue")


@dataclass(frozen=True)
class BandRef:
    name: str  # as requested
    asset: str  # asset key
    href: str  # absolute
    band: int  # 1-based band of the asset's file


def band_refs(item: pystac.Item, names: tuple[str, ...] = DEFAULT_ASSETS) -> list[BandRef]:
    """One `BandRef` per requested name, or a `SceneError` listing what the item offers."""
    refs = []
    for name in names:
        ref = _by_key(item, name) or _by_common_name(item, name)
        if ref is None:
            offered = sorted({*item.assets, *(n for a in item.assets.values() for n in _band_names(a))})
            raise SceneError(f"STAC item {item.id}: no asset or eo:bands common name {name!r}; it offers "
                             f"{', '.join(offered)}; pass --assets with three of them")
        refs.append(ref)
    return refs


def url_refs(url: str, bands: tuple[int, int, int] | None) -> list[BandRef]:
    """R, G, B of one multi-band raster given by URL (`--before URL --remote`): bands 1, 2, 3 unless given."""
    return [BandRef(name, url, url, band) for name, band in zip(DEFAULT_ASSETS, bands or (1, 2, 3), strict=True)]


def read_aoi(label: str, refs: list[BandRef], bbox: BBox | None, dest: Path,
             config: RemoteConfig | None = None) -> Path:
    """Write the AOI of `refs` (R, G, B; the whole first raster when `bbox` is None) as a tiled GeoTIFF `dest`
    on the first band's grid; `label` names the source in errors (a STAC item id or a URL)."""
    bands: list[np.ndarray] = []
    profile: dict = {}
    for ref in refs:
        with _open(ref.href, config) as ds:
            if not profile:
                window = Window(0, 0, ds.width, ds.height) if bbox is None else _aoi_window(ds, bbox, label, ref)
                transform = ds.window_transform(window)
                profile = dict(driver="GTiff", crs=ds.crs, transform=transform, width=int(window.width),
                               height=int(window.height), count=len(refs), dtype=ds.dtypes[ref.band - 1],
                               nodata=ds.nodata, tiled=True, blockxsize=256, blockysize=256, compress="deflate")
            elif ds.crs != profile["crs"]:
                raise SceneError(f"{label}: asset {ref.asset!r} is in {ds.crs} but {refs[0].asset!r} "
                                 f"in {profile['crs']}; expected one CRS for the bands of a date")
            else:
                window = from_bounds(*rasterio.transform.array_bounds(profile["height"], profile["width"],
                                                                      profile["transform"]), ds.transform)
            bands.append(ds.read(ref.band, window=window, out_shape=(profile["height"], profile["width"]),
                                 boundless=True, fill_value=ds.nodata or 0, resampling=Resampling.bilinear))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(dest, "w", **profile) as dst:
        dst.write(np.stack(bands).astype(profile["dtype"]))
        dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue][: len(refs)]
        for index, ref in enumerate(refs, start=1):
            dst.set_band_description(index, ref.name)
        dst.update_tags(source=label)
    return dest


def _aoi_window(ds: DatasetReader, bbox: BBox, label: str, ref: BandRef) -> Window:
    left, bottom, right, top = transform_bounds("EPSG:4326", ds.crs, *bbox, densify_pts=21)
    window = from_bounds(left, bottom, right, top, ds.transform).round_offsets().round_lengths()
    try:
        window = window.intersection(Window(0, 0, ds.width, ds.height))
    except rasterio.errors.WindowError as err:
        raise SceneError(f"{label}: the AOI (--bbox) lies outside {ref.href}; expected a --bbox inside the "
                         "scene (a STAC item whose geometry claims it is inside has a wrong geometry)") from err
    if window.width < 16 or window.height < 16:
        raise SceneError(f"{label}: the AOI is {int(window.width)} x {int(window.height)} pixels of "
                         f"asset {ref.asset!r}; expected at least 16 x 16, enlarge --bbox")
    return window


def _open(href: str, config: RemoteConfig | None) -> AbstractContextManager[DatasetReader]:
    """A remote href through `open_remote`; a local one (a static catalog on disk) as a plain file."""
    return open_remote(href, config) if is_remote(href) else rasterio.open(href)


def _by_key(item: pystac.Item, name: str) -> BandRef | None:
    asset = item.assets.get(name)
    return None if asset is None else BandRef(name, name, asset.get_absolute_href() or asset.href, 1)


def _by_common_name(item: pystac.Item, name: str) -> BandRef | None:
    for key, asset in item.assets.items():
        for index, band_name in enumerate(_band_names(asset), start=1):
            if band_name == name:
                return BandRef(name, key, asset.get_absolute_href() or asset.href, index)
    return None


def _band_names(asset: pystac.Asset) -> list[str]:
    """Common names (else names) of the asset's bands, in file order."""
    bands = asset.extra_fields.get("eo:bands") or asset.extra_fields.get("bands") or []
    return [b.get("common_name") or b.get("eo:common_name") or b.get("name", "") for b in bands]
