"""Running the design study (``sve bench controlled``): pretrain once, check that the model sees, finetune every
pending (variant, seed) in worker processes, and report from every run kept in the output folder.

Each finished run's answers are kept in the output folder (``runs/<variant>-s<seed>.json``, small, meant to be
committed) with the fingerprint of the pretrained model it started from, so a study can be spread over several
sittings and machines (`BenchSettings.only`); runs already there are not repeated, and runs from another pretrained
model are refused rather than mixed. The pretrained model itself is kept there too (``pretrained/``, a few MB), so
a later sitting on a fresh checkout finetunes from the very same weights instead of pretraining again; the tables
say how many seeds each variant has.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from evaluation.controlled import study_report
from evaluation.controlled.bench import (
    BenchSettings,
    constant_baseline,
    prepare_data,
    pretrain_check,
    score_run,
    task_of,
)
from evaluation.controlled.metrics import answers_of, perplexity
from evaluation.controlled.recipe import Recipe, finetune, pretrain
from sve_core.data import load_jsonl
from sve_core.inference import answer_log_likelihood


@dataclass
class Job:
    recipe: Recipe
    base: Path
    base_sha256: str
    data: Path
    run_dir: Path  # model and train.log (work folder)
    answers_file: Path  # the kept result (output folder)
    variant: str
    seed: int
    max_new_tokens: int
    keep_model: bool


def run_job(job: Job) -> dict[str, Any]:
    """Finetune one (variant, seed) and answer the test split (in a worker process; output in train.log)."""
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
              "pretrained_sha256": job.base_sha256, "machine": machine(), "answers": answers}
    job.answers_file.parent.mkdir(parents=True, exist_ok=True)
    partial = job.answers_file.with_suffix(".partial")
    partial.write_text(json.dumps(output, indent=0))
    partial.replace(job.answers_file)  # a run is there whole or not at all
    if not job.keep_model:
        shutil.rmtree(job.run_dir / "model")
    return output


def machine() -> str:
    """Where a run ran, for the table's caption: CPU or GPU, cores and torch threads."""
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (torch {torch.__version__})"
    return (f"CPU {platform.machine()} x {os.cpu_count()} cores, {torch.get_num_threads()} torch thread(s) per run "
            f"(torch {torch.__version__})")


def _keep_model(model_dir: Path, kept: Path) -> None:
    """Copy the files a model loads from (no optimizer or trainer state) into `kept`, replacing what was there."""
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for path in model_dir.iterdir():
        if path.is_file() and (path.suffix in (".json", ".safetensors", ".jinja") or path.name == "README.md"):
            shutil.copy2(path, kept / path.name)


