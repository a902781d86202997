"""The Medical-Diff-VQA converter on the fake PhysioNet + MIMIC-CXR-JPG layout of tests/data/medical_diff_vqa:
JSONL the trainer accepts, square images at the asked size, and an output folder the evaluation loader reads
as an images root, finding the very files it would pick from the original."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from apps.cxr.medical_diff_vqa_to_jsonl import main
from evaluation.datasets.medical_diff_vqa import MedicalDiffVQA
from sve_core.data import load_jsonl

DATA = Path(__file__).resolve().parents[2] / "data" / "medical_diff_vqa"


def test_converts_and_evaluation_reads_the_output(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    argv = ["--data", str(DATA), "--images", str(DATA), "--out", str(out), "--splits", "test"]
    assert main([*argv, "--size", "32"]) == 0
    samples, original = load_jsonl(out / "test.jsonl"), MedicalDiffVQA(DATA, "test", images_root=DATA)
    assert [s.messages[-1].content for s in samples] == [item["answer"] for item in original]
    assert all(
        s.messages[0].content == "<image><image>" + item["question"]
        for s, item in zip(samples, original, strict=True)
    )
    assert {Image.open(path).size for s in samples for path in s.images} == {(32, 32)}

    resized = MedicalDiffVQA(DATA, "test", images_root=out)
    relative = [[Path(p).relative_to(out) for p in item["images"]] for item in resized]
    assert relative == [[Path(p).relative_to(DATA) for p in item["images"]] for item in original]
    assert main([*argv, "--size", "32"]) == 2 and "is not empty" in capsys.readouterr().err
