"""The phantom -> Medical-Diff-VQA export: files spelled like the release (headers byte-equal to the fake copy the
loader is tested on), read back by `evaluation.datasets.medical_diff_vqa` as the same pairs with the same images,
and scored by `sve eval cxr-diff` exactly as `sve cxr evaluate` scores the JSONL."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from apps.common.evaluate import read_split
from apps.cxr.evaluate import cxr_report
from apps.cxr.phantoms.export_mdvqa import main
from evaluation.datasets.medical_diff_vqa import METADATA, QUESTIONS, MedicalDiffVQA
from evaluation.runners.cxr_diff import CxrDiffRun, run_cxr_diff

TESTS = Path(__file__).resolve().parents[3]
FAKE_RELEASE = TESTS / "data" / "medical_diff_vqa"


def _script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Path]:
    """(phantom dataset, its export): one train pair, four test pairs (one without change, AP and PA views)."""
    phantoms = _script(TESTS / "data" / "cxr" / "phantom_jsonl.py")
    data, out = tmp_path_factory.mktemp("phantoms"), tmp_path_factory.mktemp("export") / "mdvqa"
    phantoms.write_split(data, "train", 1, seed=1)
    phantoms.write_split(data, "test", 4, seed=1)
    assert main(["--data", str(data), "--out", str(out), "--splits", "train", "test"]) == 0
    return data, out


def _first_line(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return handle.readline()


def test_headers_are_byte_equal_to_the_release(exported) -> None:
    _, out = exported
    for name in (QUESTIONS, f"{METADATA}.gz"):
        assert _first_line(out / name) == _first_line(FAKE_RELEASE / name)
    assert (out / QUESTIONS).read_bytes().count(b"\r") == 0


def test_loader_reads_the_same_pairs_and_images(exported) -> None:
    data, out = exported
    jsonl = read_split(data, "test")
    items = MedicalDiffVQA(out, "test", images_root=out).items
    assert [item["id"] for item in items] == ["1", "2", "3", "4"]  # row 0 is the train pair
    assert [item["answer"] for item in items] == [record.answer for record in jsonl]
    assert {item["question"] for item in items} == {"What has changed compared to the reference image?"}
    for item, record in zip(items, jsonl, strict=True):
        assert re.fullmatch(r"1\d{7}", item["subject_id"]) and re.fullmatch(r"5\d{7}", item["ref_id"])
        assert item["ref_id"] < item["study_id"]
        for jpeg, png in zip(item["images"], record.images, strict=True):
            assert re.search(r"/files/p1\d/p1\d{7}/s5\d{7}/(?:[0-9a-f]{8}-){4}[0-9a-f]{8}\.jpg$", jpeg)
            exported_pixels, original = (np.asarray(Image.open(p), dtype=float) for p in (jpeg, png))
            assert Image.open(jpeg).mode == "L" and exported_pixels.shape == original.shape
            assert np.abs(exported_pixels - original).mean() < 2.0  # JPEG quality 95


def test_views_reach_the_metadata(exported) -> None:
    data, out = exported
    with gzip.open(out / f"{METADATA}.gz", "rt") as handle:
        views = [line.split(",")[4] for line in handle.read().splitlines()[1:]]
    expected = [
        view for split in ("train", "test") for r in read_split(data, split) for view in r.meta["views"]
    ]
    assert views == expected


def test_cxr_diff_scores_the_export_as_sve_cxr_evaluate_scores_the_jsonl(exported, tmp_path: Path) -> None:
    data, out = exported
    jsonl = read_split(data, "test")
    answers = [
        "nothing has changed.",
        jsonl[1].answer,
        "the main image has an additional finding of edema.",
        "",
    ]
    predictions = tmp_path / "rows.json"
    predictions.write_text(json.dumps({str(row): text for row, text in enumerate(answers, start=1)}))

    released = run_cxr_diff(CxrDiffRun(data=out, predictions=predictions, meteor=False)).payload["scores"]
    ours = cxr_report(
        jsonl,
        {r.id: text for r, text in zip(jsonl, answers, strict=True)},
        split="test",
        system="x",
        meteor=False,
    ).payload["scores"]
    assert released == ours


def test_refuses_a_folder_that_is_not_empty(exported, capsys) -> None:
    data, out = exported
    assert main(["--data", str(data), "--out", str(out)]) == 2
    assert "is not empty" in capsys.readouterr().err
