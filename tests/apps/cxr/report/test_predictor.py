"""CxrPredictor on phantom DICOM studies: pairs and series with a real (tiny, untrained) stateful model for the
structure, and a scripted describer for what must hold exactly: date order, the patient check, which images
each step shows the model, the heatmap's way back onto the image grid, and no PHI in results or logs."""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from apps.common.overlay import LEGEND_HEIGHT
from apps.common.predictor import DemoModelMissingError
from apps.cxr import DicomError, load_study
from apps.cxr.dicom.validity import ValidityPolicy
from apps.cxr.report import predictor
from apps.cxr.report.predictor import QUESTION, CxrPredictor
from apps.cxr.report.result import write_report
from sve_core import SVEConfig, make_stateful
from sve_core.inference import Describer, Description, load_describer

EFFUSION = {"pleural effusion": 1.0}


@pytest.fixture(scope="module")
def stateful() -> CxrPredictor:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 4 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=4)
    make_stateful(describer.model, SVEConfig())
    return CxrPredictor(describer)


class Scripted(Describer):
    """A describer that answers from a script; its heatmap is 1 on the padding and a left-to-right ramp on
    the image, so a test can tell whether the padding leaks into the map over the original image."""

    name, demo, stateful = "scripted", False, True

    def __init__(self, *answers: str, content_rows: tuple[int, int] | None = None) -> None:  # no model
        self.answers = list(answers)
        self.content_rows = content_rows
        self.calls: list[tuple[int, str, tuple[int, int]]] = []

    def describe_with_heatmaps(self, images: list[Image.Image], prompt: str) -> Description:
        self.calls.append((len(images), prompt, images[-1].size))
        width, height = images[-1].size
        heat = np.ones((height, width), np.float32)
        top, bottom = self.content_rows or (0, height)
        heat[top:bottom] = np.linspace(0, 1, width, dtype=np.float32)
        return Description(self.answers.pop(0), [None] + [heat] * (len(images) - 1))


def _study(
    files: ModuleType, folder: Path, *, day: int, findings: dict | None = None, patient: str | None = None
):
    """One study folder with a recognisable frontal image (effusion or not) and the test PHI."""
    kwargs = {} if patient is None else {"patient": patient}
    ds = files.dataset(files.radiograph(0, findings=findings, day=day), day=day, **kwargs)
    return files.save(ds, folder / "image_1.dcm").parent


def test_pair_with_the_tiny_stateful_model(stateful: CxrPredictor, files: ModuleType, tmp_path: Path) -> None:
    prior = files.study(tmp_path / "a", ("LL", "PA"), day=0)
    current = files.study(tmp_path / "b", ("PA",), day=30)
    result = stateful.predict(prior, current)
    assert result.names == ["prior", "current"] and not result.demo and result.model == "tiny:qwen2_vl"
    assert [image.meta.study_order for image in result.images] == [0, 1]
    [step] = result.steps
    assert (step.prior, step.current) == (0, 1) and isinstance(step.comparison.answer, str)
    assert len(step.comparison.rows) == 27
    assert step.heatmap is not None and step.heatmap.shape == result.images[1].pixels.shape
    assert step.heatmap.min() >= 0.0 and step.heatmap.max() <= 1.0
    # the heatmap over the image, above its colour bar (at least 320 px wide, to stay readable)
    assert result.view(1, preset="lung", heatmap=True).size == (max(files.SIZE, 320), files.SIZE + LEGEND_HEIGHT)


def test_series_carries_the_whole_history(stateful: CxrPredictor, files: ModuleType, tmp_path: Path) -> None:
    folders = [
        files.study(tmp_path / name, ("PA",), day=day) for name, day in (("a", 0), ("b", 30), ("c", 60))
    ]
    result = stateful.predict_series(folders)
    assert result.names == ["study_1", "study_2", "study_3"]
    assert [(s.prior, s.current) for s in result.steps] == [(0, 1), (1, 2)]
    assert all(s.heatmap is not None and s.heatmap.shape == (files.SIZE, files.SIZE) for s in result.steps)

    scripted = CxrPredictor(Scripted("nothing has changed.", "nothing has changed."))
    scripted.predict_series(folders)
    assert scripted.describer.calls == [(2, QUESTION, (96, 96)), (3, QUESTION, (96, 96))]
    assert "<image>" not in QUESTION


def test_stateless_model_has_no_heatmap(files: ModuleType, tmp_path: Path) -> None:
    plain = CxrPredictor(load_describer("tiny:qwen2_vl", max_new_tokens=2))
    result = plain.predict(
        files.study(tmp_path / "a", ("PA",), day=0), files.study(tmp_path / "b", ("PA",), day=30)
    )
    assert not plain.has_heatmaps and not result.has_heatmaps and result.steps[0].heatmap is None
    assert result.view(1, heatmap=True).size == result.view(1).size


