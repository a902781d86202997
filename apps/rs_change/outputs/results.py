"""`TileResult`: what a change model said about one tile, and `ChangeStep`: the tiles of one pair of dates; the only
inputs the output writers need."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from apps.rs_change.errors import SceneError
from apps.rs_change.scene.tiling import TileFootprint


@dataclass(frozen=True, eq=False)
class TileResult:
    """One tile's verdict (verdict.py). `heatmap` may have any (h, w): it is resized onto the tile's window
    when written; its values are raw change-map units, one scale for the whole scene; NaN marks pixels without an
    opinion (e.g. where `tile.valid_mask` is False). Without a heatmap the tile's `score` stands for all its
    pixels."""

    tile: TileFootprint  # a `Tile` works too, but `tile.footprint()` keeps memory low on huge scenes
    caption: str
    changed: bool
    score: float  # p(change) in [0, 1]
    heatmap: np.ndarray | None = None
    area: float = 0.0  # share of the tile's valid pixels whose map value reaches the map threshold
    note: str = ""  # how the caption disagrees with the flag (verdict.disagreement), '' when they agree

    @property
    def rank(self) -> tuple[float, float]:
        """Sort key, most changed last: p(change), then changed area."""
        return (self.score, self.area)

    def __post_init__(self) -> None:
        if not math.isfinite(self.score):
            raise SceneError(f"TileResult for tile {self.tile.index}: score={self.score!r}; expected a finite number")
        if self.heatmap is not None and (self.heatmap.ndim != 2 or min(self.heatmap.shape) < 1):
            raise SceneError(f"TileResult for tile {self.tile.index}: heatmap shape {self.heatmap.shape}; "
                             "expected a non-empty 2-D array (h, w)")


@dataclass(frozen=True)
class ChangeStep:
    """Verdicts on one consecutive pair of dates (0-based indexes into the series)."""

    before: int
    after: int
    tiles: list[TileResult]

    @property
    def changed(self) -> list[TileResult]:
        """Tiles flagged as changed, most changed first (by p(change), then changed area)."""
        return sorted((t for t in self.tiles if t.changed), key=lambda t: t.rank, reverse=True)
