"""The committed UI examples load through the real ingestion and are what their script writes."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from apps.image_diff import load_images
from apps.image_diff.synthetic.make_examples import OUT, write_examples


def test_every_example_loads() -> None:
    manifest = json.loads((OUT / "examples.json").read_text())
    assert {case["name"] for case in manifest} >= {"add", "photo"}
    for case in manifest:
        images = load_images([OUT / name for name in case["images"]])
        assert len(images) == len(case["images"]) in (2, 3)
        assert all(image.tobytes() != images[0].tobytes() for image in images[1:])
        assert all((OUT / name).stat().st_size < 40_000 for name in case["images"])


def test_examples_match_their_script(tmp_path: Path) -> None:
    manifest = write_examples(tmp_path)
    assert manifest == json.loads((OUT / "examples.json").read_text())
    for case in manifest:
        for name in case["images"]:
            if name.endswith(".png"):  # compare pixels, not bytes: zlib versions may compress differently
                assert Image.open(tmp_path / name).tobytes() == Image.open(OUT / name).tobytes()
