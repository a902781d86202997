"""make_dataset: the LEVIR-CC layout byte for byte, the training JSONL of docs/CONVENTIONS.md, seeds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from apps.rs_change.synthetic.landscape import WATER, Building, Landscape, Road, describe
from apps.rs_change.synthetic.make_dataset import DESCRIBE_PROMPT, main
from evaluation.datasets.levir_cc import PROMPT as CHANGE_PROMPT


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("rs_synth")
    assert main(["--out", str(out), "--n-train", "6", "--n-val", "2", "--n-test", "2", "--seed", "3",
                 "--size", "64", "--n-scenes", "1", "--scene-size", "256"]) == 0
    return out


def test_levircc_layout_and_json(dataset):
    images = json.loads((dataset / "LevirCCcaptions.json").read_text())["images"]
    assert [r["imgid"] for r in images] == list(range(10))
    assert [r["filename"] for r in images[:7]] == [f"train_{n:06d}.png" for n in range(1, 7)] + ["val_000001.png"]
    for record in images:
        assert list(record) == ["filepath", "filename", "imgid", "split", "sentids", "changeflag", "sentences"]
        assert record["filepath"] == record["split"] and record["changeflag"] in (0, 1)
        assert record["sentids"] == [5 * record["imgid"] + k for k in range(5)]
        for k, sentence in enumerate(record["sentences"]):
            assert list(sentence) == ["tokens", "raw", "imgid", "sentid"]
            assert sentence["raw"].startswith(" ") and sentence["raw"].endswith(" .")
            assert sentence["tokens"] == sentence["raw"][1:-2].split()
            assert (sentence["imgid"], sentence["sentid"]) == (record["imgid"], record["sentids"][k])
        for letter in "AB":
            with Image.open(dataset / "images" / record["split"] / letter / record["filename"]) as image:
                assert (image.size, image.mode) == ((256, 256), "RGB")


def test_training_jsonl_follows_the_conventions(dataset):
    levir = json.loads((dataset / "LevirCCcaptions.json").read_text())["images"]
    rows = [json.loads(line) for split in ("train", "val", "test")
            for line in (dataset / f"{split}.jsonl").read_text().splitlines()]
    assert len(rows) == 10
    for row, record in zip(rows, levir, strict=True):
        user, assistant = row["messages"]
        assert user == {"role": "user", "content": "<image><image>" + CHANGE_PROMPT}
        assert assistant["role"] == "assistant" and assistant["content"] == record["sentences"][0]["raw"][1:-2] + "."
        assert row["meta"]["changeflag"] == record["changeflag"]
        assert row["meta"]["references"] == [s["raw"][1:-2] for s in record["sentences"]]
        assert [p.rsplit("_", 1)[1] for p in row["images"]] == ["a.png", "b.png"]
        for path in row["images"]:
            with Image.open(dataset / path) as image:
                assert image.size == (64, 64)
    info = json.loads((dataset / "synthetic_info.json").read_text())
    assert sum(info["changed"].values()) == sum(r["changeflag"] for r in levir)
    assert (dataset / "scenes" / "scene_01" / "before.tif").is_file()


def test_output_does_not_depend_on_workers(dataset, tmp_path):
    assert main(["--out", str(tmp_path), "--n-train", "6", "--n-val", "2", "--n-test", "2", "--seed", "3",
                 "--size", "64", "--n-scenes", "0", "--workers", "2"]) == 0
    assert (tmp_path / "LevirCCcaptions.json").read_bytes() == (dataset / "LevirCCcaptions.json").read_bytes()
    assert (tmp_path / "train.jsonl").read_bytes() == (dataset / "train.jsonl").read_bytes()
    assert (tmp_path / "images_64/val/000002_b.png").read_bytes() == (dataset / "images_64/val/000002_b.png").read_bytes()


def test_bad_arguments_exit_with_a_usage_error(tmp_path):
    assert main(["--out", str(tmp_path), "--change-rate", "2"]) == 2


def test_describe_jsonl_describes_each_training_image(dataset):
    singles = [json.loads(line) for line in (dataset / "describe.jsonl").read_text().splitlines()]
    pairs = [json.loads(line) for line in (dataset / "train.jsonl").read_text().splitlines()]
    assert [s["images"][0] for s in singles] == [path for pair in pairs for path in pair["images"]]
    for pair, before, after in zip(pairs, singles[::2], singles[1::2], strict=True):
        texts = [single["messages"][1]["content"] for single in (before, after)]
        assert all(single["messages"][0]["content"] == DESCRIBE_PROMPT for single in (before, after))
        assert texts == pair["meta"]["descriptions"] and all(text.endswith(".") for text in texts)
        if pair["meta"]["change"] == "none":
            assert texts[0] == texts[1]  # the seasons differ, the landscape does not


def test_description_counts_buildings_and_roads():
    land = Landscape(64, np.zeros((64, 64), np.uint8), buildings=[Building((9, 9), 8, 6, 0, 0)] * 5)
    assert describe(land) == "several buildings, no road."
    land.roads.append(Road((0, 0), (63, 63), 8, True))
    land.cover[:32] = WATER
    assert describe(land) == "several buildings, a road, water."
