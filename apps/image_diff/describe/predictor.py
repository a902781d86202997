"""`DiffPredictor`: the image-diff model behind `sve diff` and the UI tab, loaded once; no Gradio import here.

`predict(2-3 image files)` runs the uploads through the ingestion's safety checks, asks the model the question
it was trained on (`synthetic.EDIT_PROMPT` for a pair, `SEQUENCE_PROMPT` for three images; a model trained on
pairs only, like the embedded demo model, is asked about each consecutive pair instead), and returns a
`DiffResult`: the edit instruction(s), each edit's ImgEdit category, what the model said it saw (the demo
model states an edited object before and after, `answers.py`), and where the model saw change: a heatmap
per later image, read off the SVE cross-attention (a stateless model has none), drawn over that image. The
describer's processor resizes images to the model's working size; heatmaps come back at the loaded size.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from apps.common.overlay import heatmap_overlay
from apps.common.predictor import DescriberBacked, load_app_describer
from apps.image_diff.answers import split_answer
from apps.image_diff.describe.categories import EditCategory, edit_categories, edit_category
from apps.image_diff.describe.domain import domain_notice
from apps.image_diff.describe.readable import Reading, is_no_edit, read
from apps.image_diff.ingest import load_images
from apps.image_diff.synthetic.edits import (
    EDIT_PROMPT,
    SEQUENCE_MODES,
    SEQUENCE_PROMPT,
    SequenceMode,
    in_order,
)
from sve_core.inference import Describer, Request

DEMO_MODEL_DIR = Path(__file__).resolve().parents[1] / "demo_model"
UNREADABLE = "the model could not describe this pair"


@dataclass(frozen=True)
class DiffResult:
    """What the model said about one image sequence, with everything a viewer or a JSON record needs."""

    text: str  # the instruction (pair) or one sentence per edit (sequence), observations taken out
    categories: list[EditCategory]  # one per edit stated in `text`
    observations: tuple[str, ...]  # "before -> after" per edit the model stated one for (empty for most models)
    images: list[Image.Image]  # the loaded images, oldest first, all at the first image's size
    heatmaps: list[np.ndarray | None]  # per image (H, W) in [0, 1]; None: the first image, stateless models
    overlays: list[Image.Image]  # each image with its heatmap drawn on it (the image itself where None)
    model: str
    demo: bool  # True when running the embedded demo model
    raw: str = ""  # the model's words as written, observations included
    notice: str = ""  # `domain.domain_notice` for the demo model: the images are far from its training data
    reading: Reading = Reading(True)  # `readable.read`: word salad is never shown as an instruction

    @property
    def readable(self) -> bool:
        return self.reading.readable

    @property
    def edited(self) -> bool | None:
        """False when the model answered no edit, None when its answer was unreadable."""
        return None if not self.readable else not is_no_edit(self.text)

    @property
    def shown(self) -> str:
        """What a user is shown as the answer: the instruction, or `UNREADABLE`."""
        return self.text if self.readable else UNREADABLE

    @property
    def has_heatmaps(self) -> bool:
        return any(heatmap is not None for heatmap in self.heatmaps)

    @property
    def steps(self) -> int:
        """Number of consecutive pairs: the edits the images show."""
        return len(self.images) - 1

    def step(self, index: int, *, heatmap: bool) -> tuple[Image.Image, Image.Image]:
        """(image `index`, image `index + 1`), 0-based, the later one with its change heatmap if asked."""
        if not 0 <= index < self.steps:
            raise ValueError(f"step must be 0 to {self.steps - 1} for {len(self.images)} images, got {index}")
        later = self.overlays if heatmap else self.images
        return self.images[index], later[index + 1]

    def record(self, item_id: str, names: Sequence[str]) -> dict[str, Any]:
        """The JSON record of `sve diff describe --json` and `sve diff predict`: `id` and `caption` are the
        fields `sve eval judge` reads from a list of records (evaluation/caption_files.py)."""
        return {
            "id": item_id,
            "caption": self.shown,
            "readable": self.readable,
            "edited": self.edited,
            "raw": self.raw,
            "notice": self.notice,
            "categories": list(self.categories),
            "observations": list(self.observations),
            "images": list(names),
            "model": self.model,
            "demo": self.demo,
        }


class DiffPredictor(DescriberBacked):
    """One describer shared by every request (it serialises generation itself). `sequence`: how three images are
    asked about; default "pairwise" for the embedded demo model (trained on pairs only), "joint" otherwise."""

    def __init__(self, describer: Describer, sequence: SequenceMode | None = None) -> None:
        if sequence is not None and sequence not in SEQUENCE_MODES:
            raise ValueError(f"sequence must be one of {', '.join(SEQUENCE_MODES)}, got {sequence!r}")
        self.describer = describer
        self.sequence: SequenceMode = sequence or ("pairwise" if describer.demo else "joint")

    @classmethod
    def load(
        cls, model: str | None, *, max_new_tokens: int = 64, sequence: SequenceMode | None = None
    ) -> DiffPredictor:
        """`model` (hub id, local folder, ``tiny:<family>``), or the embedded demo model when None."""
        return cls(load_app_describer(model, DEMO_MODEL_DIR, max_new_tokens=max_new_tokens), sequence)

    def predict(self, sources: Sequence[str | Path | bytes]) -> DiffResult:
        """Describe the edits from each image to the next; raises `ImageInputError` naming a bad file."""
        return self.predict_images(load_images(sources))

    def predict_images(self, images: list[Image.Image]) -> DiffResult:
        """`predict` on images already through `load_images`, for callers that check files before loading a
        model (the CLI, so a typo fails at once)."""
        if len(images) == 2 or self.sequence == "joint":
            prompt = EDIT_PROMPT if len(images) == 2 else SEQUENCE_PROMPT
            description = self.describer.predict([Request(images, prompt)], heatmaps=True)[0]
            answer, heatmaps = split_answer(description.text), description.heatmaps
            text, observations, raw = answer.instruction, answer.observations, description.text
            categories = edit_categories(text, len(images) - 1)
            readings = [read(raw, grammar=self.demo)]
        else:
            pairs = [Request(list(pair), EDIT_PROMPT) for pair in itertools.pairwise(images)]
            steps = self.describer.predict(pairs, batch_size=1, heatmaps=True)  # pairs may differ in size
            answers = [split_answer(step.text) for step in steps]
            text, heatmaps = in_order([a.instruction for a in answers]), [None, *(step.heatmaps[1] for step in steps)]
            observations = tuple(seen for a in answers for seen in a.observations)
            categories = [edit_category(a.instruction) for a in answers]
            raw = "\n".join(step.text for step in steps)
            readings = [read(step.text, grammar=self.demo) for step in steps]
        return DiffResult(
            text=text,
            categories=categories,
            observations=observations,
            images=images,
            heatmaps=heatmaps,
            overlays=[heatmap_overlay(image, heat) for image, heat in zip(images, heatmaps, strict=True)],
            model=self.name,
            demo=self.demo,
            raw=raw,
            reading=next((reading for reading in readings if not reading.readable), Reading(True)),
            notice=domain_notice(images) if self.demo else "",
        )
