"""The tile map: one step's verdicts drawn over the later date's quicklook (the UI's picture, tiles.png).

Changed tiles get their heatmap blended on (their score, uniformly, for models without heatmaps), a red
outline and their (row, col) label, which is how the tile table and the GeoJSON name them; unchanged tiles a
thin grey outline. Where tiles overlap, the stronger heat wins.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from apps.common.overlay import heatmap_overlay
from apps.rs_change.outputs.results import ChangeStep, TileResult
from apps.rs_change.scene.quicklook import Quicklook

CHANGED = (230, 40, 40)
UNCHANGED = (170, 170, 170)


def tile_map(change: ChangeStep, quicklook: Quicklook) -> Image.Image:
    """One step's verdicts drawn over the quicklook of its later date."""
    base = Image.fromarray(quicklook.images[change.after])
    heat = np.zeros((base.height, base.width), np.float32)  # (h, w) on the quicklook
    for tile in change.changed:
        left, top, right, bottom = quicklook.box(tile.tile.window)
        heat[top:bottom, left:right] = np.fmax(
            heat[top:bottom, left:right], _heat(tile, right - left, bottom - top)
        )
    image = heatmap_overlay(base, heat)
    draw = ImageDraw.Draw(image)
    for tile in sorted(change.tiles, key=lambda t: t.changed):  # changed outlines on top
        left, top, right, bottom = quicklook.box(tile.tile.window)
        colour = CHANGED if tile.changed else UNCHANGED
        draw.rectangle((left, top, right - 1, bottom - 1), outline=colour, width=2 if tile.changed else 1)
        if tile.changed:
            draw.text((left + 4, top + 3), "{},{}".format(*tile.tile.index), fill=colour)
    return image


def _heat(tile: TileResult, width: int, height: int) -> np.ndarray:
    """(height, width) heat of a changed tile, NaN (no opinion) read as 0."""
    if tile.heatmap is None:
        return np.full((height, width), tile.score, np.float32)
    heatmap = np.nan_to_num(np.asarray(tile.heatmap, np.float32), nan=0.0)
    return np.asarray(Image.fromarray(heatmap).resize((width, height), Image.Resampling.BILINEAR), np.float32)
