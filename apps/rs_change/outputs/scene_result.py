"""`SceneResult`: what the change model said about a scene series, tile by tile, and the files it is saved as.

A series of N dates has N - 1 `ChangeStep`s (date k -> date k + 1, oldest first); a pair has one. Output files
(`write`), all on the first date's grid cropped to the overlap:
  tiles.geojson   every tile of every step as an EPSG:4326 polygon (pixel coordinates for PNG pairs) with its
                  caption, change flag, score and the `step`, `before` and `after` it belongs to
  heatmap.tif     the change heatmap GeoTIFF of a pair; a series writes heatmap_step<k>.tif per step instead
  report.md       how many tiles changed and the most changed ones, per step
  tiles.json      the same verdicts with pixel windows, plus the grid, the model and the run's settings
  tiles.png       the tile map (tile_map.py) over the later date's quicklook; tiles_step<k>.png for a series
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apps.rs_change.outputs.geojson import to_geojson
from apps.rs_change.outputs.heatmap_geotiff import write_heatmap
from apps.rs_change.outputs.results import ChangeStep, TileResult
from apps.rs_change.outputs.summary import summary_markdown
from apps.rs_change.outputs.tile_map import tile_map
from apps.rs_change.scene.grid import Grid
from apps.rs_change.scene.quicklook import Quicklook


@dataclass(frozen=True)
class SceneResult:
    names: tuple[str, ...]  # scene file names, oldest first
    grid: Grid  # where tiles and outputs live: the first date's grid cropped to the overlap
    steps: list[ChangeStep]
    quicklook: Quicklook  # small pictures of every date, for viewers
    tile_size: int
    overlap: int
    skipped: int  # tile positions left out as mostly invalid (nodata, masks, outside a warped footprint)
    model: str
    demo: bool  # True when the embedded demo model ran
    seconds: float  # ingestion and model time for all tiles

    @property
    def tiles_per_second(self) -> float:
        analysed = len(self.steps[0].tiles) if self.steps else 0
        return analysed / self.seconds if self.seconds > 0 else 0.0

    def step_title(self, step: ChangeStep) -> str:
        return f"{self.names[step.before]} → {self.names[step.after]}"

    def step_file(self, stem: str, index: int, suffix: str) -> str:
        """File name of step `index`'s (0-based) output: `stem` + `suffix` for a pair, one numbered file per
        step for a series."""
        return f"{stem}{suffix}" if len(self.steps) == 1 else f"{stem}_step{index + 1}{suffix}"

    def report(self) -> str:
        """Markdown: per step the counts and the most changed tiles, then what produced them."""
        parts = [
            summary_markdown(step.tiles, title=f"Change summary: {self.step_title(step)}")
            for step in self.steps
        ]
        demo = " (embedded demo model, trained on synthetic scenes only)" if self.demo else ""
        parts.append(
            f"_Model: {self.model}{demo}; {self.tile_size} px tiles, overlap {self.overlap} px; "
            f"{self.skipped} mostly invalid tile(s) skipped; {self.tiles_per_second:.2f} tiles/s._\n"
        )
        return "\n".join(parts)

    def geojson(self) -> dict[str, Any]:
        """Every step's tiles in one FeatureCollection; filter on `step` to map one of them."""
        collection: dict[str, Any] = {"type": "FeatureCollection", "features": []}
        for number, step in enumerate(self.steps, start=1):
            part = to_geojson(step.tiles)
            for feature in part["features"]:
                feature["properties"].update(
                    step=number, before=self.names[step.before], after=self.names[step.after]
                )
            collection["features"] += part["features"]
            collection.update({k: v for k, v in part.items() if k not in ("type", "features")})
        return collection

    def record(self) -> dict[str, Any]:
        """tiles.json: verdicts with pixel windows on `grid`, and the settings that produced them."""
        return {
            "model": self.model,
            "demo": self.demo,
            "scenes": list(self.names),
            "crs": self.grid.crs.to_string() if self.grid.crs else None,
            "transform": list(self.grid.transform)[:6],
            "width": self.grid.width,
            "height": self.grid.height,
            "tile_size": self.tile_size,
            "overlap": self.overlap,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "steps": [
                {
                    "before": self.names[step.before],
                    "after": self.names[step.after],
                    "tiles": [_tile_record(tile) for tile in step.tiles],
                }
                for step in self.steps
            ],
        }

    def write(self, out: str | Path) -> list[Path]:
        """Write the files listed in the module docstring into `out` (created); returns their paths."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "tiles.geojson", out / "report.md", out / "tiles.json"]
        paths[0].write_text(json.dumps(self.geojson()) + "\n", encoding="utf-8")
        paths[1].write_text(self.report(), encoding="utf-8")
        paths[2].write_text(json.dumps(self.record(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        for index, step in enumerate(self.steps):
            paths.append(write_heatmap(out / self.step_file("heatmap", index, ".tif"), step.tiles, self.grid))
            paths.append(out / self.step_file("tiles", index, ".png"))
            tile_map(self.steps[index], self.quicklook).save(paths[-1])
        return paths


def _tile_record(tile: TileResult) -> dict[str, Any]:
    window = tile.tile.window
    row, col = tile.tile.index
    return {
        "row": row,
        "col": col,
        "window": [int(window.col_off), int(window.row_off), int(window.width), int(window.height)],
        "bounds": list(tile.tile.bounds),
        "caption": tile.caption,
        "changed": tile.changed,
        "score": round(tile.score, 4),
    }
