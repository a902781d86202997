"""The one place `sve rs` opens a raster over HTTP: `open_remote`.

Remote reading is allowed for `sve rs describe --stac ...` and `--remote` only; uploads and every other path
go through the local input checks. Keeping it in a single function lets the raster input policy wrap it.

GDAL's `/vsicurl/` reads a Cloud-Optimized GeoTIFF by HTTP Range requests, so only the header and the blocks of
the windows read are transferred. GDAL retries failed requests itself (`GDAL_HTTP_MAX_RETRY`, with a delay
that doubles from `GDAL_HTTP_RETRY_DELAY`); after the last try one `RemoteSceneError` names the URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import rasterio
from rasterio.errors import RasterioIOError
from rasterio.io import DatasetReader

from apps.rs_change.errors import SceneError

REMOTE_SCHEMES = ("http://", "https://", "/vsicurl/")


class RemoteSceneError(SceneError):
    """A remote raster could not be read after the retries (HTTP error, timeout, not a raster)."""


@dataclass(frozen=True)
class RemoteConfig:
    timeout_s: int = field(default=30, metadata={"help": "seconds before one HTTP request is abandoned"})
    retries: int = field(default=3, metadata={"help": "further tries of a failed HTTP request"})
    retry_delay_s: float = field(default=0.5, metadata={"help": "first wait before a retry; doubles each time"})

    def __post_init__(self) -> None:
        if self.timeout_s < 1 or self.retries < 0 or self.retry_delay_s < 0:
            raise SceneError(f"{self}: expected timeout_s >= 1, retries >= 0 and retry_delay_s >= 0")


def is_remote(location: str) -> bool:
    return location.startswith(REMOTE_SCHEMES)


@contextmanager
def open_remote(url: str, config: RemoteConfig | None = None) -> Iterator[DatasetReader]:
    """The raster at `url` (http(s) or /vsicurl/), open in a GDAL environment that lists no directories, times
    out and retries; read it inside the `with` block (read errors there become `RemoteSceneError` too)."""
    config = config or RemoteConfig()
    if not is_remote(url):
        raise SceneError(f"{url}: expected an http(s):// or /vsicurl/ URL")
    env = rasterio.Env(
        GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR",  # no directory listing: one request for the header
        GDAL_HTTP_TIMEOUT=config.timeout_s,
        GDAL_HTTP_CONNECTTIMEOUT=config.timeout_s,
        GDAL_HTTP_MAX_RETRY=config.retries,
        GDAL_HTTP_RETRY_DELAY=config.retry_delay_s,
        GDAL_HTTP_RETRY_CODES="429,500,502,503,504",
        VSI_CACHE=True,
    )
    path = url if url.startswith("/vsicurl/") else f"/vsicurl/{url}"
    with env:
        try:
            with rasterio.open(path) as dataset:
                yield dataset
        except RasterioIOError as err:  # opening, or a window read in the caller's block
            raise RemoteSceneError(
                f"{url}: could not be read after {config.retries + 1} tries ({err}); check the URL and the "
                "server, or raise --http-timeout / --http-retries"
            ) from err
