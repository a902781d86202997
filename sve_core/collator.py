"""`SFTCollator`: samples -> the backbone's own chat format, tokens, pixels and answer-only labels.

Labels are found by tokenizing renders, never by searching decoded text: the span of assistant turn i starts
after the tokens of ``render(messages[:i], add_generation_prompt=True)`` and ends after the tokens of
``render(messages[:i + 1])``, so it holds the answer and the template's end-of-turn token (what the model must
learn to emit to stop). Prefix renders are tokenized by the processor with their images, because image
placeholders expand to a family-specific number of tokens; a prefix that does not tokenize to the first
tokens of the whole conversation raises `CollatorError` instead of silently supervising the wrong tokens.

Some templates close no assistant turn (GLM-4V: the next ``<|user|>`` header ends it and nothing follows the
last answer). There a turn's span takes in the next token when it is a stop token, and the conversation gets
the tokenizer's EOS appended after the last answer, so the model still learns to stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from PIL import Image
from transformers import ProcessorMixin

from sve_core.data import IMAGE_PLACEHOLDER, Message, Sample

IGNORE_INDEX = -100  # the label value transformers' losses skip
Supervise = Literal["final", "all"]


class CollatorError(ValueError):
    """The chat template renders a conversation in a way the answer spans cannot be located in."""


def to_chat(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Messages with ``<image>`` placeholders -> chat-template content lists with ``{"type": "image"}`` parts."""
    chat = []
    for message in messages:
        parts: list[dict[str, str]] = []
        for k, text in enumerate(message.content.split(IMAGE_PLACEHOLDER)):
            if k:
                parts.append({"type": "image"})
            if text:
                parts.append({"type": "text", "text": text})
        chat.append({"role": message.role, "content": parts})
    return chat


def load_image(path: str) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


# Their models attend bidirectionally over token type 0 (the prefix); answers must be type 1 (causal), as the
# processor's own `suffix=` argument would mark them, or every answer token could see the ones after it.
PREFIX_LM_PROCESSORS = ("PaliGemmaProcessor",)


@dataclass
class SFTCollator:
    """Batches `Sample`s for `model(**batch)`; `supervise` = "final" (only the last answer, the paper's
    recipe) or "all" (every assistant turn, e.g. trajectory cloning)."""

    processor: ProcessorMixin
    supervise: Supervise = "final"
    stop_token_ids: frozenset[int] = frozenset()  # ids that end generation; empty = the tokenizer's EOS

    def __post_init__(self) -> None:
        self.stop_ids = set(self.stop_token_ids) or {self.processor.tokenizer.eos_token_id}

    def __call__(self, samples: list[Sample]) -> dict[str, torch.Tensor]:
        chats = [to_chat(sample.messages) for sample in samples]
        images = [[load_image(str(path)) for path in sample.images] for sample in samples]
        texts = [self._render(chat) for chat in chats]
        batch = self.processor(text=texts, images=images if any(images) else None, padding=True,
                               return_tensors="pt")
        labels = torch.full_like(batch["input_ids"], IGNORE_INDEX)
        for row, (sample, chat, sample_images) in enumerate(zip(samples, chats, images, strict=True)):
            positions = batch["attention_mask"][row].nonzero().flatten()  # padding may sit on either side
            ids = batch["input_ids"][row, positions]
            for start, end in self._answer_spans(sample, chat, sample_images, ids.tolist()):
                labels[row, positions[start:end]] = ids[start:end]
        batch["labels"] = labels
        if type(self.processor).__name__ in PREFIX_LM_PROCESSORS:
            batch["token_type_ids"] = (labels != IGNORE_INDEX).to(batch["token_type_ids"].dtype)
        return dict(batch)

    def _render(self, chat: list[dict[str, Any]]) -> str:
        """The whole conversation in the backbone's format, ending in a stop token."""
        text = self.processor.apply_chat_template(chat, tokenize=False)
        prompt = self.processor.apply_chat_template(chat[:-1], tokenize=False, add_generation_prompt=True)
        answer = self.processor.tokenizer(text.removeprefix(prompt), add_special_tokens=False)["input_ids"]
        return text if self.stop_ids.intersection(answer) else text + self.processor.tokenizer.eos_token

    def _answer_spans(self, sample: Sample, chat: list[dict[str, Any]], images: list[Image.Image],
                      ids: list[int]) -> list[tuple[int, int]]:
        """(start, end) token positions of each supervised answer, end-of-turn token included."""
        turns = [i for i, message in enumerate(chat) if message["role"] == "assistant"]
        if self.supervise == "final":
            turns = turns[-1:]
        spans = []
        for i in turns:
            start = len(self._tokens(sample, chat[:i], images, ids, generation_prompt=True))
            end = len(ids) if i == len(chat) - 1 else len(self._tokens(sample, chat[:i + 1], images, ids))
            if self.stop_ids.isdisjoint(ids[start:end]) and end < len(ids) and ids[end] in self.stop_ids:
                end += 1  # the next turn's header is what stops generation
            spans.append((start, end))
        return spans

    def _tokens(self, sample: Sample, chat: list[dict[str, Any]], images: list[Image.Image], ids: list[int],
                *, generation_prompt: bool = False) -> list[int]:
        """Tokens of a rendered conversation prefix, checked to be the first tokens of the whole sample."""
        text = self.processor.apply_chat_template(chat, tokenize=False, add_generation_prompt=generation_prompt)
        count = sum(part["type"] == "image" for message in chat for part in message["content"])
        if not count and type(self.processor).__name__ in PREFIX_LM_PROCESSORS:
            raise CollatorError(f"{sample.source}: {type(self.processor).__name__} needs an image in every prompt, so "
                                "an answer before the first image cannot be located; use supervise: final")
        prefix = self.processor(text=[text], images=[images[:count]] if count else None)["input_ids"][0]
        prefix = list(prefix)
        if ids[:len(prefix)] != prefix:
            raise CollatorError(
                f"{sample.source}: the chat template's render of the first {len(chat)} message(s) does not "
                "tokenize to the first tokens of the whole conversation, so the answer cannot be located; "
                "does the template rewrite earlier turns (e.g. drop reasoning)? Use supervise: final or "
                "another template"
            )
        return prefix
