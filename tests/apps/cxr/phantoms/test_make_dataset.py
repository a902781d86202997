"""`python -m apps.cxr.phantoms.make_dataset`: writes the trainer's JSONL (docs/CONVENTIONS.md) and DICOM studies that
load back to the same pair, reproducibly from the seed, with nothing but fake identities in the files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from apps.cxr import load_studies
from apps.cxr.phantoms.make_dataset import main
from apps.cxr.phantoms.patients import CHANGE_QUESTION, FINDINGS_QUESTION, change_answer, findings_answer

ARGS = [
    "--n-train",
    "3",
    "--n-val",
    "1",
    "--n-test",
    "1",
    "--size",
    "32",
    "--dicom-size",
    "64",
    "--seed",
    "5",
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("phantoms") / "ds"
    assert main(["--out", str(out), *ARGS]) == 0
    return out


def _records(root: Path, split: str) -> list[dict]:
    return [json.loads(line) for line in (root / f"{split}.jsonl").read_text().splitlines()]


def test_jsonl_follows_the_training_convention(dataset) -> None:
    assert [len(_records(dataset, s)) for s in ("train", "val", "test")] == [3, 1, 1]
    for record in _records(dataset, "train"):
        user, assistant = record["messages"]
        assert user == {"role": "user", "content": CHANGE_QUESTION}
        assert user["content"].count("<image>") == len(record["images"]) == 2
        assert assistant["role"] == "assistant"
        assert assistant["content"] == change_answer(record["meta"]["added"], record["meta"]["missing"])
        prior, current = (Image.open(dataset / path) for path in record["images"])
        assert prior.size == current.size == (32, 32) and prior.mode == "L"
        assert record["images"][0].endswith("_a.png") and record["images"][1].endswith("_b.png")


def test_pngs_are_the_dicom_studies_loaded_back_in_date_order(dataset) -> None:
    record = _records(dataset, "val")[0]
    studies = load_studies([dataset / d for d in record["meta"]["dicom"]])
    assert [s.source for s in studies] == ["study_1", "study_2"]
    assert [s.image.meta.view_position in ("PA", "AP", None) for s in studies] == [True, True]
    png = np.asarray(Image.open(dataset / record["images"][0]))
    assert png.std() > 10  # a radiograph, not a blank


def test_dicom_identities_are_plainly_fake(dataset) -> None:
    for path in sorted((dataset / "dicom").rglob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert str(ds.PatientName).startswith("PHANTOM^") and ds.PatientID.startswith("PHANTOM-")
        assert (
            ds.StudyDate.startswith("21")
            and ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        )
        assert ds.Modality in ("CR", "DX") and ds.PhotometricInterpretation in ("MONOCHROME1", "MONOCHROME2")


def test_same_seed_same_dataset_and_non_empty_out_is_refused(dataset, tmp_path, capsys) -> None:
    again = tmp_path / "again"
    assert main(["--out", str(again), *ARGS]) == 0
    for split in ("train", "val", "test"):
        assert (again / f"{split}.jsonl").read_text() == (dataset / f"{split}.jsonl").read_text()
    first = sorted(p.relative_to(dataset) for p in dataset.rglob("*.dcm"))
    assert first == sorted(p.relative_to(again) for p in again.rglob("*.dcm"))
    assert (again / first[0]).read_bytes() == (dataset / first[0]).read_bytes()
    assert main(["--out", str(again), *ARGS]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_describe_jsonl_lists_each_training_images_findings(dataset) -> None:
    singles = _records(dataset, "describe")
    pairs = _records(dataset, "train")
    assert [s["images"][0] for s in singles] == [path for pair in pairs for path in pair["images"]]
    for pair, prior, current in zip(pairs, singles[::2], singles[1::2], strict=True):
        for single, key in ((prior, "prior_findings"), (current, "current_findings")):
            user, assistant = single["messages"]
            assert user["content"] == FINDINGS_QUESTION and user["content"].count("<image>") == 1
            assert assistant["content"] == findings_answer(pair["meta"][key])
        for added in pair["meta"]["added"]:
            assert added in current["messages"][1]["content"] and added not in prior["messages"][1]["content"]
