"""The `--model` path of the runners: a checkpoint's answers through the suite's one prediction path,
`sve_core.inference.Describer.predict`.

`sve_core.inference` is imported only when a run asks for a model, so scoring saved predictions never needs torch
or a checkpoint. The runners speak in (id, image paths, prompt) requests; `predict` answers a whole split in
batches with a progress bar, `Captioner.describe` one sequence (what the judge calls).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from evaluation.errors import CaptionerUnavailableError


@dataclass
class Captioner:
    """A loaded `sve_core.inference.Describer`, asked with image file paths (oldest first)."""

    describer: Any

    def describe(self, image_paths: list[str], prompt: str) -> str:
        return predict(self, [("", image_paths, prompt)], desc="")[""]


def load_captioner(model: str) -> Captioner:
    try:
        from sve_core.inference import load_describer
    except ImportError as exc:
        raise CaptionerUnavailableError(
            f"--model {model!r} needs sve_core.inference.load_describer, which could not be imported ({exc}). "
            "Score saved outputs with --predictions instead, or install the inference part of sve_core."
        ) from exc
    return Captioner(load_describer(model))


def predict(
    captioner: Captioner, requests: Sequence[tuple[str, list[str], str]], *, desc: str, batch_size: int = 8
) -> dict[str, str]:
    """id -> generated text for (id, image paths, prompt) requests, answered in batches with a progress bar
    (generation is the slow part of a benchmark run)."""
    from sve_core.inference import Request

    asked = [Request(images=tuple(images), prompt=prompt) for _, images, prompt in requests]
    with tqdm(total=len(asked), desc=desc, unit="item", disable=not desc) as bar:
        found = captioner.describer.predict(asked, batch_size=batch_size, progress=bar.update)
    return {item_id: answer.text for (item_id, _, _), answer in zip(requests, found, strict=True)}
