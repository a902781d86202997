"""Raster policy: which files GDAL may open for us, and how much work one scene may ask for.

GDAL picks a driver by content, not by extension: a VRT or GDAL_WMS XML saved as ``.tif`` would read any file
the server can read, or call any URL (``/vsicurl/``), on the uploader's behalf. So a scene is opened only

- by one driver of `ALLOWED_DRIVERS`, named to GDAL up front (``driver=``), chosen from the file's magic bytes
  (TIFF, PNG, JPEG) and checked again on the opened dataset;
- from a local regular file, never a ``/vsi*`` path or a URL, unless the caller passes ``allow_remote=True``
  for a URL the user typed on the command line (STAC/COG input), which is then read as a GeoTIFF only;
- with GDAL's sibling-file probing, auxiliary ``.aux.xml`` files and its network file systems switched off
  (`gdal_env`), so nothing but the named file is read and nothing is written next to it.

JPEG 2000 (Sentinel-2 ``.jp2``) is deliberately not allowed: its GML boxes can reference other resources.
Convert with ``gdal_translate -of COG in.jp2 out.tif`` first.

Work per run is capped before it starts: `check_tile_count` refuses a scene needing more than
`DEFAULT_MAX_TILES` tiles (``--max-tiles``), and a file whose internal blocks or untiled pixels are too large to
read window by window is refused at open (`MAX_BLOCK_BYTES`, `MAX_UNTILED_PIXELS`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.io import DatasetReader

from apps.common.policy.errors import InputRefused

# magic bytes -> GDAL driver. COGs are GeoTIFFs (GDAL's COG driver only writes).
MAGIC: dict[bytes, str] = {
    b"II*\x00": "GTiff", b"MM\x00*": "GTiff", b"II+\x00": "GTiff", b"MM\x00+": "GTiff",  # TIFF, BigTIFF
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
}
ALLOWED_DRIVERS = ("GTiff", "PNG", "JPEG")
REMOTE_DRIVERS = ("GTiff",)
REMOTE_SCHEMES = ("https://", "http://")
DEFAULT_MAX_TILES = 20_000  # ~1.3 gigapixels at 256 px: minutes of interactive work, not hours
MAX_BLOCK_BYTES = 256 * 2**20  # one internal block (strip or tile) of all bands; GDAL decodes a block whole
MAX_UNTILED_PIXELS = 100_000_000  # PNG/JPEG decode from the top to reach any window


def gdal_env(*, allow_remote: bool = False) -> rasterio.Env:
    """GDAL configuration under which untrusted rasters are opened and read."""
    options = {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",  # no sibling probing (.ovr, .aux.xml, .msk, world files)
        "GDAL_PAM_ENABLED": "NO",  # never read or write .aux.xml next to an input
        "GDAL_HTTP_MAX_RETRY": "0",
        "GDAL_HTTP_TIMEOUT": "30",
        "GDAL_HTTP_CONNECTTIMEOUT": "10",
        "GDAL_HTTP_UNSAFESSL": "NO",
        "CPL_VSIL_CURL_USE_HEAD": "NO",
    }
    # Remote reads are limited to GeoTIFF URLs; local runs allow no URL at all, whatever a file references.
    options["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"] = ".tif,.tiff" if allow_remote else ".sve-no-remote-reads"
    return rasterio.Env(**options)


@contextmanager
def open_raster(source: str | Path, *, allow_remote: bool = False) -> Iterator[DatasetReader]:
    """Open a scene under the raster policy; raises `InputRefused` (one line: file, reason, what to do).

    `source` is a local file, or with `allow_remote=True` an http(s) URL the user typed (read through
    ``/vsicurl/`` as a GeoTIFF/COG). Never pass `allow_remote=True` for anything an upload or a file's
    content supplied. The GDAL settings of `gdal_env` stay in force while the dataset is open.
    """
    text = str(source)
    remote = text.startswith(REMOTE_SCHEMES)
    if remote and not allow_remote:
        raise InputRefused(f"{text}: remote input is not allowed here; download the file, or pass a URL on the "
                           "command line of a command that reads remote scenes")
    if remote:
        name, gdal_path, driver = text, "/vsicurl/" + text, "GTiff"
    else:
        path = Path(text)
        name = path.name
        _check_local(path)
        driver = _sniff(path)
        gdal_path = str(path.resolve())
    with gdal_env(allow_remote=remote), warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        try:
            dataset = rasterio.open(gdal_path, driver=driver)
        except RasterioIOError as err:
            raise InputRefused(f"{name}: not a readable {driver} file ({_gdal_reason(err, gdal_path)}); "
                               "expected a GeoTIFF, PNG or JPEG") from err
        with dataset:
            _check_opened(dataset, name, driver, REMOTE_DRIVERS if remote else ALLOWED_DRIVERS)
            yield dataset


def tile_count(width: int, height: int, size: int, overlap: int = 0) -> int:
    """Tiles of `size` px (sharing `overlap` px) needed to cover width x height, without listing them."""
    step = max(size - overlap, 1)
    return _along(width, size, step) * _along(height, size, step)


def check_tile_count(count: int, *, max_tiles: int = DEFAULT_MAX_TILES, name: str = "the scene") -> None:
    """Refuse a run of more than `max_tiles` tiles before any is read."""
    if count > max_tiles:
        raise InputRefused(f"{name}: {count:,} tiles at this tile size, over the limit of {max_tiles:,} per run; "
                           "crop the scene, use larger tiles, or raise the limit with --max-tiles")


def check_scene_tiles(first_scene: str | Path, size: int, overlap: int = 0, *,
                      max_tiles: int = DEFAULT_MAX_TILES, allow_remote: bool = False) -> None:
    """`check_tile_count` from the first scene's header alone (later dates are warped onto its grid, so its
    size bounds the run), before any pixel of any scene is read."""
    with open_raster(first_scene, allow_remote=allow_remote) as dataset:
        count = tile_count(dataset.width, dataset.height, size, overlap)
    check_tile_count(count, max_tiles=max_tiles, name=Path(str(first_scene)).name)


def _along(extent: int, size: int, step: int) -> int:
    return 1 if extent <= size else 1 + math.ceil((extent - size) / step)


def _check_local(path: Path) -> None:
    if str(path).startswith("/vsi"):
        raise InputRefused(f"{path.name}: GDAL virtual paths are not accepted; pass a local file")
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "no such file"
        raise InputRefused(f"{path.name}: {kind}; expected a GeoTIFF, PNG or JPEG file")
    if path.stat().st_size == 0:
        raise InputRefused(f"{path.name}: the file is empty (0 bytes); expected a GeoTIFF, PNG or JPEG")


def _sniff(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(8)
    for magic, driver in MAGIC.items():
        if head.startswith(magic):
            return driver
    raise InputRefused(f"{path.name}: not a GeoTIFF, PNG or JPEG (by its content, whatever its extension); "
                       "VRT, GDAL_WMS and other formats are not accepted: convert with gdal_translate -of COG")


def _check_opened(dataset: DatasetReader, name: str, driver: str, allowed: tuple[str, ...]) -> None:
    if dataset.driver != driver or dataset.driver not in allowed:
        raise InputRefused(f"{name}: GDAL opened it as {dataset.driver}; only {', '.join(allowed)} are allowed")
    if dataset.count < 1 or dataset.width < 1 or dataset.height < 1:
        raise InputRefused(f"{name}: no pixels ({dataset.width}x{dataset.height}, {dataset.count} bands)")
    block_rows, block_cols = dataset.block_shapes[0]
    item = max(np.dtype(dtype).itemsize for dtype in dataset.dtypes)
    block = block_rows * block_cols * item * dataset.count
    if block > MAX_BLOCK_BYTES:
        raise InputRefused(f"{name}: one internal block is {block / 2**20:,.0f} MiB (over {MAX_BLOCK_BYTES // 2**20} "
                           "MiB) and would be decoded whole; rewrite it tiled: gdal_translate -of COG")
    if driver != "GTiff" and dataset.width * dataset.height > MAX_UNTILED_PIXELS:
        raise InputRefused(f"{name}: {dataset.width}x{dataset.height} px in a {driver}, over {MAX_UNTILED_PIXELS:,} "
                           "pixels; a large scene must be a tiled GeoTIFF (gdal_translate -of COG)")


def _gdal_reason(err: Exception, gdal_path: str) -> str:
    """GDAL's first line without the path it opened (an upload's temporary path is not for users)."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text.replace(gdal_path, "the file")[:160]
