"""The tile map: one step's verdicts drawn over the later date's quicklook (the UI's picture, tiles.png).

Changed tiles get their change map blended on (their p(change), uniformly, for models without maps), a red
outline and their (row, col) label, which is how the tile table and the GeoJSON name them; unchanged tiles a
thin grey outline; change polygons a cyan outline. The maps share one scale for the whole scene: 0 to the
largest map value of the step, which the legend strip below the picture prints. Where tiles overlap, the
stronger heat wins.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from apps.common.overlay import colour_ramp, font, heatmap_overlay
from apps.rs_change.calibration import ChangeCalibration
from apps.rs_change.outputs.polygons import change_polygons
from apps.rs_change.outputs.results import ChangeStep, TileResult
from apps.rs_change.scene.quicklook import Quicklook
from apps.rs_change.scene.tiling import TileFootprint

CHANGED = (230, 40, 40)
UNCHANGED = (170, 170, 170)
POLYGON = (0, 200, 230)
LEGEND_HEIGHT = 34


def tile_map(
    change: ChangeStep, quicklook: Quicklook, calibration: ChangeCalibration, *, opacity: float = 0.6
) -> Image.Image:
    """One step's verdicts drawn over the quicklook of its later date, the change maps at `opacity`, with the
    change polygons at `calibration`'s map threshold."""
    base = Image.fromarray(quicklook.images[change.after])
    heat = np.zeros((base.height, base.width), np.float32)  # (h, w) on the quicklook
    for tile in change.changed:
        left, top, right, bottom = quicklook.box(tile.tile.window)
        heat[top:bottom, left:right] = np.fmax(
            heat[top:bottom, left:right], _heat(tile, right - left, bottom - top)
        )
    scale = scene_scale(change.tiles)
    image = heatmap_overlay(base, heat / scale, alpha=opacity)
    draw = ImageDraw.Draw(image)
    for polygon in change_polygons(change.tiles, calibration.map_threshold):
        for ring in polygon.geometry["coordinates"]:
            draw.line([_canvas_point(quicklook, polygon.tile.tile, x, y) for x, y in ring], fill=POLYGON, width=1)
    for tile in sorted(change.tiles, key=lambda t: t.changed):  # changed outlines on top
        left, top, right, bottom = quicklook.box(tile.tile.window)
        colour = CHANGED if tile.changed else UNCHANGED
        draw.rectangle((left, top, right - 1, bottom - 1), outline=colour, width=2 if tile.changed else 1)
        if tile.changed:
            draw.text((left + 4, top + 3), "{},{}".format(*tile.tile.index), fill=colour)
    return with_legend(image, scale, calibration.threshold)


def scene_scale(tiles: list[TileResult]) -> float:
    """The step's largest change-map value (1 without maps, where the overlay is p(change)): the legend's top."""
    peaks = [float(np.nanmax(t.heatmap)) for t in tiles if t.heatmap is not None and np.isfinite(t.heatmap).any()]
    return max([*peaks, 1e-6]) if peaks else 1.0


def with_legend(image: Image.Image, scale: float, threshold: float) -> Image.Image:
    """`image` above a legend strip: the colour ramp from 0 to `scale` and what the outlines mean."""
    width = max(image.width, 360)
    legend = Image.new("RGB", (width, LEGEND_HEIGHT), "white")
    legend.paste(colour_ramp(160, 10), (8, 6))
    draw, small = ImageDraw.Draw(legend), font(12)
    top = f"{scale:.3g}"
    draw.text((8, 18), "0", fill="black", font=small)
    draw.text((88 - draw.textlength("change map", font=small) / 2, 18), "change map", fill="black", font=small)
    draw.text((168 - draw.textlength(top, font=small), 18), top, fill="black", font=small)
    draw.text((184, 4), f"red: p(change) >= {threshold:.2f}", fill=CHANGED, font=small)
    draw.text((184, 18), "cyan: change polygons", fill=POLYGON, font=small)
    canvas = Image.new("RGB", (width, image.height + LEGEND_HEIGHT), "white")
    canvas.paste(image, (0, 0))
    canvas.paste(legend, (0, image.height))
    return canvas


def _canvas_point(quicklook: Quicklook, tile: TileFootprint, x: float, y: float) -> tuple[float, float]:
    """A point in the grid's CRS on the quicklook canvas."""
    col, row = ~tile.transform @ (x, y)
    return (tile.window.col_off + col) * quicklook.scale, (tile.window.row_off + row) * quicklook.scale


def _heat(tile: TileResult, width: int, height: int) -> np.ndarray:
    """(height, width) heat of a changed tile, NaN (no opinion) read as 0."""
    if tile.heatmap is None:
        return np.full((height, width), tile.score, np.float32)
    heatmap = np.nan_to_num(np.asarray(tile.heatmap, np.float32), nan=0.0)
    return np.asarray(Image.fromarray(heatmap).resize((width, height), Image.Resampling.BILINEAR), np.float32)
