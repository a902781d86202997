"""The three loaders on their seeded fake copies (tests/data/<name>), and the errors they raise when a file is
missing or malformed."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.datasets.imgedit import EDIT_TYPES, ImgEdit
from evaluation.datasets.levir_cc import LevirCC
from evaluation.datasets.medical_diff_vqa import MedicalDiffVQA
from evaluation.errors import DatasetFormatError, DatasetNotFoundError

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def copy_of(tmp_path: Path):
    def make(name: str) -> Path:
        return Path(shutil.copytree(DATA / name, tmp_path / name))

    return make


def test_levir_cc_reads_the_release_layout() -> None:
    test = LevirCC(DATA / "levir_cc", "test")
    assert len(test) == 4 and len(LevirCC(DATA / "levir_cc", "train")) == 3
    item = test[0]
    assert set(item) == {"id", "split", "images", "captions", "tokens", "changed"}
    assert item["id"] == "test_000000.png" and item["changed"] is True and test[1]["changed"] is False
    assert [Path(p).parts[-2] for p in item["images"]] == ["A", "B"]
    assert all(c.startswith(" ") and c.endswith(" .") for c in item["captions"])  # untouched raw sentences
    assert item["tokens"][0] == item["captions"][0].strip(" .").split(" ")


def test_levir_cc_errors(copy_of) -> None:
    root = copy_of("levir_cc")
    (root / "images" / "test" / "B" / "test_000002.png").unlink()
    with pytest.raises(DatasetNotFoundError, match="test_000002.png"):
        LevirCC(root, "test")
    (root / "LevirCCcaptions.json").write_text('{"images": [')
    with pytest.raises(DatasetFormatError, match="not valid JSON"):
        LevirCC(root, "test")
    (root / "LevirCCcaptions.json").write_text(
        json.dumps({"images": [{"split": "test", "filepath": "test"}]})
    )
    with pytest.raises(DatasetFormatError, match="missing field 'filename'"):
        LevirCC(root, "test")
    (root / "LevirCCcaptions.json").unlink()
    with pytest.raises(DatasetNotFoundError, match="LevirCCcaptions.json"):
        LevirCC(root, "test")


def test_medical_diff_vqa_prefers_pa_and_orders_prior_first() -> None:
    data = DATA / "medical_diff_vqa"
    test = MedicalDiffVQA(data, "test", images_root=data)
    assert [item["id"] for item in test] == ["1", "3", "5"]  # only difference questions of the split
    item = test[0]
    assert set(item) == {"id", "study_id", "ref_id", "subject_id", "question", "answer", "split", "images"}
    prior, current = (Path(p) for p in item["images"])
    assert prior.parent.name == "s50000001" and current.parent.name == "s50000002"
    with gzip.open(data / "mimic-cxr-2.0.0-metadata.csv.gz", "rt") as handle:
        views = {line.split(",")[0]: line.split(",")[4] for line in handle}
    assert views[current.stem] == "PA" and all(
        views[Path(p).stem] in ("PA", "AP") for i in test for p in i["images"]
    )
    assert MedicalDiffVQA(data, "test")[0]["images"] == []  # answers only: no image lookup


def test_medical_diff_vqa_errors(copy_of) -> None:
    root = copy_of("medical_diff_vqa")
    with pytest.raises(DatasetFormatError, match="split 'val'"):
        MedicalDiffVQA(root, "val")
    (root / "mimic-cxr-2.0.0-metadata.csv.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match="mimic-cxr-2.0.0-metadata.csv"):
        MedicalDiffVQA(root, "test", images_root=root)
    text = (root / "mimic_pair_questions.csv").read_text()
    (root / "mimic_pair_questions.csv").write_text(text.replace("ref_id", "reference"))
    with pytest.raises(DatasetFormatError, match="ref_id"):
        MedicalDiffVQA(root, "test")


def test_imgedit_sequences_and_types() -> None:
    edits = ImgEdit(DATA / "imgedit", "test")
    assert [item["edit_type"] for item in edits] == list(EDIT_TYPES)
    assert set(edits[0]) == {"id", "edit_type", "images", "instruction"}
    assert [len(item["images"]) for item in edits] == [2, 2, 2, 3, 3, 2, 2]
    assert Path(edits[0]["images"][0]).name == "original.png"


def test_imgedit_errors(copy_of) -> None:
    root = copy_of("imgedit")
    lines = (root / "test.jsonl").read_text().splitlines()
    (root / "test.jsonl").write_text("\n".join([lines[0], lines[1].replace('"adjust"', '"recolour"')]))
    with pytest.raises(DatasetFormatError, match="line 2: edit_type 'recolour'"):
        ImgEdit(root)
    (root / "test.jsonl").write_text(lines[0] + "\n{oops\n")
    with pytest.raises(DatasetFormatError, match="line 2: not valid JSON"):
        ImgEdit(root)
    with pytest.raises(DatasetNotFoundError, match="val.jsonl"):
        ImgEdit(root, "val")


@pytest.mark.parametrize("name", ["levir_cc", "medical_diff_vqa", "imgedit"])
def test_committed_fixtures_match_their_generator(name: str, tmp_path: Path) -> None:
    """The small files in tests/data are exactly what the seeded script writes."""
    script = shutil.copy(DATA / name / "data.py", tmp_path / "data.py")
    subprocess.run([sys.executable, script], check=True)
    generated = sorted(
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() and p.name != "data.py"
    )
    committed = sorted(
        p.relative_to(DATA / name) for p in (DATA / name).rglob("*") if p.is_file() and p.name != "data.py"
    )
    assert generated == committed
    assert all((tmp_path / p).read_bytes() == (DATA / name / p).read_bytes() for p in generated)


def test_medical_diff_vqa_reads_both_csv_layouts(copy_of) -> None:
    """The release's CSV (unnamed index column) and a copy saved without it give the same records."""
    root = copy_of("medical_diff_vqa")
    with_index = [dict(item) for item in MedicalDiffVQA(root, "test", images_root=root)]
    lines = (root / "mimic_pair_questions.csv").read_text().splitlines()
    (root / "mimic_pair_questions.csv").write_text("\n".join(line.split(",", 1)[1] for line in lines) + "\n")
    assert [dict(item) for item in MedicalDiffVQA(root, "test", images_root=root)] == with_index


def test_medical_diff_vqa_drops_pairs_whose_reference_is_later(copy_of) -> None:
    root = copy_of("medical_diff_vqa")
    questions = root / "mimic_pair_questions.csv"
    index = len(questions.read_text().splitlines()) - 1
    # main study 50000001 (2150-01-01) against reference 50000002 (2150-03-01): the reference is the later one
    with questions.open("a") as handle:
        handle.write(f"{index},50000001,10000001,50000002,difference,q,nothing has changed.,test\n")
    assert len(MedicalDiffVQA(root, "test").items) == 4 and MedicalDiffVQA(root, "test").reversed_dropped is None
    dated = MedicalDiffVQA(root, "test", metadata_root=root)
    assert dated.reversed_dropped == 1 and [item["id"] for item in dated] == [
        item["id"] for item in MedicalDiffVQA(DATA / "medical_diff_vqa", "test")
    ]
