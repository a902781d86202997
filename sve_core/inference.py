"""The one way the suite runs a model over inputs. `Describer` holds a loaded (stateful) VLM; `Describer.predict`
answers any number of `Request`s (image sequence + prompt) in batches, optionally with a change heatmap per
image read off the SVE cross-attention, reporting progress as it goes; `answer_log_likelihood` scores given
answers. Every app predictor, evaluation runner and benchmark calls these and no other `generate` (the one other
caller is `session.StatefulSession`, the library's incremental-encoding API).

The heatmap: at every stateful layer the SVE cross-attention projects image t's tokens (queries) and image t-1's
tokens (keys) into its learned key space. Unchanged content maps to the same key at the same position; changed
content does not. The key dissimilarity at each position, averaged over layers and scaled to [0, 1], marks what
changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from sve_core.checkpoint import from_pretrained
from sve_core.collator import SFTCollator, load_image
from sve_core.data import IMAGE_PLACEHOLDER, Sample

Progress = Callable[[int], None]  # called with how many requests were just answered


@dataclass(frozen=True)
class Request:
    """One question about one image sequence (oldest first); paths are opened as the trainer opens them."""

    images: Sequence[Image.Image | str | Path]
    prompt: str

    @classmethod
    def from_sample(cls, sample: Sample) -> Request:
        """The last user turn of a training sample, asked of its images (placeholders dropped)."""
        return cls(tuple(sample.images), sample.messages[-2].content.replace(IMAGE_PLACEHOLDER, ""))


@dataclass
class Description:
    text: str
    heatmaps: list[np.ndarray | None] = field(default_factory=list)  # per image (H, W) in [0, 1]; None: first


class Describer:
    """One model shared by every caller. The SVE state lives on the model (image grouping of the forward in
    progress, the heatmap probe), so generation runs one request at a time behind a lock."""

    def __init__(self, model, processor, *, name: str, demo: bool = False, max_new_tokens: int = 64) -> None:
        self._lock = threading.Lock()
        self.model = model.eval()
        self.processor = processor
        self.name = name
        self.demo = demo
        self.max_new_tokens = max_new_tokens

    @property
    def stateful(self) -> bool:
        sve = getattr(self.model, "sve", None)
        return sve is not None and sve.config.variant != "stateless"

    def _inputs(self, images: list[Image.Image], prompt: str) -> dict:
        content = [{"type": "image"} for _ in images] + [{"type": "text", "text": prompt}]
        text = self.processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
        return self.processor(text=[text], images=[im.convert("RGB") for im in images], return_tensors="pt").to(self.model.device)

    @torch.no_grad()
    def describe_batch(self, sequences: list[list[Image.Image]], prompt: str) -> list[str]:
        """Greedy answers for several image sequences at once (one generate call). Prompts are padded on the
        left whatever the tokenizer's default (a reloaded checkpoint pads on the right), so sequences with
        different numbers of images generate from their own last token."""
        content = [[{"type": "image"} for _ in seq] + [{"type": "text", "text": prompt}] for seq in sequences]
        texts = [self.processor.apply_chat_template([{"role": "user", "content": c}], add_generation_prompt=True)
                 for c in content]
        images = [im.convert("RGB") for seq in sequences for im in seq]
        inputs = self.processor(text=texts, images=images, return_tensors="pt", padding=True,
                                padding_side="left").to(self.model.device)
        with self._lock:
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        new = out[:, inputs["input_ids"].shape[1]:]
        return [t.strip() for t in self.processor.batch_decode(new, skip_special_tokens=True)]

    def describe(self, images: list[Image.Image], prompt: str) -> str:
        return self.describe_batch([images], prompt)[0]

    def predict(self, requests: Sequence[Request], *, batch_size: int = 8, heatmaps: bool = False,
                progress: Progress | None = None) -> list[Description]:
        """Answers in the order of `requests`. A batch holds requests of one prompt and image count, so its
        sequences share the question and, for images of one size, the prompt length. With `heatmaps` (and a
        stateful model) each answer carries its per-image change maps."""
        groups: dict[tuple[str, int], list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault((request.prompt, len(request.images)), []).append(index)
        answers: list[Description | None] = [None] * len(requests)
        for (prompt, _), indices in groups.items():
            for start in range(0, len(indices), batch_size):
                batch = indices[start:start + batch_size]
                sequences = [[_opened(image) for image in requests[i].images] for i in batch]
                if heatmaps and self.stateful:
                    found = [self.describe_with_heatmaps(images, prompt) for images in sequences]
                else:
                    found = [Description(text, [None] * len(images)) for text, images in
                             zip(self.describe_batch(sequences, prompt), sequences, strict=True)]
                for i, description in zip(batch, found, strict=True):
                    answers[i] = description
                if progress is not None:
                    progress(len(batch))
        return answers  # type: ignore[return-value]  # every index was filled

    @torch.no_grad()
    def describe_with_heatmaps(self, images: list[Image.Image], prompt: str) -> Description:
        inputs = self._inputs(images, prompt)
        state = self.model.sve.state if self.stateful else None
        with self._lock:
            if state is not None:
                state.probe = {}
            try:
                out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
                probe = state.probe if state is not None else None
            finally:
                if state is not None:
                    state.probe = None
        text = self.processor.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)[0]
        return Description(text=text.strip(), heatmaps=self._heatmaps(probe, inputs, images))

    def _heatmaps(self, probe: dict | None, inputs: dict, images: list[Image.Image]) -> list[np.ndarray | None]:
        if not probe:
            return [None] * len(images)
        maps = torch.stack([layer[0] for layer in probe.values()]).mean(0)  # (I, N): first tower call only
        adapter = self.model.sve.adapter
        result: list[np.ndarray | None] = [None]
        for i in range(1, len(images)):
            grid = adapter.token_grid(maps[i], inputs, i)  # (h, w) key dissimilarity
            change = grid / max(float(grid.max()), 1e-12)
            resized = Image.fromarray((change.numpy() * 255).astype(np.uint8)).resize(images[i].size,
                                                                                      Image.BILINEAR)
            result.append(np.asarray(resized, dtype=np.float32) / 255.0)
        return result


def _opened(image: Image.Image | str | Path) -> Image.Image:
    return image if isinstance(image, Image.Image) else load_image(str(image))


def predict(model, processor, requests: Sequence[Request], *, max_new_tokens: int = 64, batch_size: int = 8,
            heatmaps: bool = False, progress: Progress | None = None) -> list[Description]:
    """`Describer.predict` for a model in hand (a benchmark, a training callback); the model's train/eval mode is
    restored afterwards."""
    was_training = model.training
    try:
        describer = Describer(model, processor, name="predict", max_new_tokens=max_new_tokens)
        return describer.predict(requests, batch_size=batch_size, heatmaps=heatmaps, progress=progress)
    finally:
        model.train(was_training)


@torch.no_grad()
def answer_log_likelihood(model, processor, samples: Sequence[Sample], *,
                          batch_size: int = 32) -> list[tuple[float, int]]:
    """Per sample: (summed log-likelihood of its supervised answer tokens, how many there are), through the
    training collator and the trainer's token NLL, so a score measures exactly the model and format trained."""
    from sve_core.trainer import token_nll  # the trainer pulls in transformers.Trainer: only when scoring

    collator = SFTCollator(processor)
    was_training = model.training
    model.eval()
    scores: list[tuple[float, int]] = []
    try:
        for start in range(0, len(samples), batch_size):
            collated = collator(list(samples[start:start + batch_size]))
            batch = {key: value.to(model.device) for key, value in collated.items()}
            labels = batch.pop("labels")
            nll, count = token_nll(model(**batch).logits, labels)
            scores += [(-float(n), int(c)) for n, c in zip(nll, count, strict=True)]
    finally:
        model.train(was_training)
    return scores


def load_describer(model: str | Path | None = None, *, default: str | Path | None = None,
                   max_new_tokens: int = 64) -> Describer:
    """`model` (hub id, local folder, ``tiny:<family>``) or, when None, the app's embedded demo `default`."""
    if model is None and default is None:
        raise ValueError("no model given and no embedded default available")
    name = str(model if model is not None else default)
    loaded, processor = from_pretrained(name)
    return Describer(loaded, processor, name=name, demo=model is None, max_new_tokens=max_new_tokens)
