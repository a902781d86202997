"""The chest X-ray tab without a browser: the handlers called directly (the examples, redraws, bad uploads,
the download folder's clean-up) and the Blocks built around them (banner, components, cache clean-up)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from types import ModuleType

import gradio as gr
import pytest
from PIL import Image

from apps.common.ui import PROBLEM, reported
from apps.cxr import app
from apps.cxr.app import DELETE_CACHE, build_demo, example_rows, run_compare, show_views, upload_status
from apps.cxr.dicom.windows import WINDOW_PRESETS
from apps.cxr.phantoms.make_examples import OUT as EXAMPLES
from apps.cxr.report import predictor
from apps.cxr.report.predictor import CxrPredictor, CxrResult
from sve_core import SVEConfig, make_stateful
from sve_core.inference import Describer, load_describer


@pytest.fixture(scope="module")
def stateful() -> CxrPredictor:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 4 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=4)
    make_stateful(describer.model, SVEConfig())
    return CxrPredictor(describer)


def _components(demo: gr.Blocks, kind: type) -> list:
    return [block for block in demo.blocks.values() if isinstance(block, kind)]


def test_examples_run_and_downloads_are_cleaned_up(stateful: CxrPredictor) -> None:
    (files_row, zip_row), _ = example_rows()
    (notes, report, answer, table, prior, current, prior_caption, current_caption, viewer, downloads, result,
     folder) = run_compare(stateful, *files_row, False, False, "lung", True, 0.6, None)
    assert "cxrv-" in viewer  # the interactive viewer of this result
    assert isinstance(result, CxrResult) and answer == result.steps[0].comparison.answer and report
    rows = table.data.values.tolist()
    assert len(rows) == 27 and list(table.data.columns) == app.FINDINGS_HEADERS
    changed = [row.changed for row in result.steps[0].comparison.rows]
    assert [row[0] not in ("Stable", "Not stated") for row in rows] == sorted(changed, reverse=True)  # first
    assert all(row[0][0].isupper() for row in rows)  # the report's words: "New", "Resolved", ...
    assert prior_caption.startswith("**Prior:**") and "view" in current_caption
    assert isinstance(prior, Image.Image) and isinstance(current, Image.Image)
    assert [Path(path).name for path in downloads] == ["report.json", "report.md"]
    assert json.loads(Path(downloads[0]).read_text())["comparisons"][0]["answer"] == answer
    again = run_compare(stateful, *zip_row, False, False, "default", False, 0.6, folder)
    assert (
        not Path(folder.name).exists() and Path(again[-1].name).is_dir()
    )  # the previous run's folder is gone
    app.remove_folder(again[-1])
    assert not Path(again[-1].name).exists()


def test_redraw_with_windows_and_heatmap(stateful: CxrPredictor) -> None:
    rows, _ = example_rows()
    result = run_compare(stateful, *rows[0], False, False, "default", False, 0.6, None)[-2]
    plain = show_views(result, "default", False)
    assert plain[0].tobytes() == result.view(0).tobytes() and plain[1].tobytes() == result.view(1).tobytes()
    assert show_views(result, "bone", False)[0].tobytes() != plain[0].tobytes()
    assert show_views(result, "default", True)[1].tobytes() != plain[1].tobytes()
    assert show_views(None, "lung", True) == (None, None)


def test_swapped_studies_are_noted(stateful: CxrPredictor) -> None:
    rows, _ = example_rows()
    prior, current = rows[0]
    notes = run_compare(stateful, current, prior, False, False, "default", True, 0.6, None)[0]
    assert "so they were swapped" in notes


def test_bad_uploads_show_a_message(stateful: CxrPredictor, files: ModuleType, tmp_path: Path) -> None:
    rows, _ = example_rows()
    prior = rows[0][0]
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "photo.gif")
    cases = [
        ([str(files.truncated(tmp_path / "cut.dcm"))], "cut.dcm: Pixel Data"),
        ([str(notes)], "notes.txt: not a DICOM file"),
        ([str(tmp_path / "photo.gif")], "photo.gif: not a DICOM file"),
        ([str(notes), str(tmp_path / "photo.gif")], "no DICOM image, PNG or JPEG found"),
        ([str(files.non_image(tmp_path / "report.dcm"))], "report.dcm: no Pixel Data"),
        (None, "upload both studies"),
    ]
    for current, message in cases:
        with pytest.raises(gr.Error, match=message) as error:
            run_compare(stateful, prior, current, False, False, "default", True, 0.6, None)
        assert files.leaks(str(error.value)) == []


def test_skipped_files_are_listed_and_errors_stay_on_screen(stateful: CxrPredictor, tmp_path: Path) -> None:
    rows, _ = example_rows()
    prior, current = rows[0]
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    status = upload_status([*current, str(notes)], False)
    assert status.startswith("✓") and "Skipped (not an image of this study): notes.txt" in status
    assert upload_status([str(notes)], False).startswith(PROBLEM) and str(tmp_path) not in status
    problem, *outputs = reported(functools.partial(run_compare, stateful), app.BLANK)(
        prior, [str(notes)], False, False, "default", True, 0.6, None
    )
    assert problem.startswith(PROBLEM) and "notes.txt" in problem and tuple(outputs) == app.BLANK


def test_examples_come_from_their_manifest() -> None:
    rows, labels = example_rows()
    manifest = json.loads((EXAMPLES / "examples.json").read_text())
    assert len(rows) == len(labels) == 2 and all(len(row) == 2 for row in rows)
    assert all(Path(path).is_file() for row in rows for study in row for path in study)
    assert rows[1][1] == [str(EXAMPLES / manifest["current_zip"])]


@pytest.mark.parametrize("demo", [False, True])
def test_blocks(monkeypatch: pytest.MonkeyPatch, stateful: CxrPredictor, demo: bool) -> None:
    shown = CxrPredictor(
        Describer(stateful.describer.model, stateful.describer.processor, name="m", demo=demo)
    )
    monkeypatch.setattr(app.CxrPredictor, "load", lambda model: shown)
    blocks = build_demo(None if demo else "m")
    assert blocks.delete_cache == DELETE_CACHE
    uploads = _components(blocks, gr.File)
    assert [f.file_count for f in uploads] == ["multiple"] * 3  # prior, current, downloads
    assert _components(blocks, gr.Radio)[0].choices == [(name, name) for name in WINDOW_PRESETS]
    assert len(_components(blocks, gr.Dataframe)) == 1 and len(_components(blocks, gr.Image)) == 2
    banner = " ".join(m.value or "" for m in _components(blocks, gr.Markdown))
    assert ("not for clinical use" in banner) is demo and "not a medical device" in banner
    assert ("`sve serve --cxr-model" in banner) is demo


def test_tab_without_demo_model_says_how_to_make_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", tmp_path / "demo_model")
    blocks = build_demo(None)
    texts = [m.value for m in _components(blocks, gr.Markdown)]
    assert any("unavailable" in text and "train_demo_models.sh" in text for text in texts)
    assert not _components(blocks, gr.Button)
