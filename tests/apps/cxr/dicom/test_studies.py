"""Studies: the frontal view is chosen by ViewPosition, folders and zips load like files (and the zip's
temporary copy is gone afterwards), series come back oldest first, other patients are refused, and no name,
ID, date or UID reaches an exception or a log record."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from apps.cxr import DicomError, load_dicom, load_studies, load_study
from apps.cxr.dicom.studies import load_series
from apps.cxr.dicom.validity import ValidityPolicy


@pytest.mark.parametrize(
    ("views", "chosen"),
    [
        (("LL", "PA"), "PA"),
        (("AP", "PA"), "PA"),
        (("LATERAL", "AP"), "AP"),
        (("AP SUPINE", "LL"), "AP SUPINE"),
    ],
)
def test_frontal_view_is_chosen(files, tmp_path, views, chosen) -> None:
    study = load_study(files.study(tmp_path / "study", views))
    assert study.image.meta.view_position == chosen


def test_missing_view_position_is_assumed_frontal_with_a_warning(files, tmp_path, cxr_logs) -> None:
    study = load_study(files.study(tmp_path / "study", ("LL", None)))
    assert study.image.meta.view_position is None
    assert "assuming image_2.dcm is frontal" in cxr_logs.text


def test_only_laterals_are_refused(files, tmp_path) -> None:
    with pytest.raises(DicomError, match=r"only non-frontal views \(LATERAL, LL\)"):
        load_study(files.study(tmp_path / "study", ("LL", "LATERAL")))


def test_reports_and_junk_beside_the_images_are_ignored(files, tmp_path) -> None:
    folder = files.study(tmp_path / "study", ("PA",))
    files.non_image(folder / "report.dcm")
    (folder / "notes.txt").write_text("DOE^JANE")
    (folder / ".DS_Store").write_bytes(b"\0" * 10)
    assert load_study(folder).image.meta.view_position == "PA"


def test_two_studies_in_one_folder_are_refused(files, tmp_path) -> None:
    folder = files.study(tmp_path / "mixed", ("PA",), day=0)
    files.save(files.dataset(day=30), folder / "other.dcm")
    with pytest.raises(DicomError, match="2 different studies") as error:
        load_study(folder)
    assert files.leaks(str(error.value)) == []


def test_single_files_of_every_kind(files, tmp_path) -> None:
    dicom = files.save(files.dataset(), tmp_path / "image")
    assert load_study(dicom).source == "image"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "x.png")
    assert load_study(tmp_path / "x.png").image.meta.transfer_syntax == "PNG"
    with pytest.raises(DicomError, match="no such file"):
        load_study(tmp_path / "missing.dcm")


def test_zip_study_loads_and_leaves_no_temporary_files(files, tmp_path, private_tmp) -> None:
    folder = files.study(tmp_path / "study", ("LL", "PA"))
    archive = files.zipped(folder, tmp_path / "study.zip")
    from_zip, from_folder = load_study(archive), load_study(folder)
    np.testing.assert_array_equal(from_zip.image.pixels, from_folder.image.pixels)
    assert from_zip.source == "study.zip"
    assert list(private_tmp.iterdir()) == []


def test_zip_temporary_files_are_removed_when_loading_fails(files, tmp_path, private_tmp) -> None:
    folder = tmp_path / "broken"
    files.truncated(folder / "image_1.dcm")
    with pytest.raises(DicomError, match="truncated"):
        load_study(files.zipped(folder, tmp_path / "broken.zip"))
    assert list(private_tmp.iterdir()) == []


def _series(files, root: Path, days: list[int], patients: list[str] | None = None) -> list[Path]:
    patients = patients or [files.PHI["PatientID"]] * len(days)
    return [
        files.study(root / f"study_{i}", ("PA",), day=day, patient=patient)
        for i, (day, patient) in enumerate(zip(days, patients, strict=True))
    ]


def test_prior_and_current_in_reverse_order_are_swapped_and_said(files, tmp_path, caplog) -> None:
    newer, older = _series(files, tmp_path, [40, 0])
    series = load_series([newer, older])
    prior, current = series.studies
    assert (prior.source, current.source) == ("study_1", "study_0")
    assert (prior.image.meta.study_order, current.image.meta.study_order) == (0, 1)
    assert series.validity.reordered and any("swapped" in w for w in series.validity.warnings)
    assert files.leaks(caplog.text + " ".join(series.validity.warnings)) == []


def test_longitudinal_series_is_returned_oldest_first(files, tmp_path) -> None:
    paths = _series(files, tmp_path, [300, 0, 700, 100])
    studies = load_studies(paths)
    assert [s.source for s in studies] == ["study_1", "study_3", "study_0", "study_2"]
    assert [s.image.meta.study_order for s in studies] == [0, 1, 2, 3]


def test_other_patients_are_refused_unless_allowed(files, tmp_path, caplog) -> None:
    paths = _series(files, tmp_path, [0, 30], patients=[files.PHI["PatientID"], "MRN0099999"])
    with pytest.raises(DicomError, match=r"different PatientID \(0010,0020\)") as error:
        load_studies(paths)
    assert "--allow-patient-mismatch" in str(error.value)
    assert files.leaks(str(error.value)) == [] and "MRN0099999" not in str(error.value)
    series = load_series(paths, ValidityPolicy(allow_patient_mismatch=True))
    warnings = " ".join(series.validity.warnings)
    assert len(series.studies) == 2 and "compared anyway" in warnings
    assert files.leaks(caplog.text + warnings) == [] and "MRN0099999" not in warnings


def test_studies_without_dates_keep_the_given_order(files, tmp_path, caplog) -> None:
    paths = _series(files, tmp_path, [40, 0])
    for path in paths:
        ds = pydicom.dcmread(path / "image_1.dcm")
        for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate"):
            delattr(ds, keyword)
        files.save(ds, path / "image_1.dcm")
    series = load_series(paths)
    assert [s.source for s in series.studies] == ["study_0", "study_1"]
    assert any("no StudyDate" in w for w in series.validity.warnings)


def test_malformed_header_values_are_not_echoed_by_pydicom(files, tmp_path, caplog, recwarn) -> None:
    ds = files.dataset()
    ds.StudyDate = "2023-04-05"  # not a valid DA
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.DOE.JANE"  # not a valid UI: pydicom's reader would quote it
    path = files.save(ds, tmp_path / "x.dcm")
    caplog.clear()
    recwarn.clear()  # writing the bad values warned; only reading them back is under test
    load_study(path)
    load_dicom(path)
    assert files.leaks(caplog.text) == []
    assert files.leaks(" ".join(str(w.message) for w in recwarn)) == []


def test_study_repr_and_key_show_no_phi(files, tmp_path) -> None:
    study = load_study(files.study(tmp_path / "study", ("PA",)))
    assert study.facts.key.patient_id == files.PHI["PatientID"]
    assert files.leaks(repr(study.facts)) == [] and files.leaks(repr(study)) == []


def test_folder_names_in_messages_are_base_names_only(files, tmp_path) -> None:
    folder = tmp_path / "DOE_JANE" / "study"
    shutil.copytree(files.study(tmp_path / "src", ("LL",)), folder)
    with pytest.raises(DicomError) as error:
        load_study(folder)
    assert str(error.value).startswith("study: ") and "DOE" not in str(error.value)


def test_bitmaps_cannot_be_checked_for_patient_or_date_and_say_so(tmp_path) -> None:
    for value, name in ((0, "prior.png"), (200, "current.png")):
        Image.fromarray(np.full((8, 8), value, np.uint8)).save(tmp_path / name)
    series = load_series([tmp_path / "prior.png", tmp_path / "current.png"])
    assert [s.source for s in series.studies] == ["prior.png", "current.png"]
    warnings = series.validity.warnings
    assert [w for w in warnings if w.startswith("unverified input")] == [
        f"unverified input: {name} is a PNG/JPEG without a DICOM header, so its modality, body part, patient, "
        "date and view could not be checked"
        for name in ("prior.png", "current.png")
    ]
    assert any("given order was kept" in w for w in warnings)
    assert series.validity.steps[0].views == ("PNG/JPEG", "PNG/JPEG")
