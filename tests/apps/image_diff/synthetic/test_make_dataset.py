"""The dataset export: the trainer's JSONL layout (docs/CONVENTIONS.md), reproducible to the byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from apps.image_diff.answers import split_answer
from apps.image_diff.synthetic.edits import DESCRIBE_PROMPT, EDIT_PROMPT, SEQUENCE_PROMPT
from apps.image_diff.synthetic.make_dataset import DatasetConfig, main, write_dataset

ARGS = ["--n-train", "6", "--n-val", "2", "--n-test", "3", "--seed", "5", "--size", "64", "--max-images", "3"]


def digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_layout_follows_the_conventions(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path / "data"), *ARGS]) == 0
    folder = tmp_path / "data"
    counts = {}
    for split in ("train", "val", "test"):
        records = [json.loads(line) for line in (folder / f"{split}.jsonl").read_text().splitlines()]
        counts[split] = len(records)
        for record in records:
            user, assistant = record["messages"]
            images = record["images"]
            assert (user["role"], assistant["role"]) == ("user", "assistant")
            assert user["content"].count("<image>") == len(images) in (2, 3)
            assert user["content"].endswith(EDIT_PROMPT if len(images) == 2 else SEQUENCE_PROMPT)
            assert all(path.startswith(f"images/{split}/") for path in images)
            assert all(Image.open(folder / path).size == (64, 64) for path in images)
            edits = record["meta"]["edits"]
            assert len(edits) == len(images) - 1
            assert all(edit["instruction"] in assistant["content"] for edit in edits)
            assert all(
                edit["category"] in ("add", "remove", "replace", "adjust", "background") for edit in edits
            )
    assert counts == {"train": 6, "val": 2, "test": 3}


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    for name in ("first", "second"):
        assert main(["--out", str(tmp_path / name), *ARGS]) == 0
    assert digest(tmp_path / "first") == digest(tmp_path / "second")


def test_observations_change_only_the_answers(tmp_path: Path) -> None:
    """`--observations`: the same images and meta; in-place edits' answers gain 'before -> after: '."""
    assert main(["--out", str(tmp_path / "plain"), *ARGS]) == 0
    assert main(["--out", str(tmp_path / "observed"), *ARGS, "--observations"]) == 0
    plain, observed = digest(tmp_path / "plain"), digest(tmp_path / "observed")
    assert {k: v for k, v in plain.items() if k.startswith("images/")} == {
        k: v for k, v in observed.items() if k.startswith("images/")
    }
    for split in ("train", "val", "test"):
        plain_lines, observed_lines = ((tmp_path / name / f"{split}.jsonl").read_text().splitlines()
                                       for name in ("plain", "observed"))
        for plain_line, observed_line in zip(plain_lines, observed_lines, strict=True):
            before, after = json.loads(plain_line), json.loads(observed_line)
            assert before["meta"] == after["meta"] and before["images"] == after["images"]
            one_object = any(edit["before"] and edit["after"] for edit in before["meta"]["edits"])
            assert (" -> " in after["messages"][1]["content"]) is one_object
            assert split_answer(after["messages"][1]["content"]).instruction == before["messages"][1]["content"]


def test_more_training_samples_keep_the_earlier_ones(tmp_path: Path) -> None:
    write_dataset(DatasetConfig(out=tmp_path / "small", n_train=3, n_val=0, n_test=0))
    write_dataset(DatasetConfig(out=tmp_path / "large", n_train=5, n_val=0, n_test=0))
    small, large = digest(tmp_path / "small"), digest(tmp_path / "large")
    assert all(large[name] == value for name, value in small.items() if name.startswith("images/"))


def test_non_empty_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["--out", str(tmp_path), *ARGS]) == 2
    assert "folder is not empty" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"size": 32}, "--size must be at least 48"), ({"n_val": -1}, "sample counts must be >= 0")],
)
def test_bad_config_is_refused(tmp_path: Path, fields: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DatasetConfig(out=tmp_path, **fields)


def test_describe_jsonl_shows_the_edits(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path / "data"), *ARGS]) == 0
    folder = tmp_path / "data"
    pairs = [json.loads(line) for line in (folder / "train.jsonl").read_text().splitlines()]
    singles = {s["images"][0]: s for s in map(json.loads, (folder / "describe.jsonl").read_text().splitlines())}
    assert list(singles) == [path for pair in pairs for path in pair["images"]]
    for pair in pairs:
        texts = [singles[path]["messages"][1]["content"] for path in pair["images"]]
        assert all(singles[path]["messages"][0]["content"] == DESCRIBE_PROMPT for path in pair["images"])
        for edit, before, after in zip(pair["meta"]["edits"], texts, texts[1:], strict=False):
            if edit["operation"] != "resize":  # a resize shows only when it crosses the "small"/"large" bounds
                assert before != after
            if edit["category"] == "remove":
                label = f"{edit['before']['color']} {edit['before']['shape']}"
                assert label in before and label not in after
