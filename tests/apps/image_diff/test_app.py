"""The image-diff tab without a browser: the handlers called directly, and the Blocks built around them."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from types import ModuleType

import gradio as gr
import pytest

from apps.common.ui import PROBLEM, reported
from apps.image_diff import app
from apps.image_diff.app import build_demo, example_rows, run_diff, show_step
from apps.image_diff.describe import predictor
from apps.image_diff.describe.predictor import UNREADABLE, DiffPredictor
from apps.image_diff.synthetic.make_examples import OUT as EXAMPLES
from sve_core import SVEConfig, make_stateful
from sve_core.inference import Describer, load_describer

PAIR = [str(EXAMPLES / "add_a.png"), str(EXAMPLES / "add_b.png")]
SEQUENCE = [str(EXAMPLES / f"sequence_{letter}.png") for letter in "abc"]


@pytest.fixture(scope="module")
def stateful() -> DiffPredictor:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 4 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=4)
    make_stateful(describer.model, SVEConfig())
    return DiffPredictor(describer)


def _components(demo: gr.Blocks, kind: type) -> list:
    return [block for block in demo.blocks.values() if isinstance(block, kind)]


def test_run_and_redraw(stateful: DiffPredictor) -> None:
    *_, (before, after), legend, step, result = run_diff(stateful, PAIR[0], PAIR[1], None, True)
    assert before is result.images[0] and after.tobytes() == result.overlays[1].tobytes() and step.visible is False
    assert legend.width == app.LEGEND_WIDTH  # the heatmap's colour bar

    *_, (before, after), legend, step, result = run_diff(stateful, *SEQUENCE, False)
    assert step.visible and step.value == 1 and [value for _, value in step.choices] == [0, 1]
    assert before is result.images[1] and after.tobytes() == result.images[2].tobytes() and legend is None
    (before, after), legend = show_step(result, 0, True)
    assert before is result.images[0] and after.tobytes() == result.overlays[1].tobytes() and legend
    faint = show_step(result, 0, True, 0.1)[0][1]
    assert faint.tobytes() != after.tobytes()  # the opacity slider
    assert show_step(result, 0, True, 0.6, app.AFTER)[0][0].tobytes() == after.tobytes()  # after alone
    assert show_step(None, None, True) == (None, None)


def test_word_salad_is_behind_a_disclosure(stateful: DiffPredictor) -> None:
    """A random-initialised model's answer: a notice and the fixed sentence, its words in a closed accordion."""
    notice, text, category, seen, raw, *_, result = run_diff(stateful, PAIR[0], PAIR[1], None, True)
    assert not result.readable and text.startswith(f"{UNREADABLE[0].upper()}{UNREADABLE[1:]} (p(edit) = ")
    assert category == "" and seen.visible is False
    assert notice.visible and "The model could not describe this pair." in notice.value
    assert raw == result.raw and raw


def test_observation_box_shows_what_the_model_saw(observing: DiffPredictor) -> None:
    notice, text, category, seen, raw, *_ = run_diff(observing, *PAIR, None, True)
    assert text == "Make the red star blue (p(edit) = 0.90, threshold 0.50)" and category == "adjust"
    assert notice.visible is False and raw  # the raw words stay behind the closed disclosure
    assert seen.visible and seen.value == "a red star at the top -> a blue star at the top"


def test_no_difference_found_with_its_probability(quiet: DiffPredictor) -> None:
    """Below the threshold: no instruction or category; the words' disagreement is a notice."""
    notice, text, category, seen, raw, *_ = run_diff(quiet, *PAIR, None, True)
    assert text == "No difference found (p(edit) = 0.10, threshold 0.50)" and category == ""
    assert notice.visible and "**Words and probability disagree.** The model wrote an instruction" in notice.value
    assert seen.visible is False and raw  # what it wrote, behind the disclosure


