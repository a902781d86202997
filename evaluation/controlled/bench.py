"""The controlled design study in miniature (``sve bench controlled``).

One tiny stateless VLM is pretrained on single-image versions of the tasks (where is the red dot? describe
the scene); every (variant, seed) then injects SVE into a copy of it and finetunes with identical data, steps
and learning rates on a mix of the two controlled tasks, and is scored on the same test split:

- spatial aggregation: MAE / RMSE (x10^-2) per subtask (distance, triangle, hull), averaged over subtasks as the
  paper's table does; a constant predictor (each subtask's training mean) is reported for scale;
- multi-object change: permutation-invariant exact Acc and change-type Acc, BLEU-4 and CIDEr of the aligned
  answers (`evaluation.captions`), and token-weighted answer perplexity.

Before any finetuning the pretrained model must see: `pretrain_check` asks it where a single red dot is, and the
study stops with the reason when its error is above `sight` x the error of always answering the centre.
This module holds the settings, presets, data and scoring; `study.py` runs a study, `study_report.py` tabulates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.controlled.dots import LOCATE_PROMPT, DotsTask, subtask
from evaluation.controlled.dots import PROMPTS as DOT_PROMPTS
from evaluation.controlled.export import mixture, write_dataset
from evaluation.controlled.metrics import (
    aligned_answer,
    answers_of,
    change_scores,
    location_scores,
    parse_point,
    reference_of,
    regression_scores,
)
from evaluation.controlled.multi_change import MultiChangeTask
from evaluation.controlled.recipe import Recipe
from sve_core.checkpoint import from_pretrained
from sve_core.config import VARIANTS
from sve_core.data import Sample, load_jsonl
from sve_core.inference import Request
from sve_core.tiny import TinySpec

ORDER: tuple[str, ...] = ("stateless", "self_ext", "adaln_zero", "cross", "cross_ffn", "self_ffn")


@dataclass
class BenchSettings:
    """Everything a study needs besides its output folder; `quick()` and `full()` are the documented presets."""

    recipe: Recipe
    dots: DotsTask
    change: MultiChangeTask
    pretrain_examples: dict[str, int]
    finetune_examples: dict[str, int]
    # pretraining tasks (`PRETRAIN_TASKS`) -> share of the pretraining examples
    pretrain_mix: dict[str, float] = field(default_factory=lambda: {"locate": 1.0, "describe": 1.0})
    sight: float | None = 0.5  # the check passes at dot MAE <= sight x the centre's; None: report, never stop
    variants: tuple[str, ...] = ORDER
    seeds: tuple[int, ...] = (0, 1, 2)
    only: tuple[str, ...] = ()  # "variant:seed" runs to do in this sitting (default: every pending one)
    jobs: int = 2
    max_new_tokens: int = 40
    keep_models: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(set(self.variants) - set(VARIANTS))
        if unknown:
            raise ValueError(f"variants {unknown} unknown; choose from {', '.join(VARIANTS)}")
        if len(self.seeds) < 1 or self.jobs < 1:
            raise ValueError("expected at least one seed and one job")
        tasks = sorted(set(self.pretrain_mix) - set(PRETRAIN_TASKS))
        if tasks or not self.pretrain_mix:
            raise ValueError(f"pretrain_mix {sorted(self.pretrain_mix)}: expected some of {sorted(PRETRAIN_TASKS)}")
        runs = {f"{v}:{s}" for v in self.variants for s in self.seeds}
        if set(self.only) - runs:
            raise ValueError(f"--only {sorted(set(self.only) - runs)}: expected variant:seed among {sorted(runs)}")

    def pretrain_key(self) -> str:
        """Short fingerprint of everything the pretrained model depends on (its work folder's name)."""
        parts = [self.recipe.family, vars(self.recipe.tiny), self.recipe.base_model, self.recipe.pretrain,
                 list(self.pretrain_mix.items()), self.pretrain_examples, self.dots, self.change]
        return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:10]


PRETRAIN_TASKS: dict[str, Any] = {  # name -> settings -> single-image generator
    "locate": lambda s: s.dots.locate, "locate_few": lambda s: s.dots.locate_few,
    "object_at": lambda s: s.change.object_at, "describe": lambda s: s.change.describe,
}


