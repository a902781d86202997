#!/usr/bin/env python3
"""Learning curves of the embedded demo models: SVE (cross_ffn) against its stateless twin, per app.

    python benchmarks/demo_curves.py [--runs runs/demo] [--data runs/data] [--split val] [--out docs/demo_curves]
                                     [--variants cross_ffn stateless] [--apps cxr rs_change image_diff]

Run after scripts/train_demo_models.sh. Both variants of an app start from the same stage-1 (or 1b) checkpoint
(step 0) and save every 500 stage-2 steps (where a stage 2b follows, as for image_diff, stage 2 is in
RUNS/<app>_<variant>_stage2 and stage 2b's steps continue its count); each saved checkpoint answers the app's `--split`
through the app's own `sve <app> evaluate` (its JSON is kept under RUNS/curves/, and a rerun reuses it), and the
headline metric is plotted per variant, above the validation loss the trainer logged. Prints a markdown table and
writes OUT/curves.json and OUT/curves.png.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from sve_core.jsonl import read_jsonl


@dataclass(frozen=True)
class DemoApp:
    name: str  # apps/<name>, runs/demo/<name>_<variant>
    command: str  # `sve <command> evaluate`
    data: str  # folder under --data
    metric: str  # the headline, as the report's markdown names it
    path: tuple[str, ...]  # where the report's JSON keeps it


APPS = (
    DemoApp("cxr", "cxr", "cxr", "Chg Acc", ("scores", "Chg Acc")),
    DemoApp("rs_change", "rs", "rs", "Change Acc", ("scores", "all", "Change Acc")),
    DemoApp("image_diff", "diff", "image_diff", "Category Acc", ("scores", "Category Acc")),
)


def stages(runs: Path, app: DemoApp, variant: str) -> list[tuple[int, Path]]:
    """(steps before it, run folder) of each stage after stage 1: stage 2, then stage 2b where there is one."""
    final, stage2 = runs / f"{app.name}_{variant}", runs / f"{app.name}_{variant}_stage2"
    if not stage2.is_dir():
        return [(0, final)]
    return [(0, stage2), (max(step for step, _ in logged(stage2, "loss")), final)]


def logged(run: Path, key: str) -> list[tuple[int, float]]:
    """(step, value) of every log.jsonl row of `run` that has `key`."""
    log = run / "log.jsonl"
    rows = read_jsonl(log) if log.is_file() else []
    return sorted({row["step"]: row[key] for row in rows if key in row}.items())


def checkpoints(runs: Path, app: DemoApp, variant: str) -> list[tuple[int, Path]]:
    """(stage-2 step, folder) from the model stage 2 starts from (step 0: stage 1, or stage 1b where the app has
    one) to the final one."""
    base = runs / f"{app.name}_stage1b"
    saved = sorted(
        (offset + int(p.name.split("-")[1]), p)
        for offset, run in stages(runs, app, variant)
        for p in run.glob("checkpoint-*")
        if (p / "config.json").is_file()
    )
    return [(0, base if base.is_dir() else runs / f"{app.name}_stage1"), *saved]


def score(app: DemoApp, model: Path, data: Path, split: str, out: Path) -> float:
    from apps.cli import main as sve

    report = out / f"{app.command}_evaluate.json"
    if not report.is_file():
        code = sve([app.command, "evaluate", "--data", str(data / app.data), "--split", split, "--model", str(model),
                    "--out", str(out), "--no-meteor"])
        if code != 0:
            raise SystemExit(f"sve {app.command} evaluate failed on {model} (exit {code})")
    value = json.loads(report.read_text())
    for key in app.path:
        value = value[key]
    return float(value)


def eval_losses(runs: Path, app: DemoApp, variant: str) -> list[tuple[int, float]]:
    """(stage-2 step, validation loss) from the runs' log.jsonl: every eval_steps, where checkpoints are sparser.
    Stage 2b scores its own answers (with observations), so its losses are not comparable with stage 2's."""
    return [(offset + step, loss) for offset, run in stages(runs, app, variant) for step, loss in logged(run, "eval_loss")]


