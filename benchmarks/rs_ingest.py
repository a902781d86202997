"""Ingestion benchmark for apps/rs_change: peak memory and tiles/s over a 10,000 x 10,000 GeoTIFF pair.

    python benchmarks/rs_ingest.py [--size 10000] [--tile 256]

Creates (in a temporary directory, removed afterwards) a 4-band uint16 pair, tiled and deflate-compressed,
written block-row by block-row so creating it is bounded too; the after-scene is in Web Mercator on a shifted
grid, so every tile is warped. Then opens the pair and reads every 256 x 256 tile (the model is excluded).
Creation runs in a child process, so the peak RSS printed is ingestion's own. Targets: < 1.5 GB, >= 50 tiles/s.
Wall-clock tiles/s depends on what else runs on the machine, so CPU time is printed too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin
from rasterio.warp import transform_bounds

from apps.rs_change import open_pair

UTM = CRS.from_epsg(32632)
WEB_MERCATOR = CRS.from_epsg(3857)


def write_scene(path: Path, crs: CRS, transform, size: int, seed: int) -> None:
    """A textured 4-band uint16 scene, one 256-row strip at a time (about 20 MB each at 10,000 columns)."""
    rng = np.random.default_rng(seed)
    grain = rng.integers(0, 400, (4, 256, 256), dtype=np.uint16)  # reused texture: cheap, still compressible-ish
    cols = np.arange(size)
    profile = dict(driver="GTiff", width=size, height=size, count=4, dtype="uint16", crs=crs, transform=transform,
                   tiled=True, blockxsize=256, blockysize=256, compress="deflate", zlevel=1, nodata=0,
                   bigtiff="IF_SAFER")
    with rasterio.open(path, "w", **profile) as dst:
        for top in range(0, size, 256):
            rows = np.arange(top, min(top + 256, size))[:, None]
            base = 1500 + 700 * np.sin(rows / 300.0) * np.cos(cols / 410.0)  # (rows, size)
            strip = np.empty((4, len(rows), size), np.uint16)
            for band in range(4):
                tiled_grain = np.tile(grain[band, : len(rows)], (1, size // 256 + 1))[:, :size]
                strip[band] = (base * (1 + 0.15 * band)).astype(np.uint16) + tiled_grain
            dst.write(strip, window=((top, top + len(rows)), (0, size)))


def create_pair(folder: Path, size: int) -> tuple[Path, Path]:
    """Before: UTM 32N at 10 m. After: Web Mercator at 14.4 m (about 10 m at 46 N), shifted by ~3% of the scene."""
    before, after = folder / "before.tif", folder / "after.tif"
    west, north = 500_000.0, 5_100_000.0
    write_scene(before, UTM, from_origin(west, north, 10.0, 10.0), size, seed=0)
    shift = 0.03 * size * 10.0
    mw, ms, me, mn = transform_bounds(UTM, WEB_MERCATOR, west + shift, north - size * 10 - shift,
                                      west + size * 10 + shift, north - shift)
    res = (me - mw) / size
    write_scene(after, WEB_MERCATOR, from_origin(mw, mn, res, res), size, seed=1)
    return before, after


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="scene width and height in pixels")
    parser.add_argument("--tile", type=int, default=256, help="tile size in pixels")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rs_ingest_") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=create_pair, args=(folder, args.size))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"creating the scenes failed (exit code {child.exitcode})")
        on_disk = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(f"created 2 x {args.size}x{args.size} 4-band uint16 GeoTIFFs ({on_disk:.0f} MiB on disk) "
              f"in {time.perf_counter() - start:.1f} s")
        baseline = peak_rss_mb()
        tracemalloc.start()
        start, cpu_start = time.perf_counter(), time.process_time()
        series = open_pair(folder / "before.tif", folder / "after.tif")
        opened = time.perf_counter() - start
        tiles = pixels = 0
        for tile in series.tiles(size=args.tile):
            tiles += 1
            pixels += tile.valid_mask.sum()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"overlap grid {series.grid.width}x{series.grid.height}, {tiles} tiles of {args.tile} px "
          f"({pixels / 1e6:.0f} M valid pixels)")
    print(f"open_pair (checks + joint stretch): {opened:.2f} s")
    print(f"ingest + tile: {elapsed:.1f} s -> {tiles / elapsed:.1f} tiles/s (target >= 50); CPU time {cpu:.1f} s "
          f"(all threads) -> {tiles / cpu:.1f} tiles per CPU-second, the figure to compare on a busy machine")
    print(f"peak RSS {peak_rss_mb():.0f} MB (after imports {baseline:.0f} MB; target < 1500), "
          f"tracemalloc peak {traced_peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
