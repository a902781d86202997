"""Per-model runtime state shared by the injected blocks: the current tower call's `Layout`, the image
grouping announced by the language-model inputs, an explicit override, the incremental-session cache, and an
optional attention probe (for change heatmaps)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class SessionCache:
    """The last encoded image's input (every tile of it) to every stateful layer (and its rotary positions), so the next image can
    attend to it without re-encoding it."""

    tokens: dict[int, torch.Tensor] = field(default_factory=dict)  # layer -> (N, D)
    rotary: dict[int, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)  # layer -> (N, hd) x 2

    @property
    def empty(self) -> bool:
        return not self.tokens


@dataclass
class SVEState:
    image_runs: list[list[int]] | None = None  # from input_ids, set for the duration of one model forward
    override: list[list[int]] | None = None  # explicit grouping: image indices per sample, in order
    units_per_image: list[int] | None = None  # tower units (tiles, crops) of each image, for override/session
    layout: object | None = None  # sve_core.layout.Layout of the tower call in progress
    session: SessionCache | None = None  # set while an incremental session encodes
    keep_last: int = 0  # tokens of the last image (all of its tiles) to cache into `session`
    probe: dict[int, list[torch.Tensor]] | None = None  # layer -> recorded (I, N) change maps (heatmaps)

    def remember(self, layer: int, x: torch.Tensor, rotary: tuple[torch.Tensor, torch.Tensor] | None) -> None:
        if self.session is None:
            return
        self.session.tokens[layer] = x[-self.keep_last:].detach()
        if rotary is not None:
            self.session.rotary[layer] = (rotary[0][-self.keep_last:], rotary[1][-self.keep_last:])