def sha256_of(model_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(model_dir.glob("*.safetensors")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


class StudyError(RuntimeError):
    """A study that cannot go on as asked (mixed pretrained models, a damaged kept file); the message says what
    to do."""


RUN_FIELDS = ("variant", "seed", "train_seconds", "ppl", "pretrained_sha256", "answers")  # what run_job keeps


def _read(path: Path, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A kept study file (pretrained.json, runs/*.json) with the `required` fields, or one line naming it when it
    is not one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StudyError(f"{path}: not a readable study file ({error}); move it away and run again") from error
    if not isinstance(data, dict):
        raise StudyError(f"{path}: not a study file (expected a JSON object); move it away and run again")
    missing = [name for name in required if name not in data]
    if missing:
        raise StudyError(f"{path}: not a study file (no {', '.join(missing)}); move it away and run again")
    return data


def _read_run(path: Path, test_size: int) -> dict[str, Any]:
    """A kept run, checked against the test split its answers are scored on."""
    run = _read(path, RUN_FIELDS)
    if not isinstance(run["answers"], list) or len(run["answers"]) != test_size:
        raise StudyError(f"{path}: expected a list of {test_size} answers, one per test sample; move it away and "
                         "run again")
    return run


@dataclass
class BenchReport:
    table: str
    summary: dict[str, dict[str, list[float]]]
    runs: list[dict[str, Any]]
    baseline: dict[str, float]
    pretrained: dict[str, Any]  # `pretrain_check`, its verdict and the model's fingerprint
    seconds: float
    paired: str = ""
    ranking: str = ""
    stopped: str = ""  # why no variant was finetuned (the pretrained model does not see)
    pending: list[str] = field(default_factory=list)  # variant:seed runs not done yet
    files: list[Path] = field(default_factory=list)


def judge_sight(check: dict[str, Any], sight: float | None) -> str:
    """'' when the pretrained model sees well enough to compare variants on, else the reason in words."""
    if sight is None or not check:
        return ""
    if check["mae"] <= sight * check["centre_mae"]:
        return ""
    return (f"the pretrained model places a single dot with MAE {check['mae']:.2f} x10^-2, above {sight:g} x the "
            f"{check['centre_mae']:.2f} of always answering the centre: it does not see well enough for the "
            "variants to differ; pretrain longer (--pretrain-steps) or change the pretraining mix")


def _pending(settings: BenchSettings, out: Path, sha: str) -> list[tuple[str, int]]:
    """(variant, seed) runs without a kept result; refuses results finetuned from another pretrained model."""
    pending, foreign = [], []
    for seed in settings.seeds:
        for variant in settings.variants:
            path = out / "runs" / f"{variant}-s{seed}.json"
            if not path.is_file():
                pending.append((variant, seed))
            elif _read(path).get("pretrained_sha256") != sha:
                foreign.append(path.name)
    if foreign:
        raise StudyError(f"{out / 'runs'}: {', '.join(foreign)} were finetuned from another pretrained model than "
                         f"{sha[:12]}; move them away (or use another --out) instead of mixing the two")
    return pending


def run_bench(settings: BenchSettings, out_dir: str | Path, work_dir: str | Path, *,
              progress: bool = True, report_only: bool = False) -> BenchReport:
    """Data, pretraining and the pending (variant, seed) finetunes (none with `report_only`) in `work_dir`; kept
    answers, the pretrained model, scores, tables, results.json and controlled.png in `out_dir`."""
    from evaluation.captions import CaptionScorer

    began = time.perf_counter()
    out, work = Path(out_dir), Path(work_dir)
    out.mkdir(parents=True, exist_ok=True)
    check_file, key, base = out / "pretrained.json", settings.pretrain_key(), out / "pretrained"
    kept = _read(check_file) if check_file.is_file() else {}
    reuse = ((base / "config.json").is_file() and kept.get("key") == key
             and kept.get("sha256") == sha256_of(base))  # the kept model and its check: no pretraining data needed
    pretrain_data, finetune_data = prepare_data(settings, work, pretraining=not reuse, progress=progress)
    pretrained = kept
    if not reuse:
        trained_now, pretrain_began = not (work / f"pretrain-{key}" / "config.json").is_file(), time.perf_counter()
        _keep_model(pretrain(settings.recipe, pretrain_data, work / f"pretrain-{key}",
                             vocabulary=[finetune_data / "train.jsonl"]), base)
        pretrained = {**pretrain_check(base, pretrain_data), "sha256": sha256_of(base), "key": key}
        if trained_now:
            pretrained.update(trained_seconds=round(time.perf_counter() - pretrain_began, 1), machine=machine())
    sha = pretrained["sha256"]
    stop = judge_sight(pretrained, settings.sight)
    pretrained.update(sight=settings.sight,
                      verdict=stop or ("sees" if settings.sight is not None else "reported, not a gate in this preset"))
    check_file.write_text(json.dumps(pretrained, indent=1))
    baseline = constant_baseline(load_jsonl(finetune_data / "train.jsonl"), load_jsonl(finetune_data / "test.jsonl"))
    if stop:
        report = BenchReport("", {}, [], baseline, pretrained, time.perf_counter() - began,
                             stopped=stop)
        report.files = [check_file]
        return report
    pending = _pending(settings, out, sha)
    chosen = [] if report_only else [(v, s) for v, s in pending if not settings.only or f"{v}:{s}" in settings.only]
    jobs = [Job(settings.recipe, base, sha, finetune_data, work / "runs" / f"{variant}-s{seed}",
                out / "runs" / f"{variant}-s{seed}.json", variant, seed, settings.max_new_tokens,
                settings.keep_models) for variant, seed in chosen]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=settings.jobs, mp_context=context) as pool:
        futures = [pool.submit(run_job, job) for job in jobs]
        for future in tqdm(as_completed(futures), total=len(futures), desc="finetune runs", disable=not progress):
            future.result()
    return _report(settings, out, finetune_data, baseline, pretrained, began, CaptionScorer)


def _report(settings: BenchSettings, out: Path, finetune_data: Path, baseline: dict[str, float],
            pretrained: dict[str, Any], began: float, scorer_class: Any) -> BenchReport:
    """Scores, tables, results.json and controlled.png from every run kept in `out`/runs."""
    test = load_jsonl(finetune_data / "test.jsonl")
    outputs = [_read_run(out / "runs" / f"{v}-s{s}.json", len(test)) for s in settings.seeds
               for v in settings.variants if (out / "runs" / f"{v}-s{s}.json").is_file()]
    with scorer_class(meteor=False) as scorer:
        runs = sorted((score_run(test, o, scorer) for o in outputs), key=lambda r: (r["variant"], r["seed"]))
    summary = study_report.summarise(runs, settings.variants)
    comparisons = study_report.paired(runs, settings.variants)
    done = {(r["variant"], r["seed"]) for r in runs}
    report = BenchReport(study_report.format_table(summary, baseline), summary, runs, baseline, pretrained,
                         time.perf_counter() - began, paired=study_report.format_paired(comparisons),
                         ranking=study_report.format_ranking(summary) if summary else "",
                         pending=[f"{v}:{s}" for s in settings.seeds for v in settings.variants if (v, s) not in done])
    results = out / "results.json"
    results.write_text(json.dumps({
        "summary": summary, "paired": comparisons, "baseline": baseline, "pretrained": pretrained, "runs": runs,
        "pending": report.pending, "finetune_seconds": round(sum(r["train_seconds"] for r in runs), 1),
        "machines": sorted({o.get("machine", "not recorded") for o in outputs}),
        "settings": dataclasses.asdict(settings)}, indent=1, default=str))
    report.files = [results, out / "pretrained.json"]
    if summary:
        report.files.append(study_report.plot(summary, comparisons, baseline, out / "controlled.png"))
    return report
