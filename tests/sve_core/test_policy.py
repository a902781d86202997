"""The core input policy: training records (line, answer, image), `--skip-bad-records`, JSON files for
`sve eval`, and checkpoint verification before resuming."""

from __future__ import annotations

import json
import struct

import pytest
from PIL import Image

from sve_core.checkpoint import CheckpointError
from sve_core.data import DataError, load_jsonl
from sve_core.policy.checkpoint import verify_safetensors
from sve_core.policy.records import MAX_ANSWER_CHARS, JsonFileError, read_json


def _record(answer: str, image: str = "a.png") -> str:
    return json.dumps({"messages": [{"role": "user", "content": "<image>What is it?"},
                                    {"role": "assistant", "content": answer}], "images": [image]})


@pytest.fixture
def data(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "a.png").read_bytes()[:40])
    lines = [_record("fine"), _record("x" * (MAX_ANSWER_CHARS + 1)), _record("fine", "cut.png")]
    path = tmp_path / "train.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"bad": "\xff"}\n')
    return path


def test_every_bad_record_is_reported_with_its_line(data) -> None:
    with pytest.raises(DataError) as error:
        load_jsonl(data)
    lines = sorted(problem.line for problem in error.value.problems)
    assert lines == [2, 3, 4]
    text = str(error.value)
    assert "characters, over the" in text and "cut.png: cannot be decoded" in text and "not UTF-8" in text


def test_skip_bad_records_keeps_the_good_ones_and_lists_the_rest(data) -> None:
    skipped = []
    samples = load_jsonl(data, skipped=skipped)
    assert [s.source for s in samples] == [f"{data}:1"]
    assert sorted(p.line for p in skipped) == [2, 3, 4]


@pytest.mark.parametrize(("content", "message"), [
    (None, "is a folder"), (b"", "empty"), (b"nope", "not valid JSON"), (b"\xff{}", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_json_inputs_fail_in_one_line(tmp_path, content, message) -> None:
    path = tmp_path / "x.json"
    path.mkdir() if content is None else path.write_bytes(content)
    with pytest.raises(JsonFileError, match=message) as error:
        read_json(path)
    assert "\n" not in str(error.value)


def test_truncated_safetensors_is_named(tmp_path) -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    whole = struct.pack("<Q", len(header)) + header + bytes(16)
    path = tmp_path / "model.safetensors"
    path.write_bytes(whole)
    verify_safetensors(path)
    for cut in (whole[:-1], whole[:20], whole[:4]):
        path.write_bytes(cut)
        with pytest.raises(CheckpointError, match="model.safetensors"):
            verify_safetensors(path)