def _stage(steps: int, lr: float, batch: int, **extra: Any) -> dict[str, Any]:
    return {"max_steps": steps, "learning_rate": lr, "batch_size": batch, "warmup_ratio": 0.05,
            "lr_scheduler": "cosine", "precision": "fp32", "save_steps": 100_000, "eval_steps": 100_000,
            "log_steps": 25, **extra}


def quick() -> BenchSettings:
    """<= 15 minutes on 2 CPU cores: a 1.2 M-parameter model, 56 px images, the easiest member of each task
    (2-3 dot images; 1-3 objects on a 2 x 2 grid, so each language-model image token holds one object). It shows
    that the study runs end to end on a fresh install; its pretraining is too short to see, so the check is
    reported and does not stop it."""
    spec = TinySpec(vision_depth=2, vision_width=96, vision_heads=4, text_layers=2, text_width=128, text_heads=4,
                    vocab_size=500, image_size=56)
    recipe = Recipe(tiny=spec, pretrain=_stage(800, 3e-4, 16), finetune=_stage(200, 3e-4, 16, sve_lr=3e-3))
    return BenchSettings(recipe=recipe, dots=DotsTask(image_size=56, counts=(2, 3)),
                         change=MultiChangeTask(image_size=56, grid=2, objects=(1, 3), changes=(1, 1)),
                         pretrain_examples={"train": 6000, "val": 100},
                         finetune_examples={"train": 2400, "val": 100, "test": 200}, sight=None)


def full() -> BenchSettings:
    """The study as reported in the README: 2-5 dot images, 10-40 objects with 1-4 changes, 112 px (128 px in the
    model); 1000 finetuning steps per run, 3 seeds.

    Its pretraining is made to see (docs/RECIPE.md, "A pretraining that sees"): a tiny Qwen3-VL, whose vision
    tower adds learned absolute positions to its patches (Qwen2-VL's has rotary positions only, and its tiny twin
    never learnt where a dot is), with one token per digit, so "0.42" is read coarse to fine; and a mix of short
    answers about where things are: single dots, 2-3 dots in one image, what is in row r, column c (which names
    the objects' sizes, colours and shapes). With whole 10-40-object descriptions as a fifth of the mix, their long
    answers held most of the loss and the model placed a dot worse than the centre after 4000 steps (MAE 26.86)."""
    spec = TinySpec(vision_depth=4, vision_width=128, vision_heads=4, text_layers=4, text_width=128, text_heads=4,
                    vocab_size=600, image_size=112, split_digits=True)
    recipe = Recipe(family="qwen3_vl", tiny=spec, pretrain=_stage(3000, 3e-4, 16),
                    finetune=_stage(1000, 3e-4, 16, sve_lr=3e-3))
    return BenchSettings(recipe=recipe, dots=DotsTask(image_size=112), change=MultiChangeTask(image_size=112),
                         pretrain_examples={"train": 30000, "val": 200},
                         finetune_examples={"train": 20000, "val": 200, "test": 1000}, max_new_tokens=96,
                         pretrain_mix={"locate": 0.5, "locate_few": 0.2, "object_at": 0.3})


def task_of(sample: Sample) -> str:
    return "dots" if Request.from_sample(sample).prompt in DOT_PROMPTS.values() else "change"


def prepare_data(settings: BenchSettings, out: Path, *, pretraining: bool = True,
                 progress: bool = True) -> tuple[Path, Path]:
    """Seeded pretraining (single-image, named by `pretrain_key`; written only when `pretraining`) and finetuning
    (multi-image) dataset folders, each written once."""
    mix = list(settings.pretrain_mix.items())  # in the order given: the quick preset's data as before this field
    pretrain_dir, finetune_dir = out / "data" / f"pretrain-{settings.pretrain_key()}", out / "data" / "finetune"
    folders = {finetune_dir: (mixture([settings.dots.aggregate, settings.change.change]), settings.finetune_examples)}
    if pretraining:
        folders[pretrain_dir] = (mixture([PRETRAIN_TASKS[name](settings) for name, _ in mix], [w for _, w in mix]),
                                 settings.pretrain_examples)
    for folder, (generate, sizes) in folders.items():
        if not all((folder / f"{split}.jsonl").is_file() for split in sizes):
            write_dataset(folder, generate, sizes, seed=0, progress=progress)
    return pretrain_dir, finetune_dir


