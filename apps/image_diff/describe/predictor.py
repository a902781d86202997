"""`DiffPredictor`: the image-diff model behind `sve diff` and the UI tab, loaded once; no Gradio import here.

`predict(2-3 image files)` runs the uploads through the ingestion's safety checks, asks the model the question
it was trained on (`synthetic.EDIT_PROMPT` for a pair, `SEQUENCE_PROMPT` for three images; a model trained on
pairs only, like the embedded demo model, is asked about each consecutive pair instead), and returns a
`DiffResult`: p(edit) per step against the threshold stored beside the model (`calibration.py`; "no
difference found" below it), the edit instruction(s), each edit's ImgEdit category, what the model said it saw
(the demo model states an edited object before and after, `answers.py`), and where the model saw change: a
heatmap per later image, read off the SVE cross-attention (a stateless model has none), drawn over that image.
The describer's processor resizes images to the model's working size; heatmaps come back at the loaded size.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from apps.common.overlay import heatmap_overlay
from apps.common.predictor import DescriberBacked, load_app_describer
from apps.image_diff.answers import split_answer
from apps.image_diff.describe.calibration import EditCalibration, edit_probability
from apps.image_diff.describe.categories import EditCategory, edit_categories, edit_category
from apps.image_diff.describe.domain import domain_notice
from apps.image_diff.describe.readable import Reading, is_no_edit, read
from apps.image_diff.describe.registration import alignment_notice, register
from apps.image_diff.ingest import load_images
from apps.image_diff.synthetic.edits import (
    EDIT_PROMPT,
    NO_EDIT,
    SEQUENCE_MODES,
    SEQUENCE_PROMPT,
    SequenceMode,
    in_order,
)
from sve_core.inference import Describer

DEMO_MODEL_DIR = Path(__file__).resolve().parents[1] / "demo_model"
UNREADABLE = "the model could not describe this pair"
NO_DIFFERENCE = "no difference found"


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
    aligned: str = ""  # `registration.alignment_notice`: a later image was moved back by a few pixels
    identical: bool = False  # every image equals the one before, pixel for pixel: no model was asked
    reading: Reading = Reading(True)  # `readable.read`: word salad is never shown as an instruction
    p_edits: tuple[float, ...] = (1.0,)  # p(edit) per question asked: one per step (pairwise), else one
    calibration: EditCalibration = EditCalibration()  # its `threshold` decides `edited`

    @property
    def readable(self) -> bool:
        return self.reading.readable

    @property
    def p_edit(self) -> float:
        """The sequence's p(edit): its most likely edited step."""
        return max(self.p_edits)

    @property
    def threshold(self) -> float:
        return self.calibration.threshold

    def with_threshold(self, threshold: float) -> DiffResult:
        """The same answer judged at another p(edit) threshold (the UI slider, `--threshold`)."""
        return replace(self, calibration=replace(self.calibration, threshold=threshold))

    @property
    def edited(self) -> bool:
        """p(edit) reaches the threshold; below it (and for identical images, at any threshold) the answer is
        `NO_DIFFERENCE`, whatever the words say."""
        return not self.identical and self.p_edit >= self.threshold

    @property
    def verdict(self) -> str:
        """'p(edit) = 0.03, threshold 0.50': the numbers behind `edited`, for every place that shows it."""
        if self.identical:
            return "the images are identical, pixel for pixel"
        return f"p(edit) = {self.p_edit:.2f}, threshold {self.threshold:.2f}"

    @property
    def disagreement(self) -> str:
        """'' when the words and p(edit) agree, else a sentence saying how they differ."""
        if not self.readable:
            return ""
        said_none = is_no_edit(self.text)
        if self.edited and said_none:
            return f"The model's words say no edit, but {self.verdict}: reported as edited."
        if not self.edited and not said_none:
            return f"The model wrote an instruction, but {self.verdict}: reported as no difference."
        return ""

    @property
    def shown(self) -> str:
        """What a user is shown as the answer: `NO_DIFFERENCE`, the instruction, or `UNREADABLE`."""
        if not self.edited:
            return NO_DIFFERENCE
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
        later = self.overlays if heatmap and self.edited else self.images  # no edit: no map to read
        return self.images[index], later[index + 1]

    def record(self, item_id: str, names: Sequence[str]) -> dict[str, Any]:
        """The JSON record of `sve diff describe --json` and `sve diff predict`: `id` and `caption` are the
        fields `sve eval judge` reads from a list of records (evaluation/caption_files.py)."""
        return {
            "id": item_id,
            "caption": self.shown,
            "readable": self.readable,
            "edited": self.edited,
            "p_edit": [round(p, 4) for p in self.p_edits],
            "threshold": self.threshold,
            "disagreement": self.disagreement,
            "raw": self.raw,
            "notice": self.notice,
            "aligned": self.aligned,
            "identical": self.identical,
            "categories": list(self.categories),
            "observations": list(self.observations),
            "images": list(names),
            "model": self.model,
            "demo": self.demo,
        }