def plot(apps: list[DemoApp], curves: dict[str, dict[str, list[tuple[int, float]]]],
         losses: dict[str, dict[str, list[tuple[int, float]]]], stage2b: dict[str, int], path: Path) -> Path:
    """Top row: the headline metric per saved checkpoint (a dotted segment spans steps with no checkpoint kept);
    bottom row: the validation loss the trainer logged; a grey line where stage 2b starts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(apps), figsize=(4 * len(apps), 6.2), sharex="col", squeeze=False)
    for column, app in enumerate(apps):
        top, bottom = axes[0][column], axes[1][column]
        for index, (variant, points) in enumerate(curves[app.name].items()):
            color = f"C{index}"
            steps, values = [s for s, _ in points], [v for _, v in points]
            top.plot(steps[:2], values[:2], color=color, ls=":", marker="o")
            top.plot(steps[1:], values[1:], color=color, marker="o", label=variant)
            loss = losses[app.name][variant]
            bottom.plot([s for s, _ in loss], [v for _, v in loss], color=color, label=variant)
        if stage2b.get(app.name):
            for axis in (top, bottom):
                axis.axvline(stage2b[app.name], color="gray", lw=0.8)
            top.text(stage2b[app.name], 3, " stage 2b", fontsize=8, color="gray")
        top.set_title(f"apps/{app.name}")
        top.set_ylabel(f"{app.metric} (%)")
        top.set_ylim(0, 100)
        top.axhline(90, color="gray", lw=0.8, ls=":")
        top.legend(fontsize=8)
        bottom.set_xlabel("stage-2 step")
        bottom.set_ylabel("validation loss")
        bottom.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/demo"), help="scripts/train_demo_models.sh's runs")
    parser.add_argument("--data", type=Path, default=Path("runs/data"), help="the synthetic datasets")
    parser.add_argument("--split", default="val", help="split every checkpoint answers (default val)")
    parser.add_argument("--out", type=Path, default=Path("docs/demo_curves"), help="folder for curves.json/png")
    parser.add_argument("--variants", nargs="+", default=["cross_ffn", "stateless"],
                        help="run-name suffixes to compare: RUNS/<app>_<variant> (default cross_ffn stateless)")
    parser.add_argument("--apps", nargs="+", choices=[app.name for app in APPS], default=[app.name for app in APPS],
                        help="apps to score and plot (default all three)")
    args = parser.parse_args()
    apps = [app for app in APPS if app.name in args.apps]
    curves: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for app in apps:
        curves[app.name] = {}
        for variant in args.variants:
            points = []
            for step, model in checkpoints(args.runs, app, variant):
                folder = args.runs / "curves" / app.name / (model.name if step == 0 else f"{variant}-{step}")
                points.append((step, score(app, model, args.data, args.split, folder)))
            curves[app.name][variant] = points
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "curves.json").write_text(json.dumps({"split": args.split, "curves": curves}, indent=1) + "\n")
    print(f"{args.split} split, headline metric per saved stage-2 step (step 0: the shared stage-1 model)\n")
    for app in apps:
        steps = sorted({s for points in curves[app.name].values() for s, _ in points})
        print(f"| apps/{app.name} {app.metric} | " + " | ".join(str(s) for s in steps) + " |")
        print("|---|" + "---|" * len(steps))
        for variant, points in curves[app.name].items():
            values = dict(points)
            print(f"| {variant} | " + " | ".join(f"{values[s]:.1f}" if s in values else "" for s in steps) + " |")
        print()
    losses = {app.name: {v: eval_losses(args.runs, app, v) for v in args.variants} for app in apps}
    stage2b = {app.name: max(offset for v in args.variants for offset, _ in stages(args.runs, app, v)) for app in apps}
    print(f"wrote {args.out / 'curves.json'} and {plot(apps, curves, losses, stage2b, args.out / 'curves.png')}")


if __name__ == "__main__":
    main()
