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
from sve_core.compat import generate_cache
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
class AnswerScores:
    """`Describer.answer_likelihoods`: per sequence, the summed log-probability of every candidate answer, and
    raw change maps (key dissimilarity in [0, 1], absolute) per image when asked for."""

    log_likelihoods: np.ndarray  # (S, A) natural log
    heatmaps: list[list[np.ndarray | None]]  # per sequence, per image (H, W); None: first image or stateless


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
        images = [[im.convert("RGB") for im in seq] for seq in sequences]  # nested per sequence (Gemma 3 needs it)
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

    @torch.no_grad()
    def answer_likelihoods(self, sequences: list[list[Image.Image]], prompt: str, answers: list[str], *,
                           heatmaps: bool = False) -> AnswerScores:
        """Log-likelihood of every answer in `answers` for every image sequence, in one forward pass over
        S x A rows (left-padded, so every answer ends on the last position). With `heatmaps` and a stateful
        model, the first answer's rows also give each image's raw change map (not rescaled)."""
        rows = [(seq, answer) for seq in sequences for answer in answers]
        with self._lock:
            scores, *_ = self._score(rows, prompt, heatmaps=heatmaps, len_answers=len(answers), keep_cache=False)
        return scores

    @torch.no_grad()
    def describe_and_score(self, sequences: list[list[Image.Image]], prompt: str, answer: str, *,
                           heatmaps: bool = False) -> tuple[list[str], AnswerScores]:
        """Greedy answers (as `describe_batch`) and `answer_likelihoods(..., [answer])` from one encoding: the
        scoring forward runs first with a key/value cache, which is cut back to the prompt and continued by
        generation, so the images are encoded once (twice for models whose cache cannot be cut back)."""
        rows = [(seq, answer) for seq in sequences]
        with self._lock:
            scores, inputs, cache, lengths = self._score(rows, prompt, heatmaps=heatmaps, len_answers=1, keep_cache=True)
            answer_tokens = lengths[0]  # one answer: the same length in every row
            try:
                cache.crop(-(answer_tokens + 1))  # keep the prompt but its last token, which generation feeds again
            except (RuntimeError, ValueError):  # recurrent layers (Qwen3.5's) keep no per-token state to cut back
                cache = None
            prompt_end = inputs["input_ids"].shape[1] - answer_tokens
            per_token = inputs["input_ids"].shape
            continued = {  # the prompt part of every per-token input (ids, mask, token types)
                key: value[:, :prompt_end] if torch.is_tensor(value) and value.shape[:2] == per_token else value
                for key, value in inputs.items() if cache is None or key != "pixel_values"
            }
            if cache is not None:
                continued.update(generate_cache(cache))
            out = self.model.generate(**continued, max_new_tokens=self.max_new_tokens, do_sample=False)
        texts = self.processor.batch_decode(out[:, prompt_end:], skip_special_tokens=True)
        return [t.strip() for t in texts], scores

    def _score(self, rows: list, prompt: str, *, heatmaps: bool, len_answers: int, keep_cache: bool):
        """(AnswerScores, the model inputs, the key/value cache or None, each row's answer length in tokens) of
        teacher-forced `rows` ((images, answer) pairs); the caller holds the lock."""
        prefixes, suffixes = [], []
        for seq, answer in rows:
            user = [{"role": "user", "content": [{"type": "image"} for _ in seq] + [{"type": "text", "text": prompt}]}]
            prefix = self.processor.apply_chat_template(user, add_generation_prompt=True)
            full = self.processor.apply_chat_template(
                [*user, {"role": "assistant", "content": [{"type": "text", "text": answer}]}])
            if not full.startswith(prefix):
                raise ValueError(f"{self.name}: its chat template renders the answer {answer!r} in a way that does "
                                 "not extend the generation prompt; answers cannot be scored with it")
            prefixes.append(prefix)
            suffixes.append(full[len(prefix):].rstrip())
        texts = [p + s for p, s in zip(prefixes, suffixes, strict=True)]
        images = [[im.convert("RGB") for im in seq] for seq, _ in rows]  # nested per row, as the collator does
        inputs = self.processor(text=texts, images=images, return_tensors="pt", padding=True,
                                padding_side="left").to(self.model.device)
        tokenizer = self.processor.tokenizer
        lengths = [len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in suffixes]
        state = self.model.sve.state if heatmaps and self.stateful else None
        if state is not None:
            state.probe = {}
        try:
            out = self.model(**inputs, use_cache=keep_cache)
            probe = state.probe if state is not None else None
        finally:
            if state is not None:
                state.probe = None
        logp = torch.log_softmax(out.logits[:, :-1].float(), dim=-1)  # (R, L - 1, V)
        token_ll = logp.gather(-1, inputs["input_ids"][:, 1:].unsqueeze(-1)).squeeze(-1)  # (R, L - 1)
        scores = torch.stack([token_ll[r, -n:].sum() for r, n in enumerate(lengths)])
        maps = self._raw_maps(probe, inputs, rows, len_answers)
        count = len(rows) // len_answers
        return AnswerScores(scores.reshape(count, len_answers).cpu().numpy(), maps), inputs, out.past_key_values, lengths

    def _raw_maps(self, probe: dict | None, inputs: dict, rows: list, per_sequence: int) -> list[list[np.ndarray | None]]:
        """Per sequence (its first answer's row), per image: the layer-mean key dissimilarity on the image's
        token grid, resized (bilinear, float) to the image size; None for first images or without a probe."""
        if not probe:
            return [[None] * len(rows[s][0]) for s in range(0, len(rows), per_sequence)]
        maps = torch.stack([layer[0] for layer in probe.values()]).mean(0)  # (I, N): every row's images
        starts = np.cumsum([0] + [len(seq) for seq, _ in rows])
        result = []
        for s in range(0, len(rows), per_sequence):
            seq = rows[s][0]
            per_image: list[np.ndarray | None] = [None]
            for i in range(1, len(seq)):
                index = int(starts[s]) + i
                grid = self.model.sve.adapter.token_grid(maps[index], inputs, index).float().cpu().numpy()
                resized = Image.fromarray(grid).resize(seq[i].size, Image.Resampling.BILINEAR)
                per_image.append(np.clip(np.asarray(resized, np.float32), 0.0, 1.0))
            result.append(per_image)
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