def test_reversed_dates_are_swapped(files: ModuleType, tmp_path: Path, cxr_logs) -> None:
    later = _study(files, tmp_path / "later", day=30, findings=EFFUSION)
    earlier = _study(files, tmp_path / "earlier", day=0)
    result = CxrPredictor(Scripted("nothing has changed.")).predict(later, earlier)
    np.testing.assert_array_equal(result.images[0].pixels, load_study(earlier).image.pixels)
    np.testing.assert_array_equal(result.images[1].pixels, load_study(later).image.pixels)
    assert any("so they were swapped" in warning for warning in result.validity.warnings)


def test_other_patient_is_refused_unless_allowed(files: ModuleType, tmp_path: Path, cxr_logs) -> None:
    prior = _study(files, tmp_path / "a", day=0)
    other = _study(files, tmp_path / "b", day=30, patient="MRN0099999")
    scripted = CxrPredictor(Scripted("nothing has changed."))
    with pytest.raises(DicomError, match="different PatientID") as error:
        scripted.predict(prior, other)
    assert files.leaks(str(error.value)) == [] and "MRN0099999" not in str(error.value)
    assert scripted.describer.calls == []
    result = scripted.predict(prior, other, policy=ValidityPolicy(allow_patient_mismatch=True))
    assert len(result.steps) == 1 and any("compared anyway" in w for w in result.validity.warnings)


def test_scripted_answer_reaches_report_and_table(files: ModuleType, tmp_path: Path) -> None:
    answer = (
        "the main image has an additional finding of pleural effusion than the reference image. "
        "the main image is missing the finding of pneumothorax than the reference image."
    )
    result = CxrPredictor(Scripted(answer)).predict(
        _study(files, tmp_path / "a", day=0), _study(files, tmp_path / "b", day=3, findings=EFFUSION)
    )
    comparison = result.steps[0].comparison
    assert comparison.answer == answer
    assert (comparison.added, comparison.missing) == (("pleural effusion",), ("pneumothorax",))
    assert comparison.report == "New pleural effusion. Resolved pneumothorax. No other interval change."
    changed = {row.finding: (row.status, row.change) for row in comparison.rows if row.changed}
    assert changed == {"pleural effusion": ("added", "new"), "pneumothorax": ("missing", "resolved")}


def test_heatmap_leaves_the_padding_behind(tmp_path: Path) -> None:
    """A 32 x 64 image becomes 48 x 96 inside a 96 x 96 square, 24 rows of padding above and below."""
    for name, grey in (("a", 90), ("b", 120)):
        Image.fromarray(np.full((32, 64), grey, np.uint8)).save(tmp_path / f"{name}.png")
    result = CxrPredictor(Scripted("nothing has changed.", content_rows=(24, 72))).predict(
        tmp_path / "a.png", tmp_path / "b.png"
    )
    heatmap = result.steps[0].heatmap
    assert heatmap.shape == (32, 64)
    np.testing.assert_allclose(heatmap, np.broadcast_to(heatmap[0], heatmap.shape))  # no padding row leaked
    assert heatmap[0, 0] < 0.05 and heatmap[0, -1] > 0.95


def test_several_files_and_zips_leave_no_temporary_files(
    files: ModuleType, tmp_path: Path, private_tmp: Path
) -> None:
    prior = files.study(tmp_path / "prior", ("LL", "PA"), day=0)
    current = files.zipped(files.study(tmp_path / "current", ("PA",), day=9), tmp_path / "current.zip")
    scripted = CxrPredictor(Scripted("nothing has changed."))
    result = scripted.predict(sorted(prior.iterdir()), [current])
    assert [image.meta.view_position for image in result.images] == ["PA", "PA"]
    assert list(private_tmp.iterdir()) == []
    with pytest.raises(DicomError, match="not a zip among other files"):
        scripted.predict([*prior.iterdir(), current], current)
    with pytest.raises(DicomError, match="empty list of files"):
        scripted.predict([], current)
    with pytest.raises(ValueError, match="at least 2 studies"):
        scripted.predict_series([current])


def test_no_phi_in_results_files_or_logs(
    stateful: CxrPredictor, files: ModuleType, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    prior = files.study(tmp_path / "a", (None,), day=0)  # a missing view is logged
    result = stateful.predict(prior, files.study(tmp_path / "b", ("PA",), day=30))
    written = write_report(result, tmp_path / "out")
    assert {path.name for path in written} == {
        "report.json",
        "report.md",
        "prior.png",
        "current.png",
        "heatmap.png",
    }
    texts = [caplog.text, repr(result)]
    reports = [path.read_bytes().decode("latin-1") for path in written]
    assert caplog.text and all(files.leaks(text) == [] for text in texts)
    assert all(files.leaks(text, report=True) == [] for text in reports)
    assert "2023-04-05" in reports[1]  # the comparison header shows the prior's date to the reader


def test_missing_demo_model_says_how_to_make_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", tmp_path / "demo_model")
    with pytest.raises(
        DemoModelMissingError, match="demo_model: the embedded demo model is not there"
    ):
        CxrPredictor.load(None)
