"""The controlled design study in miniature (``sve bench controlled``).

One tiny stateless VLM is pretrained on single-image versions of the tasks (where is the red dot? describe
the scene); every (variant, seed) then injects SVE into a copy of it and finetunes with identical data, steps
and learning rates on a mix of the two controlled tasks, and is scored on the same test split:

- spatial aggregation: MAE / RMSE (x10^-2) per subtask (distance, triangle, hull), averaged over subtasks as the
  paper's table does; a constant predictor (each subtask's training mean) is reported for scale;
- multi-object change: permutation-invariant exact Acc and change-type Acc, BLEU-4 and CIDEr of the aligned
  answers (`evaluation.captions`), and token-weighted answer perplexity.

Runs go to separate processes (`jobs` at a time, one thread each, the fastest use of a small CPU machine); a
run whose ``answers.json`` exists is not repeated, so an interrupted study resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import shutil
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from evaluation.controlled.dots import LOCATE_PROMPT, DotsTask, subtask
from evaluation.controlled.dots import PROMPTS as DOT_PROMPTS
from evaluation.controlled.export import mixture, write_dataset
from evaluation.controlled.metrics import (
    aligned_answer,
    answers_of,
    change_scores,
    location_scores,
    parse_point,
    perplexity,
    reference_of,
    regression_scores,
)
from evaluation.controlled.multi_change import MultiChangeTask
from evaluation.controlled.recipe import Recipe, finetune, pretrain
from sve_core.checkpoint import from_pretrained
from sve_core.config import VARIANTS
from sve_core.data import Sample, load_jsonl
from sve_core.inference import Request, answer_log_likelihood
from sve_core.tiny import TinySpec

METRICS: tuple[tuple[str, str, bool], ...] = (  # (key, column title, higher is better)
    ("mae", "MAE", False), ("rmse", "RMSE", False), ("acc", "Acc", True), ("type_acc", "Type Acc", True),
    ("cider", "CIDEr", True), ("ppl", "PPL", False),
)
ORDER: tuple[str, ...] = ("stateless", "self_ext", "adaln_zero", "cross", "cross_ffn", "self_ffn")


@dataclass
class BenchSettings:
    """Everything a study needs besides its output folder; `quick()` and `full()` are the documented presets."""

    recipe: Recipe
    dots: DotsTask
    change: MultiChangeTask
    pretrain_examples: dict[str, int]
    finetune_examples: dict[str, int]
    variants: tuple[str, ...] = ORDER
    seeds: tuple[int, ...] = (0, 1, 2)
    jobs: int = 2
    max_new_tokens: int = 40
    keep_models: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(set(self.variants) - set(VARIANTS))
        if unknown:
            raise ValueError(f"variants {unknown} unknown; choose from {', '.join(VARIANTS)}")
        if len(self.seeds) < 1 or self.jobs < 1:
            raise ValueError("expected at least one seed and one job")


def _stage(steps: int, lr: float, batch: int, **extra: Any) -> dict[str, Any]:
    return {"max_steps": steps, "learning_rate": lr, "batch_size": batch, "warmup_ratio": 0.05,
            "lr_scheduler": "cosine", "precision": "fp32", "save_steps": 100_000, "eval_steps": 100_000,
            "log_steps": 25, **extra}


def quick() -> BenchSettings:
    """<= 15 minutes on 2 CPU cores: a 1.2 M-parameter model, 56 px images, the easiest member of each task
    (2-3 dot images; 1-3 objects on a 2 x 2 grid, so each language-model image token holds one object)."""
    spec = TinySpec(vision_depth=2, vision_width=96, vision_heads=4, text_layers=2, text_width=128, text_heads=4,
                    vocab_size=500, image_size=56)
    recipe = Recipe(tiny=spec, pretrain=_stage(800, 3e-4, 16), finetune=_stage(200, 3e-4, 16, sve_lr=3e-3))
    return BenchSettings(recipe=recipe, dots=DotsTask(image_size=56, counts=(2, 3)),
                         change=MultiChangeTask(image_size=56, grid=2, objects=(1, 3), changes=(1, 1)),
                         pretrain_examples={"train": 6000, "val": 100},
                         finetune_examples={"train": 2400, "val": 100, "test": 200})


def full() -> BenchSettings:
    """The study as reported in the README: 2-5 dot images, 10-40 objects with 1-4 changes, 112 px; 1000 finetuning
    steps per run (11-19 minutes each on one CPU core, so about 2.5 hours for the 18 runs two at a time)."""
    spec = TinySpec(vision_depth=4, vision_width=128, vision_heads=4, text_layers=4, text_width=128, text_heads=4,
                    vocab_size=600, image_size=112)
    recipe = Recipe(tiny=spec, pretrain=_stage(4000, 3e-4, 16), finetune=_stage(1000, 3e-4, 16, sve_lr=3e-3))
    return BenchSettings(recipe=recipe, dots=DotsTask(image_size=112), change=MultiChangeTask(image_size=112),
                         pretrain_examples={"train": 30000, "val": 200},
                         finetune_examples={"train": 20000, "val": 200, "test": 1000}, max_new_tokens=96)


def task_of(sample: Sample) -> str:
    return "dots" if Request.from_sample(sample).prompt in DOT_PROMPTS.values() else "change"


def prepare_data(settings: BenchSettings, out: Path, *, progress: bool = True) -> tuple[Path, Path]:
    """Seeded pretraining (single-image) and finetuning (multi-image) dataset folders, written once."""
    folders = {
        "pretrain": (mixture([settings.dots.locate, settings.change.describe]), settings.pretrain_examples),
        "finetune": (mixture([settings.dots.aggregate, settings.change.change]), settings.finetune_examples),
    }
    for name, (generate, sizes) in folders.items():
        folder = out / "data" / name
        if not all((folder / f"{split}.jsonl").is_file() for split in sizes):
            write_dataset(folder, generate, sizes, seed=0, progress=progress)
    return out / "data" / "pretrain", out / "data" / "finetune"


@dataclass
class Job:
    recipe: Recipe
    base: Path
    data: Path
    run_dir: Path
    variant: str
    seed: int
    max_new_tokens: int
    keep_model: bool


def run_job(job: Job) -> dict[str, Any]:
    """Finetune one (variant, seed) and answer the test split (in a worker process; output in train.log)."""
    answers_file = job.run_dir / "answers.json"
    if answers_file.is_file():
        return json.loads(answers_file.read_text())
    job.run_dir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with open(job.run_dir / "train.log", "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        result = finetune(job.recipe, job.base, job.data, job.run_dir / "model", variant=job.variant, seed=job.seed)
        seconds = time.perf_counter() - began
        test = load_jsonl(job.data / "test.jsonl")
        answers = answers_of(result.model, result.processor, test, max_new_tokens=job.max_new_tokens)
        scored = answer_log_likelihood(result.model, result.processor, [s for s in test if task_of(s) == "change"])
        ppl = perplexity(-sum(ll for ll, _ in scored), sum(count for _, count in scored))
    output = {"variant": job.variant, "seed": job.seed, "train_seconds": round(seconds, 1), "ppl": ppl,
              "answers": answers}
    answers_file.write_text(json.dumps(output, indent=1))
    if not job.keep_model:
        shutil.rmtree(job.run_dir / "model")
    return output


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
        "ppl": output["ppl"],
    }


def constant_baseline(train: Sequence[Sample], test: Sequence[Sample]) -> dict[str, float]:
    """MAE / RMSE of always answering each subtask's training mean: what "learnt nothing" scores."""
    values: dict[str, list[float]] = defaultdict(list)
    for sample in train:
        if task_of(sample) == "dots":
            values[subtask(len(sample.images))].append(float(reference_of(sample)))
    scores = []
    for name, train_values in sorted(values.items()):
        gold = [float(reference_of(s)) for s in test if task_of(s) == "dots" and subtask(len(s.images)) == name]
        scores.append(regression_scores(gold, [f"{np.mean(train_values):.4f}"] * len(gold)))
    return {"mae": float(np.mean([s.mae for s in scores])), "rmse": float(np.mean([s.rmse for s in scores]))}


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