def score_run(test: Sequence[Sample], output: dict[str, Any], caption_scorer: Any) -> dict[str, Any]:
    """Every metric of one run from its answers (see the module docstring)."""
    answers = output["answers"]
    dots = [(s, a) for s, a in zip(test, answers, strict=True) if task_of(s) == "dots"]
    change = [(s, a) for s, a in zip(test, answers, strict=True) if task_of(s) == "change"]
    by_subtask: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for sample, answer in dots:
        by_subtask[subtask(len(sample.images))].append((float(reference_of(sample)), answer))
    per_subtask = {name: regression_scores([g for g, _ in pairs], [a for _, a in pairs])
                   for name, pairs in sorted(by_subtask.items())}
    references = [reference_of(s) for s, _ in change]
    predictions = [a for _, a in change]
    changes = change_scores(references, predictions)
    ids = [str(i) for i in range(len(change))]
    captions = caption_scorer.score(caption_scorer.tokenize(
        {i: [r] for i, r in zip(ids, references, strict=True)},
        {i: aligned_answer(r, p) or "-" for i, r, p in zip(ids, references, predictions, strict=True)}))
    return {
        "variant": output["variant"], "seed": output["seed"], "train_seconds": output["train_seconds"],
        "mae": float(np.mean([s.mae for s in per_subtask.values()])),
        "rmse": float(np.mean([s.rmse for s in per_subtask.values()])),
        "dots": {name: dataclasses.asdict(s) for name, s in per_subtask.items()},
        "acc": changes.acc, "type_acc": changes.type_acc, "bleu4": captions["BLEU-4"], "cider": captions["CIDEr"],
        "ppl": output["ppl"], "distinct": float(len(set(predictions))),
    }


def constant_baseline(train: Sequence[Sample], test: Sequence[Sample]) -> dict[str, float]:
    """MAE / RMSE of always answering each subtask's training mean: what "learnt nothing" scores; and how many
    distinct change answers the test references hold (what a model that answers each pair differently reaches)."""
    values: dict[str, list[float]] = defaultdict(list)
    for sample in train:
        if task_of(sample) == "dots":
            values[subtask(len(sample.images))].append(float(reference_of(sample)))
    scores = []
    for name, train_values in sorted(values.items()):
        gold = [float(reference_of(s)) for s in test if task_of(s) == "dots" and subtask(len(s.images)) == name]
        scores.append(regression_scores(gold, [f"{np.mean(train_values):.4f}"] * len(gold)))
    references = {reference_of(s) for s in test if task_of(s) == "change"}
    return {"mae": float(np.mean([s.mae for s in scores])), "rmse": float(np.mean([s.rmse for s in scores])),
            "distinct": float(len(references))}


def pretrain_check(base: Path, data_dir: Path) -> dict[str, float]:
    """Does the pretrained model see? Its dot-location MAE / RMSE (x10^-2 per coordinate) on the pretraining
    validation split, next to always answering the image centre. Every variant starts from this encoder, so one
    that cannot place a single dot leaves the variants nothing to differ on."""
    samples = [s for s in load_jsonl(data_dir / "val.jsonl") if Request.from_sample(s).prompt == LOCATE_PROMPT]
    if not samples:
        return {}
    model, processor = from_pretrained(str(base))
    points = [parse_point(reference_of(s)) for s in samples]
    scores = location_scores(points, answers_of(model, processor, samples, max_new_tokens=16))
    centre = location_scores(points, ["(0.5, 0.5)"] * len(points))
    return {"mae": scores.mae, "rmse": scores.rmse, "parsed": scores.parsed, "centre_mae": centre.mae,
            "centre_rmse": centre.rmse, "count": len(points)}