class DiffPredictor(DescriberBacked):
    """One describer shared by every request (it serialises generation itself). `sequence`: how three images are
    asked about; default "pairwise" for the embedded demo model (trained on pairs only), "joint" otherwise."""

    def __init__(self, describer: Describer, sequence: SequenceMode | None = None,
                 calibration: EditCalibration | None = None) -> None:
        if sequence is not None and sequence not in SEQUENCE_MODES:
            raise ValueError(f"sequence must be one of {', '.join(SEQUENCE_MODES)}, got {sequence!r}")
        self.describer = describer
        self.sequence: SequenceMode = sequence or ("pairwise" if describer.demo else "joint")
        self.calibration = calibration or EditCalibration()

    @classmethod
    def load(
        cls, model: str | None, *, max_new_tokens: int = 64, sequence: SequenceMode | None = None
    ) -> DiffPredictor:
        """`model` (hub id, local folder, ``tiny:<family>``), or the embedded demo model when None; a local
        folder's `edit_calibration.json` sets the p(edit) threshold (0.5 without one)."""
        describer = load_app_describer(model, DEMO_MODEL_DIR, max_new_tokens=max_new_tokens)
        return cls(describer, sequence, EditCalibration.for_model(model or DEMO_MODEL_DIR))

    def predict(self, sources: Sequence[str | Path | bytes]) -> DiffResult:
        """Describe the edits from each image to the next; raises `ImageInputError` naming a bad file."""
        return self.predict_images(load_images(sources))

    def _identical(self, images: list[Image.Image]) -> DiffResult:
        """Images equal pixel for pixel: no edit, certainly; the model is not asked (it could only be wrong)."""
        steps = len(images) - 1
        return DiffResult(
            text=NO_EDIT if steps == 1 else in_order([NO_EDIT] * steps), categories=[], observations=(), images=images,
            heatmaps=[None] * len(images), overlays=list(images), model=self.name, demo=self.demo,
            notice=domain_notice(images) if self.demo else "", p_edits=(0.0,) * steps,
            calibration=self.calibration, identical=True,
        )

    def _ask(
        self, sequences: list[list[Image.Image]], prompt: str
    ) -> tuple[list[str], list[float], list[list[np.ndarray | None]]]:
        """Per sequence: the answer, p(edit) and each image's change heatmap (scaled to its own peak, None for the
        first image and for stateless models), from one encoding of the images (`Describer.describe_and_score`)."""
        texts, scores = self.describer.describe_and_score(sequences, prompt, NO_EDIT, heatmaps=self.has_heatmaps)
        p_edits = [edit_probability(float(row[0])) for row in scores.log_likelihoods]
        maps = [[None if heat is None else heat / max(float(heat.max()), 1e-12) for heat in per_image]
                for per_image in scores.heatmaps]
        return texts, p_edits, maps

    def edit_probabilities(self, sequences: Sequence[Sequence[Image.Image]], prompt: str = EDIT_PROMPT) -> list[float]:
        """p(edit) of each image sequence (oldest first), asked `prompt`: one batched forward, no generation."""
        scores = self.describer.answer_likelihoods([list(images) for images in sequences], prompt, [NO_EDIT])
        return [edit_probability(float(row[0])) for row in scores.log_likelihoods]

    def predict_images(self, images: list[Image.Image]) -> DiffResult:
        """`predict` on images already through `load_images`, for callers that check files before loading a
        model (the CLI, so a typo fails at once). Later images shifted as a whole by a few pixels are aligned
        to the first (`registration.py`)."""
        if all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in itertools.pairwise(images)):
            return self._identical(images)
        images, shifts = register(images)
        if len(images) == 2 or self.sequence == "joint":
            prompt = EDIT_PROMPT if len(images) == 2 else SEQUENCE_PROMPT
            [raw], p_edits, [maps] = self._ask([images], prompt)
            answer = split_answer(raw)
            text, observations, heatmaps = answer.instruction, answer.observations, maps
            categories = edit_categories(text, len(images) - 1)
            readings = [read(raw, grammar=self.demo)]
        else:
            texts, p_edits, maps = self._ask([list(pair) for pair in itertools.pairwise(images)], EDIT_PROMPT)
            answers = [split_answer(step) for step in texts]
            text, heatmaps = in_order([a.instruction for a in answers]), [None, *(step[1] for step in maps)]
            observations = tuple(seen for a in answers for seen in a.observations)
            categories = [edit_category(a.instruction) for a in answers]
            raw = "\n".join(texts)
            readings = [read(step, grammar=self.demo) for step in texts]
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
            aligned=alignment_notice(shifts),
            p_edits=tuple(p_edits),
            calibration=self.calibration,
        )
