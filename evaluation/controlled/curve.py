"""`LearningCurve`: a trainer callback that scores greedy answers on a held-out subset every N steps.

Loss curves say little about whether a tiny model has learnt *what changed*: it learns the sentence grammar
within a hundred steps while the change kind stays at chance. So the recipe study tracks the task metric
itself (e.g. change-type accuracy) against steps and training seconds (time spent scoring excluded).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from evaluation.controlled.metrics import answers_of, reference_of
from sve_core.data import Sample
from sve_core.jsonl import append_jsonl

Score = Callable[[list[str], list[str]], dict[str, float]]  # (references, answers) -> named scores


@dataclass
class LearningCurve(TrainerCallback):
    samples: Sequence[Sample]
    score: Score
    every: int = 100
    log: Path | None = None  # each point is appended here as a JSON line the moment it is measured
    batch_size: int = 64
    max_new_tokens: int = 24
    points: list[dict[str, float]] = field(default_factory=list)
    _start: float = 0.0
    _scoring: float = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._start, self._scoring = time.perf_counter(), 0.0
        if self.log is not None:
            self.log.unlink(missing_ok=True)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step % self.every == 0 or state.global_step == state.max_steps:
            self.measure(state.global_step, kwargs["model"], kwargs["processing_class"])

    def measure(self, step: int, model: Any, processor: Any) -> dict[str, float]:
        began = time.perf_counter()
        answers = answers_of(model, processor, self.samples, batch_size=self.batch_size,
                                   max_new_tokens=self.max_new_tokens)
        point = {"step": step, "train_seconds": round(began - self._start - self._scoring, 1),
                 **self.score([reference_of(s) for s in self.samples], answers)}
        self._scoring += time.perf_counter() - began
        self.points.append(point)
        if self.log is not None:
            append_jsonl(self.log, point)
        return point
