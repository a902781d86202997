"""What is a comparison of two chest radiographs: each refusal and each limitation of `apps.cxr.dicom.validity`, built
from the project's phantom DICOMs and pydicom's real CT/MR sample files, and enforced by all three entry points:
the series path (`load_series`), `sve cxr report` and the UI handler (`run_compare`, `upload_status`)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import gradio as gr
import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom import Dataset
from pydicom.data import get_testdata_file

from apps.cli import main
from apps.cxr.app import run_compare, upload_status
from apps.cxr.dicom.studies import load_series, load_studies
from apps.cxr.dicom.validity import (
    ComparisonRefused,
    ValidityPolicy,
    check_headers,
    check_image,
)
from apps.cxr.phantoms.dicom_writer import DicomEncoding
from apps.cxr.report.predictor import CxrPredictor
from sve_core.inference import Describer


class Scripted(Describer):
    """A describer that answers without a model, so the checks around it are what a test exercises."""

    name, demo, stateful = "scripted", False, False

    def __init__(self) -> None:  # no model
        pass

    def describe_batch(self, sequences: list[list[Image.Image]], prompt: str) -> list[str]:
        return ["the main image has an additional finding of edema than the reference image."] * len(sequences)


PREDICTOR = CxrPredictor(Scripted())


@pytest.fixture
def scripted_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CxrPredictor, "load", lambda *args, **kwargs: PREDICTOR)


def _real_sample(name: str, folder: Path) -> Path:
    """A real file shipped inside pydicom (no download), copied so the test owns it."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(get_testdata_file(name, download=False), folder / name))


def _phantom(
    files: ModuleType, path: Path, *, day: int, edit: Callable[[Dataset], None] = lambda ds: None, **enc
) -> Path:
    ds = files.dataset(files.radiograph(0, day=day), encoding=DicomEncoding(**enc), day=day)
    edit(ds)
    return files.save(ds, path)


def _prior(files: ModuleType, tmp_path: Path) -> Path:
    return _phantom(files, tmp_path / "prior" / "prior.dcm", day=0)


REFUSALS: list[tuple[str, Callable[[ModuleType, Path, Path], Path], str]] = [
    (
        "CT",
        lambda files, tmp, prior: _real_sample("CT_small.dcm", tmp / "ct"),
        r"Modality \(0008,0060\) is CT",
    ),
    (
        "MR",
        lambda files, tmp, prior: _real_sample("MR_small.dcm", tmp / "mr"),
        r"Modality \(0008,0060\) is MR",
    ),
    (
        "skull",
        lambda files, tmp, prior: _phantom(
            files, tmp / "skull.dcm", day=30, edit=lambda ds: setattr(ds, "BodyPartExamined", "SKULL")
        ),
        r"BodyPartExamined \(0018,0015\) is SKULL; expected CHEST.*--allow-body-part",
    ),
    (
        "for processing",
        lambda files, tmp, prior: _phantom(
            files,
            tmp / "raw.dcm",
            day=30,
            edit=lambda ds: setattr(ds, "PresentationIntentType", "FOR PROCESSING"),
        ),
        "FOR PROCESSING",
    ),
    ("same image", lambda files, tmp, prior: prior, r"are the same image \(equal SOPInstanceUID"),
    (
        "same study, other encoding",
        lambda files, tmp, prior: _same_study_other_image(files, tmp, prior),
        r"are the same study \(equal StudyInstanceUID",
    ),
    (
        "same pixels as a PNG",
        lambda files, tmp, prior: _png_export(prior, tmp / "export.png"),
        "show the same image",
    ),
]


def _same_study_other_image(files: ModuleType, tmp: Path, prior: Path) -> Path:
    """The prior's pixels re-encoded (RLE) under a new SOPInstanceUID but the same StudyInstanceUID."""
    ds = pydicom.dcmread(prior)
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    return files.save(ds, tmp / "again" / "again.dcm", pydicom.uid.RLELossless)


def _png_export(prior: Path, path: Path) -> Path:
    from apps.cxr.dicom.decode import load_dicom
    from apps.cxr.report.result import grey_image

    grey_image(load_dicom(prior).pixels).save(path)
    return path


