"""Bitemporal (and multi-date) remote-sensing change captioning: the model-independent half.

Ingestion (`open_pair`, `open_series` -> `SceneSeries.tiles()`), outputs (`to_geojson`, `write_heatmap`,
`summary_markdown` from `TileResult`s), the instruction `CHANGE_PROMPT`, and the synthetic LEVIR-CC-style
generator (`python -m apps.rs_change.synthetic.make_dataset`).
Sub-packages by concern: `scene/` (inputs), `describe/` (the model's view), `outputs/` (saved files),
`synthetic/` (generated data); `app.py`, `cli.py` and `evaluate.py` build on them.
"""

from apps.rs_change.errors import SceneError
from apps.rs_change.outputs.geojson import to_geojson
from apps.rs_change.outputs.heatmap_geotiff import write_heatmap
from apps.rs_change.outputs.results import TileResult
from apps.rs_change.outputs.summary import summary_markdown
from apps.rs_change.scene.config import IngestConfig
from apps.rs_change.scene.grid import Grid
from apps.rs_change.scene.ingest import SceneSeries, open_pair, open_series
from apps.rs_change.scene.tiling import Tile, TileFootprint
from evaluation.datasets.levir_cc import PROMPT as CHANGE_PROMPT

__all__ = [
    "CHANGE_PROMPT",
    "Grid",
    "IngestConfig",
    "SceneError",
    "SceneSeries",
    "Tile",
    "TileFootprint",
    "TileResult",
    "open_pair",
    "open_series",
    "summary_markdown",
    "to_geojson",
    "write_heatmap",
]
