"""The out-of-domain notice on real photographs shipped with installed packages (never downloaded): the same
photo twice, a JPEG re-encode, and one with a pasted object; synthetic pairs and other models get none."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from apps.cli import main
from apps.image_diff.app import run_diff
from apps.image_diff.describe.domain import MIN_SHARE, domain_notice, palette_share
from apps.image_diff.describe.predictor import NO_DIFFERENCE, UNREADABLE, DiffPredictor
from apps.image_diff.synthetic.make_examples import OUT as EXAMPLES

matplotlib = pytest.importorskip("matplotlib")
PHOTO = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
PAIR = [str(EXAMPLES / "add_a.png"), str(EXAMPLES / "add_b.png")]


@pytest.fixture(scope="module")
def photo_pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """name -> [before, after]: no edit, a JPEG re-encode at quality 70, a red square pasted on."""
    if not PHOTO.is_file():
        pytest.skip(f"{PHOTO} is not installed")
    folder = tmp_path_factory.mktemp("photos")
    photo = Image.open(PHOTO).convert("RGB")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=70)
    pasted = photo.copy()
    pasted.paste((215, 40, 40), (300, 60, 380, 140))
    files = {"photo": photo, "reencoded": Image.open(buffer), "pasted": pasted}
    for name, image in files.items():
        image.save(folder / f"{name}.png")
    original = str(folder / "photo.png")
    return {name: [original, str(folder / f"{name}.png")] for name in ("photo", "reencoded", "pasted")}


def test_photographs_are_far_and_shapes_are_not() -> None:
    assert palette_share(Image.open(PHOTO)) < MIN_SHARE <= palette_share(Image.open(PAIR[0]))
    assert domain_notice([Image.open(path) for path in PAIR]) == ""


@pytest.mark.parametrize("name", ["photo", "reencoded", "pasted"])
def test_demo_model_notice_comes_before_the_answer(
    name: str, photo_pairs: dict[str, list[str]], observing: DiffPredictor, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(DiffPredictor, "load", lambda *args, **kwargs: observing)
    assert main(["diff", "describe", *photo_pairs[name]]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("notice: These images do not look like what the demo model was trained on")
    assert "image 1's and" in lines[0]
    if name == "photo":  # the same photograph twice: never asked, whatever the model
        assert lines[1].startswith("verdict: no difference found (the images are identical, pixel for pixel")
    else:
        assert lines[1].startswith("verdict: edited (p(edit) = 0.90") and lines[2].startswith("seen: ")
    assert main(["diff", "describe", *photo_pairs[name], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notice"] == lines[0].removeprefix("notice: ")
    notice, *_ = run_diff(observing, *photo_pairs[name], None, False)
    assert notice.visible and notice.value.startswith("**Unlike the training images.** These images")


def test_no_notice_for_other_models(photo_pairs: dict[str, list[str]], observing: DiffPredictor) -> None:
    """The measure is about the demo model's training data; another model's domain is its own business."""
    observing.describer.demo = False  # type: ignore[attr-defined]
    assert observing.predict(photo_pairs["photo"]).notice == ""


def test_shipped_demo_model_on_photographs(photo_pairs: dict[str, list[str]]) -> None:
    """The embedded demo model itself: the same photograph twice is no edit; a re-encode and a pasted square
    carry the out-of-domain notice, and whatever it answers is never word salad shown as an instruction."""
    demo = DiffPredictor.load(None)
    same = demo.predict(photo_pairs["photo"])
    assert same.identical and not same.edited and same.notice
    for name in ("reencoded", "pasted"):
        result = demo.predict(photo_pairs[name])
        assert result.notice.startswith("These images do not look like what the demo model was trained on")
        assert result.readable or result.shown in (UNREADABLE, NO_DIFFERENCE)
