"""`DiffPredictor` on an untrained tiny Qwen2-VL: the structure of a result, never its wording."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from apps.common.predictor import DemoModelMissingError
from apps.image_diff import ImageInputError
from apps.image_diff.describe import predictor
from apps.image_diff.describe.predictor import NO_DIFFERENCE, UNREADABLE, DiffPredictor
from apps.image_diff.synthetic.make_examples import OUT as EXAMPLES
from sve_core import SVEConfig, make_stateful
from sve_core.inference import load_describer

CATEGORIES = {"add", "remove", "replace", "adjust", "background", "unknown"}


@pytest.fixture(scope="module")
def stateful() -> DiffPredictor:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 4 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=4)
    make_stateful(describer.model, SVEConfig())
    return DiffPredictor(describer)


@pytest.mark.parametrize(
    "names", [["add_a.png", "add_b.png"], ["sequence_a.png", "sequence_b.png", "sequence_c.png"]]
)
def test_result_structure(stateful: DiffPredictor, names: list[str]) -> None:
    result = stateful.predict([EXAMPLES / name for name in names])
    assert isinstance(result.text, str) and set(result.categories) <= CATEGORIES and result.categories
    assert (result.model, result.demo, result.steps) == ("tiny:qwen2_vl", False, len(names) - 1)
    assert result.heatmaps[0] is None and result.has_heatmaps
    for image, heatmap, overlay in zip(
        result.images[1:], result.heatmaps[1:], result.overlays[1:], strict=True
    ):
        assert heatmap.shape == (image.height, image.width) and 0 <= heatmap.min() <= heatmap.max() <= 1
        assert overlay.size == image.size and overlay.tobytes() != image.tobytes()
    before, after = result.step(result.steps - 1, heatmap=False)
    assert (before, after) == (result.images[-2], result.images[-1])
    assert result.step(0, heatmap=True)[1] is result.overlays[1]
    with pytest.raises(ValueError, match="step must be 0 to"):
        result.step(result.steps, heatmap=False)
    record = result.record("case", names)
    assert record == {
        "id": "case",
        "caption": UNREADABLE,  # an untrained model's answer is word salad
        "readable": False,
        "edited": True,  # an untrained model gives "no edit" almost no probability
        "p_edit": [round(result.p_edit, 4)],
        "threshold": 0.5,  # no edit_calibration.json beside tiny:qwen2_vl
        "disagreement": "",
        "raw": result.raw,
        "notice": "",  # only the demo model is told its domain
        "aligned": "",  # the examples are not shifted against each other
        "identical": False,
        "categories": result.categories,
        "observations": list(result.observations),
        "images": names,
        "model": "tiny:qwen2_vl",
        "demo": False,
    }


def test_pairwise_sequence_asks_about_each_pair(stateful: DiffPredictor) -> None:
    """Three images, pairwise: the two pair answers in order, each later image with its pair's heatmap."""
    paths = [EXAMPLES / f"sequence_{letter}.png" for letter in "abc"]
    assert stateful.sequence == "joint"  # not the demo model
    pairwise = DiffPredictor(stateful.describer, "pairwise")
    result = pairwise.predict(paths)
    first, second = stateful.predict(paths[:2]), stateful.predict(paths[1:])
    assert result.text == f"First, {first.text.rstrip('.')}. Then, {second.text.rstrip('.')}."
    assert result.categories == [*first.categories, *second.categories]
    assert result.heatmaps[0] is None
    assert (result.heatmaps[1] == first.heatmaps[1]).all() and (result.heatmaps[2] == second.heatmaps[1]).all()
    with pytest.raises(ValueError, match="sequence must be one of joint, pairwise, got 'both'"):
        DiffPredictor(stateful.describer, "both")  # type: ignore[arg-type]


def test_no_difference_below_the_threshold(quiet: DiffPredictor) -> None:
    """p(edit) decides, whatever the words say; a disagreement is stated; the threshold can be moved."""
    result = quiet.predict([EXAMPLES / "add_a.png", EXAMPLES / "add_b.png"])
    assert result.p_edit == pytest.approx(0.1) and not result.edited and result.shown == NO_DIFFERENCE
    assert result.disagreement == ("The model wrote an instruction, but p(edit) = 0.10, threshold 0.50: reported "
                                   "as no difference.")
    assert result.step(0, heatmap=True)[1] is result.images[1]  # no edit: no heatmap drawn
    lowered = result.with_threshold(0.05)
    assert lowered.edited and lowered.shown == "make the red star blue" and lowered.disagreement == ""
    three = quiet.predict([EXAMPLES / f"sequence_{letter}.png" for letter in "abc"])
    assert len(three.p_edits) == 2 and three.record("x", ["a", "b", "c"])["edited"] is False


def test_observations_are_shown_apart(observing: DiffPredictor) -> None:
    """The instruction and categories without the observation; one observation per pair, in order."""
    result = observing.predict([EXAMPLES / f"sequence_{letter}.png" for letter in "abc"])
    assert result.text == "First, make the red star blue. Then, make the red star blue."
    assert result.categories == ["adjust", "adjust"]
    assert result.observations == ("a red star at the top -> a blue star at the top",) * 2
    assert result.record("case", ["a", "b", "c"])["observations"] == list(result.observations)


def test_stateless_model_has_no_heatmaps() -> None:
    plain = DiffPredictor.load("tiny:qwen2_vl", max_new_tokens=2)
    result = plain.predict([EXAMPLES / "recolor_a.png", EXAMPLES / "recolor_b.png"])
    assert not plain.has_heatmaps and not result.has_heatmaps and result.heatmaps == [None, None]
    assert [o.tobytes() for o in result.overlays] == [i.tobytes() for i in result.images]


def test_bad_upload_names_the_file(stateful: DiffPredictor, files: ModuleType, tmp_path: Path) -> None:
    good, text = files.write_format(tmp_path, "png"), files.write_text(tmp_path / "notes.png")
    with pytest.raises(ImageInputError, match=r"^notes\.png: not a readable image"):
        stateful.predict([good, text])
    with pytest.raises(ImageInputError, match="expected 2 or 3 images, got 1"):
        stateful.predict([good])


def test_demo_model_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "demo_model"
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", missing)
    with pytest.raises(
        DemoModelMissingError, match="demo_model: the embedded demo model is not there"
    ) as error:
        DiffPredictor.load(None)
    assert "train_demo_models.sh" in str(error.value) and "--model" in str(error.value)

    missing.mkdir()
    calls = []
    demo = SimpleNamespace(demo=True)  # what load_app_describer gives for the embedded model, as far as used here
    monkeypatch.setattr(predictor, "load_app_describer", lambda *args, **kwargs: calls.append((args, kwargs)) or demo)
    assert DiffPredictor.load(None).sequence == "pairwise"  # the demo model was trained on pairs only
    assert calls == [((None, missing), {"max_new_tokens": 64})]


def test_identical_images_are_no_edit_without_the_model(stateful: DiffPredictor) -> None:
    """An untrained model calls everything edited; pixel-identical images never reach it."""
    same = [EXAMPLES / "add_a.png"] * 3
    result = stateful.predict(same)
    assert result.identical and not result.edited and result.shown == NO_DIFFERENCE
    assert result.verdict == "the images are identical, pixel for pixel" and result.with_threshold(0.0).edited is False
    assert result.record("x", ["a", "a", "a"])["p_edit"] == [0.0, 0.0] and not result.has_heatmaps
