"""`SceneResult`: what the change model said about a scene series, tile by tile, and the files it is saved as.

A series of N dates has N - 1 `ChangeStep`s (date k -> date k + 1, oldest first); a pair has one. Output files
(`write`), all on the reference grid (alignment.py) cropped to the overlap:
  tiles.geojson   every tile of every step as a lon/lat polygon with its p(change), flag, changed area, caption,
                  caption/flag disagreement and the `step`, `before` and `after` it belongs to
  changes.geojson the change polygons (polygons.py) of every step: area m², mean change-map value, p(change),
                  caption; neither GeoJSON for plain images (no georeference: geojson.NO_GEOREFERENCE)
  heatmap.tif     the change map of a pair (raw SVE key dissimilarity, one scale for every tile and scene; each
                  tile's p(change) for models without maps); a series writes heatmap_step<k>.tif per step
  report.md       how many tiles changed and the most changed ones, per step, with the threshold and warnings
  tiles.json      the same verdicts with pixel windows, and for plain images the change polygons in pixel
                  coordinates, plus the grid, the model, the calibration and the run's settings
  tiles.png       the tile map (tile_map.py) over the later date's quicklook, with its legend; tiles_step<k>.png
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import shape

from apps.common.predictor import display_name
from apps.rs_change.calibration import ChangeCalibration
from apps.rs_change.outputs.geojson import NO_GEOREFERENCE, changes_geojson, to_geojson
from apps.rs_change.outputs.heatmap_geotiff import MAP_LEGEND, write_heatmap
from apps.rs_change.outputs.polygons import change_polygons
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
    calibration: ChangeCalibration = field(default_factory=ChangeCalibration)  # thresholds the flags used
    warnings: tuple[str, ...] = ()  # from ingestion, e.g. different sensors or resolutions

    @property
    def georeferenced(self) -> bool:
        return self.grid.crs is not None

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
        parts = [f"**Warning:** {warning}\n" for warning in self.warnings]
        parts += [
            summary_markdown(step.tiles, title=f"Change summary: {self.step_title(step)}")
            for step in self.steps
        ]
        demo = " (embedded, trained on synthetic scenes only)" if self.demo else ""
        space = "" if self.georeferenced else f" Coordinates: pixels (x = column, y = row); {NO_GEOREFERENCE}."
        parts.append(
            f"_Model: {display_name(self.model, self.demo)}{demo}; {self.calibration.describe()}; {self.tile_size} px tiles, overlap "
            f"{self.overlap} px; {self.skipped} mostly invalid tile(s) skipped; {self.tiles_per_second:.2f} "
            f"tiles/s.{space}_\n\n{MAP_LEGEND}\n"
        )
        return "\n".join(parts)

    def geojson(self, layer: str = "tiles") -> dict[str, Any]:
        """Every step's tiles (`layer="tiles"`) or change polygons (`"changes"`) in one FeatureCollection;
        filter on `step` to map one of them. Raises `SceneError` for plain images."""
        collection: dict[str, Any] = {"type": "FeatureCollection", "features": []}
        for number, step in enumerate(self.steps, start=1):
            part = to_geojson(step.tiles) if layer == "tiles" else changes_geojson(change_polygons(step.tiles, self.calibration.map_threshold))
            for feature in part["features"]:
                feature["properties"].update(
                    step=number, before=self.names[step.before], after=self.names[step.after]
                )
            collection["features"] += part["features"]
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
            "calibration": asdict(self.calibration),
            "warnings": list(self.warnings),
            "coordinate_space": "crs" if self.georeferenced else "pixel",
            "steps": [self._step_record(step) for step in self.steps],
        }

    def _step_record(self, step: ChangeStep) -> dict[str, Any]:
        record = {
            "before": self.names[step.before],
            "after": self.names[step.after],
            "tiles": [_tile_record(tile) for tile in step.tiles],
        }
        if not self.georeferenced:  # the change polygons have no GeoJSON home: pixel coordinates here
            record["changes"] = [
                {"geometry": polygon.geometry, "area_px": round(shape(polygon.geometry).area, 1),
                 "mean_score": round(polygon.mean_score, 4), "row": polygon.tile.tile.index[0],
                 "col": polygon.tile.tile.index[1]}
                for polygon in change_polygons(step.tiles, self.calibration.map_threshold)
            ]
        return record

    def write(self, out: str | Path) -> list[Path]:
        """Write the files listed in the module docstring into `out` (created); returns their paths."""
        layers = {f"{layer}.geojson": self.geojson(layer) for layer in ("tiles", "changes") if self.georeferenced}
        out = Path(out)  # the GeoJSON is built first: a CRS it cannot express leaves no half-written folder
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "report.md", out / "tiles.json"]
        paths[0].write_text(self.report(), encoding="utf-8")
        paths[1].write_text(json.dumps(self.record(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        for name, collection in layers.items():
            paths.append(out / name)
            paths[-1].write_text(json.dumps(collection) + "\n", encoding="utf-8")
        for index, step in enumerate(self.steps):
            paths.append(write_heatmap(out / self.step_file("heatmap", index, ".tif"), step.tiles, self.grid))
            paths.append(out / self.step_file("tiles", index, ".png"))
            tile_map(self.steps[index], self.quicklook, self.calibration).save(paths[-1])
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
        "p_change": round(tile.score, 4),
        "changed_area": round(tile.area, 4),
        "disagreement": tile.note,
    }