def summarise(runs: Sequence[dict[str, Any]], variants: Sequence[str]) -> dict[str, dict[str, list[float]]]:
    """variant -> metric -> [mean, std over seeds] (sample std; 0 for a single seed)."""
    table: dict[str, dict[str, list[float]]] = {}
    for variant in variants:
        rows = [r for r in runs if r["variant"] == variant]
        table[variant] = {}
        for key, _, _ in METRICS:
            values = np.array([r[key] for r in rows], dtype=float)
            table[variant][key] = [float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0]
    return table


def format_table(summary: dict[str, dict[str, list[float]]], baseline: dict[str, float]) -> str:
    head = "| Variant | " + " | ".join(f"{title} {'↑' if up else '↓'}" for _, title, up in METRICS) + " |"
    lines = [head, "|" + "---|" * (len(METRICS) + 1)]
    for variant, metrics in summary.items():
        cells = [f"{metrics[key][0]:.2f} ± {metrics[key][1]:.2f}" for key, _, _ in METRICS]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    lines.append(f"| constant (train mean) | {baseline['mae']:.2f} | {baseline['rmse']:.2f} | – | 25 (chance) | – | – |")
    return "\n".join(lines)


def plot(summary: dict[str, dict[str, list[float]]], baseline: dict[str, float], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [m for m in METRICS if m[0] in ("mae", "rmse", "acc", "ppl")]
    fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 3.4))
    names = list(summary)
    for ax, (key, title, up) in zip(axes, shown, strict=True):
        means = [summary[v][key][0] for v in names]
        stds = [summary[v][key][1] for v in names]
        ax.bar(range(len(names)), means, yerr=stds, capsize=3,
               color=["#d62728" if v == "cross_ffn" else "#7f7f7f" for v in names])
        if key in baseline:
            ax.axhline(baseline[key], ls="--", color="black", lw=1, label="constant")
            ax.legend(fontsize=7)
        ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=8)
        ax.set_title(f"{title} ({'higher' if up else 'lower'} is better)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


@dataclass
class BenchReport:
    table: str
    summary: dict[str, dict[str, list[float]]]
    runs: list[dict[str, Any]]
    baseline: dict[str, float]
    pretrained: dict[str, float]  # `pretrain_check`
    seconds: float
    files: list[Path] = field(default_factory=list)


def run_bench(settings: BenchSettings, out_dir: str | Path, work_dir: str | Path, *,
              progress: bool = True) -> BenchReport:
    """Data, pretraining and every (variant, seed) finetune in `work_dir`; scores, table, results.json and
    controlled.png in `out_dir`."""
    from evaluation.captions import CaptionScorer

    began = time.perf_counter()
    out, work = Path(out_dir), Path(work_dir)
    out.mkdir(parents=True, exist_ok=True)
    pretrain_data, finetune_data = prepare_data(settings, work, progress=progress)
    base = pretrain(settings.recipe, pretrain_data, work / "pretrain", vocabulary=[finetune_data / "train.jsonl"])
    pretrained = pretrain_check(base, pretrain_data)
    jobs = [Job(settings.recipe, base, finetune_data, work / "runs" / f"{variant}-s{seed}", variant, seed,
                settings.max_new_tokens, settings.keep_models)
            for seed in settings.seeds for variant in settings.variants]
    outputs = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=settings.jobs, mp_context=context) as pool:
        futures = [pool.submit(run_job, job) for job in jobs]
        for future in tqdm(as_completed(futures), total=len(futures), desc="finetune runs", disable=not progress):
            outputs.append(future.result())
    test = load_jsonl(finetune_data / "test.jsonl")
    with CaptionScorer(meteor=False) as scorer:
        runs = sorted((score_run(test, o, scorer) for o in outputs), key=lambda r: (r["variant"], r["seed"]))
    baseline = constant_baseline(load_jsonl(finetune_data / "train.jsonl"), test)
    summary = summarise(runs, settings.variants)
    report = BenchReport(format_table(summary, baseline), summary, runs, baseline, pretrained,
                         time.perf_counter() - began)
    results = out / "results.json"
    results.write_text(json.dumps({"summary": summary, "baseline": baseline, "pretrained": pretrained, "runs": runs,
                                   "seconds": round(report.seconds, 1),
                                   "settings": dataclasses.asdict(settings)}, indent=1, default=str))
    report.files = [results, plot(summary, baseline, out / "controlled.png")]
    return report