@pytest.mark.parametrize(("case", "make", "message"), REFUSALS, ids=[c[0] for c in REFUSALS])
def test_refusals_in_series_cli_and_ui(
    case: str, make, message: str, files: ModuleType, tmp_path: Path, scripted_cli, capsys
) -> None:
    prior = _prior(files, tmp_path)
    current = make(files, tmp_path, prior)
    with pytest.raises(ComparisonRefused, match=message) as error:
        load_series([prior, current])
    assert files.leaks(str(error.value)) == []
    argv = ["cxr", "report", "--prior", str(prior), "--current", str(current), "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sve cxr report: error: ") and "Traceback" not in err and files.leaks(err) == []
    assert not (tmp_path / "out").exists()  # nothing half-written
    plain = re.sub(r" \\\(\w{4},\w{4}\\\)", "", message)  # the UI leaves DICOM tag numbers out
    with pytest.raises(gr.Error, match=plain):
        run_compare(PREDICTOR, [str(prior)], [str(current)], False, False, "default", False, 0.6, None)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm"])
def test_upload_status_names_the_refused_upload(name: str, tmp_path: Path) -> None:
    status = upload_status([str(_real_sample(name, tmp_path))], False)
    assert status.startswith("⛔ ") and name in status and "Modality" in status


def test_allow_body_part_compares_with_a_warning_everywhere(
    files: ModuleType, tmp_path: Path, scripted_cli, capsys
) -> None:
    prior = _prior(files, tmp_path)
    skull = _phantom(
        files, tmp_path / "skull.dcm", day=30, edit=lambda ds: setattr(ds, "BodyPartExamined", "SKULL")
    )
    series = load_series([prior, skull], ValidityPolicy(allow_body_part=True))
    assert any("--allow-body-part" in w and "SKULL" in w for w in series.validity.warnings)
    out = tmp_path / "out"
    argv = [
        "cxr",
        "report",
        "--prior",
        str(prior),
        "--current",
        str(skull),
        "--out",
        str(out),
        "--allow-body-part",
    ]
    assert main(argv) == 0
    assert "warning: not a chest radiograph: skull.dcm" in capsys.readouterr().err
    assert "not a chest radiograph" in (out / "report.md").read_text()
    assert "not a chest radiograph" in json.loads((out / "report.json").read_text())["warnings"][0]
    notes = run_compare(PREDICTOR, [str(prior)], [str(skull)], False, True, "default", False, 0.6, None)[0]
    assert "not a chest radiograph" in notes
    assert "⚠ not a chest radiograph" in upload_status([str(skull)], True)


@pytest.mark.parametrize("part", ["CHEST", "THORAX", "LUNG", "PORT CHEST", "chest", "CHEST_PA", None])
def test_chest_spellings_are_accepted(part: str | None, files: ModuleType) -> None:
    ds = files.dataset()
    if part is None:
        del ds.BodyPartExamined
    else:
        ds.BodyPartExamined = part
    assert check_image(ds, "x.dcm").warnings == ()


def _limited(files: ModuleType, tmp_path: Path, prior_edit, current_edit, **current_enc) -> tuple[Path, Path]:
    prior = _phantom(files, tmp_path / "p" / "prior.dcm", day=0, edit=prior_edit)
    current = _phantom(files, tmp_path / "c" / "current.dcm", day=30, edit=current_edit, **current_enc)
    return prior, current


def _spacing(value: list[float] | None) -> Callable[[Dataset], None]:
    def edit(ds: Dataset) -> None:
        if value is None:
            del ds.ImagerPixelSpacing
        else:
            ds.ImagerPixelSpacing = value

    return edit


def _described(words: str) -> Callable[[Dataset], None]:
    return lambda ds: setattr(ds, "SeriesDescription", words)


LIMITATIONS = [
    (
        "AP vs PA",
        dict(current_enc={"view_position": "AP"}),
        "AP compared with PA: the AP projection magnifies the heart",
    ),
    (
        "supine vs erect",
        dict(prior_edit=_described("CHEST PA ERECT"), current_edit=_described("CHEST AP SUPINE PORTABLE")),
        "supine compared with erect",
    ),
    ("pixel spacing 0", dict(current_edit=_spacing([0.0, 0.0])), "current.dcm: no usable pixel spacing"),
    ("pixel spacing missing", dict(current_edit=_spacing(None)), "current.dcm: no usable pixel spacing"),
    ("view missing", dict(current_enc={"view_position": None}), "assumed frontal"),
]


