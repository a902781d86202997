"""The one JSONL reader/writer: round trip, nothing half-written, bad lines named."""

import pytest

from sve_core.jsonl import append_jsonl, read_jsonl, write_jsonl


def test_round_trip_and_append(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", ({"n": n, "text": "ü"} for n in range(3)))
    append_jsonl(path, {"n": 3})
    assert read_jsonl(path) == [{"n": 0, "text": "ü"}, {"n": 1, "text": "ü"}, {"n": 2, "text": "ü"}, {"n": 3}]


def test_a_failing_writer_leaves_no_file(tmp_path):
    def records():
        yield {"n": 0}
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        write_jsonl(tmp_path / "a.jsonl", records())
    assert list(tmp_path.iterdir()) == []


def test_invalid_line_is_named(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"n": 0}\n{"n": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.jsonl:2: invalid JSON"):
        read_jsonl(tmp_path / "a.jsonl")
