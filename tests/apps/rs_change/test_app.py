"""The remote-sensing tab without a browser: the handler called directly, and the Blocks built around it."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import gradio as gr
import pytest
import rasterio

from apps.common.predictor import RunStopped, display_name
from apps.common.ui import PROBLEM, reported
from apps.rs_change import app
from apps.rs_change.app import build_demo, example_rows, run_describe
from apps.rs_change.describe import predictor
from apps.rs_change.describe.predictor import RsPredictor
from apps.rs_change.outputs.tile_map import LEGEND_HEIGHT
from apps.rs_change.synthetic.make_examples import OUT as EXAMPLES
from sve_core import SVEConfig, make_stateful
from sve_core.inference import Describer, load_describer

PAIR = [str(EXAMPLES / "before.tif"), str(EXAMPLES / "after.tif")]


@pytest.fixture(scope="module")
def stateful() -> RsPredictor:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 3 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=3)
    make_stateful(describer.model, SVEConfig())
    return RsPredictor(describer, input_size=56)


def _components(demo: gr.Blocks, kind: type) -> list:
    return [block for block in demo.blocks.values() if isinstance(block, kind)]


def test_run_shows_views_table_and_downloads(stateful: RsPredictor) -> None:
    (before, after), web_map, tiles, summary, table, files, folder, result = run_describe(
        stateful, *PAIR, 256, 3, 0.0, None
    )
    assert before.size == after.size == (488, 496)  # the overlap of the shifted pair
    assert web_map.startswith("<iframe") and "srcdoc=" in web_map and "Tile 1,1: changed" in web_map
    assert tiles.size == (488, 496 + LEGEND_HEIGHT)  # the after-scene over its legend
    assert summary.startswith("# Change summary: before.tif → after.tif") and "Tiles analysed: 4" in summary
    assert "Tiles with change: 4" in summary and "p(change) threshold" in summary  # threshold 0: all flagged
    assert [row[:2] for row in table] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert all(isinstance(row[2], bool) and 0 <= row[3] <= 1 and isinstance(row[5], str) for row in table)
    assert [Path(f).name for f in files] == ["tiles.geojson", "changes.geojson", "heatmap.tif"]
    assert len(json.loads(Path(files[0]).read_text())["features"]) == 4
    with rasterio.open(files[2]) as heat:
        assert heat.crs.to_epsg() == 32632

    assert app.show_tile_map(result, 0.6).tobytes() == tiles.tobytes()  # the redraw draws the same map
    assert app.show_tile_map(result, 0.1).tobytes() != tiles.tobytes()  # the opacity slider
    assert app.show_tile_map(result, 0.6, app.BEFORE).size == before.size and app.show_tile_map(None) is None
    *_, folder_again, _ = run_describe(stateful, *PAIR, 512, 8, 1.0, folder)
    assert not Path(folder.name).exists() and Path(folder_again.name).is_dir()  # superseded folder removed
    folder_again.cleanup()


def test_bad_uploads_show_a_message(stateful: RsPredictor, scenes, tmp_path: Path) -> None:
    good = str(scenes.write_scene(tmp_path / "before.tif"))
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    cases = [
        (str(scenes.write_scene(tmp_path / "plain.tif", crs=None)), "plain.tif: GeoTIFF raster without a CRS"),
        (
            str(scenes.write_scene(tmp_path / "far.tif", transform=scenes.utm_grid(shift=(50_000, 0)))),
            "no overlap between",
        ),
        (str(text), "notes.tif: not a GeoTIFF, PNG or JPEG"),
        (None, "upload both scenes"),
    ]
    for after, message in cases:
        with pytest.raises(gr.Error, match=message):
            run_describe(stateful, good, after, 256, 8, 0.5, None)


def test_errors_and_checks_show_next_to_the_uploads(stateful: RsPredictor, scenes, tmp_path: Path) -> None:
    good = str(scenes.write_scene(tmp_path / "before.tif"))
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    run = reported(functools.partial(run_describe, stateful), app.BLANK)
    problem, *outputs = run(good, str(text), 256, 8, 0.5, None)
    assert problem.startswith(PROBLEM) and "notes.tif" in problem and str(tmp_path) not in problem
    assert tuple(outputs) == app.BLANK  # nothing of an earlier run left under the error
    assert app.scenes_status(good, str(text), 256).startswith(PROBLEM)
    assert app.scenes_status(*PAIR, 256).startswith("✓") and app.scenes_status(good, None, 256).startswith("✓")


def test_a_run_stops_between_batches_when_asked(stateful: RsPredictor) -> None:
    with pytest.raises(RunStopped, match="stopped after 0 of 4 tiles"):
        stateful.describe(PAIR, tile_size=256, batch_size=1, progress=False, stop=lambda: True)


def test_the_summary_names_a_model_folder_by_its_name_only() -> None:
    assert display_name(str(EXAMPLES), demo=False) == EXAMPLES.name and display_name("org/m", demo=False) == "org/m"
    assert display_name(str(EXAMPLES), demo=True) == "demo model"


def test_examples_come_from_their_manifest() -> None:
    rows, labels = example_rows()
    manifest = json.loads((EXAMPLES / "examples.json").read_text())
    assert len(rows) == len(labels) == len(manifest) and rows[0] == PAIR
    assert all(Path(path).is_file() for row in rows for path in row)
    assert sum(path.stat().st_size for path in EXAMPLES.iterdir()) < 1_000_000
    assert labels[0].startswith(manifest[0]["name"])


@pytest.mark.parametrize("demo", [False, True])
def test_blocks(monkeypatch: pytest.MonkeyPatch, stateful: RsPredictor, demo: bool) -> None:
    shown = RsPredictor(
        Describer(stateful.describer.model, stateful.describer.processor, name="m", demo=demo)
    )
    monkeypatch.setattr(app.RsPredictor, "load", lambda model: shown)
    blocks = build_demo(None if demo else "m")
    assert [f.label.split(":")[0] for f in _components(blocks, gr.File)] == [
        "Before (older)",
        "After",
        "Downloads",
    ]
    assert len(_components(blocks, gr.ImageSlider)) == 1
    assert [b.value for b in _components(blocks, gr.Button)] == ["Describe the change", "Stop"]
    assert [s.label for s in _components(blocks, gr.Slider)] == [
        "Tile size (px)",
        "Batch size",
        "Change threshold: p(change)",
        "Change map opacity",
    ]
    assert _components(blocks, gr.Dataframe)[0].headers == app.TABLE_HEADERS
    banner = " ".join(m.value or "" for m in _components(blocks, gr.Markdown))
    assert ("Demo model" in banner) is demo and ("`sve serve --rs-model" in banner) is demo
    (describe,) = [fn for fn in blocks.fns.values() if fn.api_name == "rs_describe"]
    assert describe.tracks_progress  # Gradio sees the handler's gr.Progress(track_tqdm=True)


def test_tab_without_demo_model_says_how_to_make_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", tmp_path / "demo_model")
    blocks = build_demo(None)
    texts = [m.value for m in _components(blocks, gr.Markdown)]
    assert any("unavailable" in text and "train_demo_models.sh" in text for text in texts)
    assert not _components(blocks, gr.Button)
