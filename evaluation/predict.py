"""The `--model` path of the runners: turn a checkpoint into predictions.

Inference lives in `sve_core.inference`; it is imported only when a run asks for a model, so scoring saved
predictions never needs torch or a checkpoint. `load_describer(model)` returns a describer whose
`describe(images, prompt) -> str` generates the text for one image sequence (PIL images, oldest first); the
runners speak in file paths, so `load_captioner` wraps it to open the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image
from tqdm import tqdm

from evaluation.errors import CaptionerUnavailableError


class Captioner(Protocol):
    def describe(self, image_paths: list[str], prompt: str) -> str: ...


@dataclass
class DescriberCaptioner:
    """A `sve_core` describer behind the `Captioner` protocol."""

    describer: Any

    def describe(self, image_paths: list[str], prompt: str) -> str:
        return self.describer.describe([Image.open(path).convert("RGB") for path in image_paths], prompt)


def load_captioner(model: str) -> Captioner:
    try:
        from sve_core.inference import load_describer
    except ImportError as exc:
        raise CaptionerUnavailableError(
            f"--model {model!r} needs sve_core.inference.load_describer, which could not be imported ({exc}). "
            "Score saved outputs with --predictions instead, or install the inference part of sve_core."
        ) from exc
    return DescriberCaptioner(load_describer(model))


def predict(
    captioner: Captioner, requests: Sequence[tuple[str, list[str], str]], *, desc: str
) -> dict[str, str]:
    """id -> generated text for (id, image paths, prompt) requests, with a progress bar: generation is the slow
    part of a benchmark run."""
    return {
        item_id: captioner.describe(images, prompt)
        for item_id, images, prompt in tqdm(requests, desc=desc, unit="item")
    }