@pytest.mark.parametrize(("case", "setup", "text"), LIMITATIONS, ids=[c[0] for c in LIMITATIONS])
def test_limitations_in_series_report_and_ui(
    case: str, setup: dict, text: str, files: ModuleType, tmp_path: Path, scripted_cli, capsys
) -> None:
    prior, current = _limited(
        files,
        tmp_path,
        setup.get("prior_edit", lambda ds: None),
        setup.get("current_edit", lambda ds: None),
        **setup.get("current_enc", {}),
    )
    series = load_series([prior, current])
    assert any(text in note for note in series.validity.steps[0].limitations)
    out = tmp_path / "out"
    assert main(["cxr", "report", "--prior", str(prior), "--current", str(current), "--out", str(out)]) == 0
    markdown = (out / "report.md").read_text()
    assert "**Limitations:**" in markdown and text.split(":")[0].lower() in markdown.lower()
    assert "limitation: " in capsys.readouterr().out
    notes = run_compare(PREDICTOR, [str(prior)], [str(current)], False, False, "default", False, 0.6, None)[0]
    assert text.split(":")[0].lower() in notes.lower()


def test_comparison_header_dates_interval_and_views(files: ModuleType, tmp_path: Path) -> None:
    prior, current = _limited(files, tmp_path, lambda ds: None, lambda ds: None, view_position="AP")
    step = load_series([prior, current]).validity.steps[0]
    assert step.interval_days == 30 and step.views == ("PA", "AP")
    assert [d.isoformat() for d in step.dates] == ["2023-04-05", "2023-05-05"]
    assert "2023" not in repr(step)  # dates are shown to the reader, never in a repr or log


def test_reversed_pair_is_swapped_and_said_in_report_and_ui(
    files: ModuleType, tmp_path: Path, scripted_cli, capsys
) -> None:
    prior, current = _limited(files, tmp_path, lambda ds: None, lambda ds: None)
    out = tmp_path / "out"
    assert main(["cxr", "report", "--prior", str(current), "--current", str(prior), "--out", str(out)]) == 0
    assert "so they were swapped" in (out / "report.md").read_text()
    assert "so they were swapped" in capsys.readouterr().err
    notes = run_compare(PREDICTOR, [str(current)], [str(prior)], False, False, "default", False, 0.6, None)[0]
    assert "so they were swapped" in notes


def test_png_inputs_get_the_unverified_banner(files: ModuleType, tmp_path: Path, scripted_cli) -> None:
    for day, name in ((0, "prior.png"), (30, "current.png")):
        Image.fromarray(np.uint8(files.radiograph(0, day=day) * 255)).save(tmp_path / name)
    out = tmp_path / "out"
    argv = [
        "cxr",
        "report",
        "--prior",
        str(tmp_path / "prior.png"),
        "--current",
        str(tmp_path / "current.png"),
    ]
    assert main([*argv, "--out", str(out)]) == 0
    assert "> ⚠ **unverified input: prior.png" in (out / "report.md").read_text()
    assert upload_status([str(tmp_path / "prior.png")], False).startswith("⚠ unverified input")


def test_frontal_against_lateral_headers_are_refused(files: ModuleType) -> None:
    """PACS retrieval hands headers straight to `check_headers`, without the loader's view choice."""
    frontal = files.dataset(day=0)
    lateral = files.dataset(encoding=DicomEncoding(view_position="LL"), day=30)
    with pytest.raises(ComparisonRefused, match="a frontal view is compared with a lateral one"):
        check_headers([frontal, lateral], ["prior.dcm", "current.dcm"])
    both = check_headers(
        [files.dataset(encoding=DicomEncoding(view_position="LL"), day=0), lateral], ["a.dcm", "b.dcm"]
    )
    assert "lateral views compared" in both.steps[0].limitations[0]


def test_studies_from_load_studies_get_the_same_verdict(files: ModuleType, tmp_path: Path) -> None:
    """Callers that load with `load_studies` (PACS retrieval) and hand the list to `predict_studies` get the
    warnings and limitations too."""
    prior, current = _limited(files, tmp_path, lambda ds: None, lambda ds: None, view_position="AP")
    studies = load_studies([current, prior])
    assert studies[0].key.acquired < studies[1].key.acquired
    result = PREDICTOR.predict_studies(studies)
    assert any("AP compared with PA" in note for note in result.validity.steps[0].limitations)
    assert result.validity.steps[0].interval_days == 30
