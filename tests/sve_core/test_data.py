"""JSONL loading: both ShareGPT spellings read the same, and every problem is reported with file, line, field."""

import json
import re
from pathlib import Path

import pytest

from sve_core.data import DataError, Message, SFTDataset, load_datasets, load_jsonl, texts
from tests.data.sharegpt.data import write_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("sharegpt"), train=8, val=2)


def write_lines(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def test_loads_the_suite_format(dataset):
    samples = load_jsonl(dataset / "train.jsonl")
    assert len(samples) == 8 and isinstance(SFTDataset(samples)[3], type(samples[3]))
    first = samples[0]
    assert all(path.is_file() and path.parent == dataset / "images" / "train" for path in first.images)
    assert first.messages[-1].role == "assistant" and first.source.endswith("train.jsonl:1")
    assert sum(m.content.count("<image>") for m in first.messages) == len(first.images)
    assert all("<image>" not in text for text in texts(samples))


def test_llamafactory_conversations_read_like_messages(dataset, tmp_path):
    record = json.loads((dataset / "train.jsonl").read_text().splitlines()[0])
    images = [str(dataset / name) for name in record["images"]]  # absolute paths stay absolute
    variant = {"system": "be brief.", "images": images,
               "conversations": [{"from": {"user": "human", "assistant": "gpt"}[m["role"]], "value": m["content"]}
                                 for m in record["messages"]]}
    sample = load_jsonl(write_lines(tmp_path / "lf.jsonl", [variant]))[0]
    assert sample.messages[0] == Message("system", "be brief.")
    assert [(m.role, m.content) for m in sample.messages[1:]] == [(m["role"], m["content"]) for m in record["messages"]]
    assert list(sample.images) == [Path(p) for p in images]


def good(images: list[str]) -> dict:
    return {"messages": [{"role": "user", "content": "<image>" * len(images) + "what changed?"},
                         {"role": "assistant", "content": "nothing."}], "images": images}


# (line content, field named in the report, words of the message)
BAD_LINES = [
    ('{"messages": [', "", "invalid JSON"),
    (["not", "an", "object"], "", "expected a JSON object"),
    ({**good(["images/train/000000_a.png"]), "images": ["missing.png"]}, "images[0]", "image file not found"),
    ({**good([]), "images": ["images/train/000000_a.png"]}, "images", "0 <image> placeholder(s) in the messages but 1"),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "  "}]},
     "messages[1].content", "empty assistant answer"),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a"},
                   {"role": "user", "content": "and?"}]}, "messages[2].role", "the last message must be the assistant"),
    ({"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "a"}]},
     "messages[0].role", "unknown role 'robot'"),
    ({"conversations": [{"from": "human", "value": "hi"}, {"from": "bot", "value": "a"}]},
     "conversations[1].from", "unknown role 'bot'"),
    ({"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "a"}]},
     "messages[0].content", "expected a string"),
    ({"images": []}, "messages", "missing"),
    ({"messages": [{"role": ["user"], "content": "hi"}, {"role": "assistant", "content": "a"}]},
     "messages[0].role", "unknown role ['user']"),
]


def test_every_problem_is_reported_with_file_line_and_field(dataset):
    path = dataset / "bad.jsonl"
    write_lines(path, [good(["images/train/000000_a.png"]), *(line for line, _, _ in BAD_LINES)])
    with pytest.raises(DataError) as caught:
        load_jsonl(path)
    found = {(p.line, p.field): p.message for p in caught.value.problems}
    for line, (_, field, words) in enumerate(BAD_LINES, start=2):
        assert words in found.get((line, field), ""), (line, field, found)
        assert f"{path}:{line}: " in str(caught.value)
    assert 1 not in {line for line, _ in found}  # the good line is not blamed


@pytest.mark.parametrize(("index",), [(i,) for i in range(len(BAD_LINES))])
def test_each_problem_alone_is_caught(dataset, index):
    line, field, words = BAD_LINES[index]
    with pytest.raises(DataError, match=re.escape("bad.jsonl:1: " + (f"{field}: " if field else "") + words)):
        load_jsonl(write_lines(dataset / "bad.jsonl", [line]))


def test_problems_of_several_files_come_together(dataset, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(DataError) as caught:
        load_datasets(dataset / "train.jsonl", empty, tmp_path / "absent.jsonl")
    assert [p.file.name for p in caught.value.problems] == ["empty.jsonl", "absent.jsonl"]
    assert "no samples" in str(caught.value) and "file not found" in str(caught.value)
