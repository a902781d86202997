"""The recipe study behind docs/RECIPE.md (``sve bench recipe``): learning curves of change-type accuracy.

The task is the one every embedded demo model shares in miniature: two renders of a small scene, one change
(move, add, delete or replace) between them, one sentence that names it. Stage 1 pretrains on single-image
descriptions of scenes with one or two objects (the encoder learns to see shape, colour and size wherever they
are), or, for domains without single-image descriptions, stateless training on the pairs themselves; stage 2
finetunes each variant on the change pairs, scored on held-out pairs every `every` steps.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evaluation.controlled.curve import LearningCurve
from evaluation.controlled.export import write_dataset
from evaluation.controlled.metrics import answers_of, change_scores, reference_of
from evaluation.controlled.multi_change import MultiChangeTask
from evaluation.controlled.recipe import Recipe, finetune, pretrain
from sve_core.data import load_jsonl

CURVE_SAMPLES = 200


@dataclass(frozen=True)
class StudyTask:
    """The scenes of both stages: a `grid` x `grid` layout at the recipe's image size; stage 1 describes scenes
    of `describe_objects` objects, stage 2 captions one change in scenes of `objects` objects."""

    grid: int = 2
    objects: tuple[int, int] = (1, 3)
    describe_objects: tuple[int, int] = (1, 3)
    stage1: Literal["describe", "change"] = "describe"  # "change": stateless pair pretraining on the change data

    def tasks(self, image_size: int) -> tuple[MultiChangeTask, MultiChangeTask]:
        return (MultiChangeTask(image_size=image_size, grid=self.grid, objects=self.describe_objects, changes=(1, 1)),
                MultiChangeTask(image_size=image_size, grid=self.grid, objects=self.objects, changes=(1, 1)))

    def folder(self, image_size: int) -> str:
        return f"px{image_size}-grid{self.grid}-obj{self.objects[0]}-{self.objects[1]}"


def prepare(out: Path, task: StudyTask, image_size: int, *, pretrain_examples: int = 8000,
            change_examples: int = 16000) -> tuple[Path, Path]:
    """Seeded describe and change datasets under ``out/data/<geometry>/`` (written once, then reused)."""
    describe, change = task.tasks(image_size)
    out = out / "data" / task.folder(image_size)
    folders = {"describe": (describe.describe, {"train": pretrain_examples, "val": 200}),
               "change": (change.change, {"train": change_examples, "val": CURVE_SAMPLES, "test": 1000})}
    for name, (generate, sizes) in folders.items():
        if not all((out / name / f"{split}.jsonl").is_file() for split in sizes):
            write_dataset(out / name, generate, sizes, seed=0)
    return out / "describe", out / "change"


def score(references: list[str], answers: list[str]) -> dict[str, float]:
    scores = change_scores(references, answers)
    return {"acc": scores.acc, "type_acc": scores.type_acc}


@dataclass
class StudyReport:
    table: str
    curves: dict[str, list[dict[str, float]]]
    files: list[Path] = field(default_factory=list)


def run_study(recipe: Recipe, out_dir: str | Path, work_dir: str | Path, *, task: StudyTask,
              variants: Sequence[str], seed: int = 0, every: int = 100) -> StudyReport:
    """Stage 1 once, then stage 2 per variant with a learning curve: data and models in `work_dir` (data shared
    by every study there), curves.json / curves.png in `out_dir`."""
    out, work = Path(out_dir), Path(work_dir)
    out.mkdir(parents=True, exist_ok=True)
    describe_data, change_data = prepare(work, task, recipe.tiny.image_size)
    stage1_data = describe_data if task.stage1 == "describe" else change_data
    base = (pretrain(recipe, stage1_data, work / out.name / "pretrain", vocabulary=[change_data / "train.jsonl"],
                     seed=seed) if recipe.pretrain_steps else None)
    held_out, test = load_jsonl(change_data / "val.jsonl"), load_jsonl(change_data / "test.jsonl")
    curves: dict[str, list[dict[str, float]]] = {}
    tests: dict[str, dict[str, float]] = {}
    for variant in variants:
        curve = LearningCurve(held_out, score, every=every, log=out / f"{variant}.curve.jsonl")
        result = finetune(recipe, base, change_data, work / out.name / variant, variant=variant, seed=seed,
                          callbacks=[curve])
        curves[variant] = curve.points
        answers = answers_of(result.model, result.processor, test, max_new_tokens=curve.max_new_tokens)
        tests[variant] = score([reference_of(s) for s in test], answers)
    table = format_curves(curves) + "\n\nTest split (" + str(len(test)) + " pairs): " + "; ".join(
        f"{v} type acc {t['type_acc']:.1f}, exact acc {t['acc']:.1f}" for v, t in tests.items())
    report = StudyReport(table, curves)
    (out / "curves.json").write_text(json.dumps({"seed": seed, "task": dataclasses.asdict(task), "curves": curves,
                                                 "test": tests, "recipe": _settings(recipe)}, indent=1))
    report.files = [out / "curves.json", plot_curves(curves, out / "curves.png")]
    return report


def _settings(recipe: Recipe) -> dict[str, Any]:
    return {"tiny": vars(recipe.tiny), "pretrain": recipe.pretrain, "finetune": recipe.finetune,
            "sve": recipe.sve.to_dict()}


def format_curves(curves: dict[str, list[dict[str, float]]]) -> str:
    variants = list(curves)
    steps = sorted({p["step"] for points in curves.values() for p in points})
    lines = ["| step | " + " | ".join(f"{v} type acc / acc (train s)" for v in variants) + " |",
             "|---|" + "---|" * len(variants)]
    for step in steps:
        cells = []
        for v in variants:
            point = next((p for p in curves[v] if p["step"] == step), None)
            cells.append(f"{point['type_acc']:.1f} / {point['acc']:.1f} ({point['train_seconds']:.0f})" if point else "")
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_curves(curves: dict[str, list[dict[str, float]]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for variant, points in curves.items():
        ax.plot([p["step"] for p in points], [p["type_acc"] for p in points], marker="o", label=f"{variant} type")
        ax.plot([p["step"] for p in points], [p["acc"] for p in points], ls="--", label=f"{variant} exact")
    ax.axhline(25, color="gray", lw=0.8, ls=":", label="chance (type)")
    ax.set_xlabel("stage-2 step")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