def test_the_threshold_slider_judges_the_answer_again(quiet: DiffPredictor) -> None:
    *_, result = run_diff(quiet, *PAIR, None, True, 0.6, app.SLIDER, 0.05)  # below p(edit) = 0.10: edited
    assert result.edited and result.threshold == 0.05
    notice, text, category, *_, again = app.rejudge(result, 0.5, 0, True, 0.6, app.SLIDER)
    assert text == "No difference found (p(edit) = 0.10, threshold 0.50)" and not again.edited
    assert app.rejudge(None, 0.5, None, True, 0.6, app.SLIDER)[1] == gr.skip()


def test_bad_uploads_show_a_message(stateful: DiffPredictor, files: ModuleType, tmp_path: Path) -> None:
    good = str(files.write_format(tmp_path, "png"))
    cases = [
        (files.write_text(tmp_path / "notes.png"), "notes.png: not a readable image"),
        (files.write_truncated(tmp_path / "cut.png"), "cut.png: corrupt or truncated image"),
        (
            files.write_declared_size_png(tmp_path / "huge.png", 50_000, 50_000),
            "huge.png: image declares too many",
        ),
        (files.write_tga(tmp_path / "old.tga"), "old.tga: not a readable image"),
    ]
    for bad, message in cases:
        with pytest.raises(gr.Error, match=message):
            run_diff(stateful, good, str(bad), None, True)
    with pytest.raises(gr.Error, match="expected 2 or 3 images, got 1"):
        run_diff(stateful, good, None, None, True)


def test_errors_stay_on_screen_in_place_of_the_outputs(
    stateful: DiffPredictor, files: ModuleType, tmp_path: Path
) -> None:
    good, bad = str(files.write_format(tmp_path, "png")), str(files.write_text(tmp_path / "notes.png"))
    problem, *outputs = reported(functools.partial(run_diff, stateful), app.BLANK)(good, bad, None, True)
    assert problem.startswith(PROBLEM) and "notes.png: not a readable image" in problem
    assert str(tmp_path) not in problem and tuple(outputs) == app.BLANK  # no earlier result left under it
    assert app.upload_status(bad).startswith(PROBLEM) and app.upload_status(good).startswith("✓")
    assert app.upload_status(None) == ""


def test_examples_come_from_their_manifest() -> None:
    rows, labels = example_rows()
    manifest = json.loads((EXAMPLES / "examples.json").read_text())
    assert len(rows) == len(labels) == len(manifest) and all(len(row) == 3 for row in rows)
    assert all(Path(path).is_file() for row in rows for path in row if path)
    assert labels[0] == f"{manifest[0]['name']}: {manifest[0]['reference']}"


@pytest.mark.parametrize("demo", [False, True])
def test_blocks(monkeypatch: pytest.MonkeyPatch, stateful: DiffPredictor, demo: bool) -> None:
    shown = DiffPredictor(
        Describer(stateful.describer.model, stateful.describer.processor, name="m", demo=demo)
    )
    monkeypatch.setattr(app.DiffPredictor, "load", lambda model: shown)
    blocks = build_demo(None if demo else "m")
    assert isinstance(blocks, gr.Blocks)
    assert [f.label for f in _components(blocks, gr.File)] == list(app.UPLOADS)
    assert len(_components(blocks, gr.ImageSlider)) == 1
    assert [b.value for b in _components(blocks, gr.Button)] == ["Describe the change", "Stop"]
    assert _components(blocks, gr.Checkbox)[0].interactive is True
    banner = " ".join(m.value or "" for m in _components(blocks, gr.Markdown))
    assert ("Demo model" in banner) is demo and ("`sve serve --diff-model" in banner) is demo


def test_tab_without_demo_model_says_how_to_make_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", tmp_path / "demo_model")
    blocks = build_demo(None)
    texts = [m.value for m in _components(blocks, gr.Markdown)]
    assert any("unavailable" in text and "train_demo_models.sh" in text for text in texts)
    assert not _components(blocks, gr.Button)
