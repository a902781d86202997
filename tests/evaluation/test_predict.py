"""`--model` plumbing without a model: a fake `sve_core.inference` stands in for the real one."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from evaluation.errors import CaptionerUnavailableError
from evaluation.predict import load_captioner, predict

IMAGES = Path(__file__).resolve().parents[1] / "data" / "levir_cc" / "images" / "test"


class FakeDescriber:
    def __init__(self, name: str) -> None:
        self.name = name

    def predict(self, requests: list, *, batch_size: int, progress) -> list[SimpleNamespace]:
        progress(len(requests))
        return [SimpleNamespace(text=self._describe([Image.open(path).convert("RGB") for path in r.images],
                                                    r.prompt)) for r in requests]

    def _describe(self, images: list[Image.Image], prompt: str) -> str:
        return f"{self.name}: {len(images)} {images[0].mode} images, asked {prompt!r}"


def test_load_captioner_wraps_the_describer(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("sve_core.inference")
    fake.load_describer = FakeDescriber
    fake.Request = SimpleNamespace
    monkeypatch.setitem(sys.modules, "sve_core.inference", fake)
    captioner = load_captioner("ckpt")
    paths = [str(IMAGES / side / "test_000000.png") for side in ("A", "B")]
    assert predict(captioner, [("x", paths, "what changed?")], desc="test") == {
        "x": "ckpt: 2 RGB images, asked 'what changed?'"
    }


def test_missing_inference_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sve_core.inference", None)
    with pytest.raises(CaptionerUnavailableError, match="--predictions"):
        load_captioner("ckpt")
