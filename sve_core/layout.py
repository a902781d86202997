"""Where each image's tokens are in one call of the vision tower, and which tokens each image attends to.

Vision towers see a flat run of tokens (or a batch we flatten). `Layout` turns "image i reads image p(i)" into
padded index tensors once per tower call, so every layer gathers all images at once (no Python loop over images
on the hot path). The key/value *bank* is the layer input, optionally prefixed by a cached previous image
(incremental sessions), so joint and incremental encoding run the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

Span = tuple[int, int]  # (start, length) in the token bank


def span_index(spans: list[list[Span]], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Index (I, L) of the concatenated spans of each row, padded with 0, and its validity mask (I, L)."""
    lengths = [sum(length for _, length in row) for row in spans]
    width = max(lengths)
    index = torch.zeros(len(spans), width, dtype=torch.long)
    valid = torch.zeros(len(spans), width, dtype=torch.bool)
    for i, row in enumerate(spans):
        pieces = [torch.arange(start, start + length) for start, length in row]
        flat = torch.cat(pieces) if pieces else torch.zeros(0, dtype=torch.long)
        index[i, : len(flat)] = flat
        valid[i, : len(flat)] = True
    return index.to(device), valid.to(device)


@dataclass
class Layout:
    """One tower call. Images are indexed 0..I-1 in token order; `prefix` tokens of cached state come first
    in the bank, then the layer input itself."""

    spans: list[Span]  # each image's tokens in the layer input (contiguous, in order, covering it)
    predecessors: list[int]  # image read by each image; == own index for the first image (Z1 fallback);
    # -1 means "the cached image in the bank prefix" (incremental sessions)
    prefix: int = 0  # number of cached tokens at the front of the bank
    device: torch.device | str = "cpu"

    def __post_init__(self) -> None:
        position = 0
        for start, length in self.spans:
            if start != position:
                raise ValueError(f"image spans must be contiguous and ordered, got {self.spans}")
            position += length
        self.total = position
        self.live = torch.tensor([p == i for i, p in enumerate(self.predecessors)], device=self.device)
        q_spans = [[(self.prefix + s, n)] for s, n in self.spans]
        kv_spans = [self._kv_span(i) for i in range(len(self.spans))]
        self.q_index, self.q_valid = span_index(q_spans, self.device)
        self.kv_index, self.kv_valid = span_index(kv_spans, self.device)
        # self_ext reads [own tokens ; previous image's tokens]
        self.ext_index, self.ext_valid = span_index(
            [q + kv for q, kv in zip(q_spans, kv_spans, strict=True)], self.device
        )
        self.ext_own = torch.zeros_like(self.ext_valid)
        for i, (_, n) in enumerate(self.spans):
            self.ext_own[i, :n] = True
        self.uniform = bool(self.q_valid.all() and self.kv_valid.all())

    def _kv_span(self, image: int) -> list[Span]:
        pred = self.predecessors[image]
        if pred == -1:
            return [(0, self.prefix)]
        start, length = self.spans[pred]
        return [(self.prefix + start, length)]

    def token_image(self) -> torch.Tensor:
        """Image index of every token of the layer input, (T,)."""
        lengths = torch.tensor([n for _, n in self.spans], device=self.device)
        return torch.repeat_interleave(torch.arange(len(self.spans), device=self.device), lengths)
