"""The design study's tables and plot, from scored runs (`bench.score_run`): mean ± std per variant, paired
differences against `stateless` with a confidence interval, and the paper's ranking quoted beside ours.

Paired: every variant finetunes from the same pretrained model with the same seeds, so seed s of a variant and
seed s of `stateless` share their data order and initial SVE draw; the per-seed difference removes what the seeds
have in common, which the ± of two independent means does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

METRICS: tuple[tuple[str, str, bool], ...] = (  # (key, column title, higher is better)
    ("mae", "MAE", False), ("rmse", "RMSE", False), ("acc", "Acc", True), ("type_acc", "Type Acc", True),
    ("cider", "CIDEr", True), ("ppl", "PPL", False),
    ("distinct", "Distinct change answers", True),  # a model collapsed onto one answer for every pair has 1
)
PAIRED: tuple[str, ...] = ("mae", "acc", "type_acc", "cider")  # the columns of the paired table
REFERENCE_VARIANT = "stateless"
# Quoted from the SVE paper's seed table (Qwen3.5-4B, spatial aggregation, MAE / RMSE x10^-2 averaged over
# subtasks; ../shared/REFERENCE.md §3). The paper gives no Self+FFN row there.
QUOTED_DOTS: dict[str, tuple[float, float]] = {
    "cross_ffn": (0.72, 0.96), "cross": (1.03, 1.39), "stateless": (1.15, 1.60), "adaln_zero": (1.17, 1.60),
    "self_ext": (1.44, 2.02),
}


def summarise(runs: Sequence[dict[str, Any]], variants: Sequence[str]) -> dict[str, dict[str, list[float]]]:
    """variant -> metric -> [mean, std over seeds] (sample std; 0 for a single seed); variants without runs are
    left out."""
    table: dict[str, dict[str, list[float]]] = {}
    for variant in variants:
        rows = [r for r in runs if r["variant"] == variant]
        if not rows:
            continue
        table[variant] = {"seeds": [float(len(rows)), 0.0]}
        for key, _, _ in METRICS:
            values = np.array([r[key] for r in rows], dtype=float)
            table[variant][key] = [float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0]
    return table


def paired(runs: Sequence[dict[str, Any]], variants: Sequence[str], *, confidence: float = 0.95,
           reference: str = REFERENCE_VARIANT) -> dict[str, dict[str, dict[str, Any]]]:
    """variant -> metric -> {"diffs": per-seed (variant - reference), "mean", "low", "high", "seeds"}: a Student-t
    interval over the seeds both have (None bounds below two seeds)."""
    by_key = {(r["variant"], r["seed"]): r for r in runs}
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for variant in variants:
        seeds = sorted(s for v, s in by_key if v == variant and (reference, s) in by_key)
        if variant == reference or not seeds:
            continue
        result[variant] = {}
        for key in PAIRED:
            diffs = np.array([by_key[variant, s][key] - by_key[reference, s][key] for s in seeds], dtype=float)
            mean, low, high = float(diffs.mean()), None, None
            if len(diffs) > 1:
                half = stats.t.ppf(0.5 + confidence / 2, len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(len(diffs))
                low, high = mean - float(half), mean + float(half)
            result[variant][key] = {"diffs": diffs.round(4).tolist(), "mean": mean, "low": low, "high": high,
                                    "seeds": seeds}
    return result


def format_table(summary: dict[str, dict[str, list[float]]], baseline: dict[str, float]) -> str:
    head = "| Variant | seeds | " + " | ".join(f"{title} {'↑' if up else '↓'}" for _, title, up in METRICS) + " |"
    lines = [head, "|" + "---|" * (len(METRICS) + 2)]
    for variant, metrics in summary.items():
        cells = [f"{metrics[key][0]:.2f} ± {metrics[key][1]:.2f}" for key, _, _ in METRICS]
        lines.append(f"| {variant} | {int(metrics['seeds'][0])} | " + " | ".join(cells) + " |")
    lines.append(f"| constant (train mean) | – | {baseline['mae']:.2f} | {baseline['rmse']:.2f} | – | 25 (chance) | – "
                 "| – | 1 |")
    lines.append(f"| test references | – | 0 | 0 | 100 | 100 | – | – | {baseline['distinct']:.0f} |")
    return "\n".join(lines)


def format_paired(comparisons: dict[str, dict[str, dict[str, Any]]], confidence: float = 0.95) -> str:
    """Mean per-seed difference against stateless [CI]; * where the interval excludes 0."""
    titles = {key: (title, up) for key, title, up in METRICS}
    head = (f"| Variant − {REFERENCE_VARIANT} | seeds | "
            + " | ".join(f"Δ {titles[k][0]} ({'↑' if titles[k][1] else '↓'} better)" for k in PAIRED) + " |")
    lines = [head, "|" + "---|" * (len(PAIRED) + 2)]
    for variant, metrics in comparisons.items():
        cells = []
        for key in PAIRED:
            m = metrics[key]
            if m["low"] is None:
                cells.append(f"{m['mean']:+.2f}")
            else:
                excludes = m["low"] > 0 or m["high"] < 0
                cells.append(f"{m['mean']:+.2f} [{m['low']:+.2f}, {m['high']:+.2f}]{'*' if excludes else ''}")
        lines.append(f"| {variant} | {len(metrics[PAIRED[0]]['seeds'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + (f"\n\n[ ]: {confidence:.0%} Student-t interval over the seeds' paired differences; "
                               "*: the interval excludes 0.")


def format_ranking(summary: dict[str, dict[str, list[float]]]) -> str:
    """Our order by dot MAE and by change-type accuracy next to the paper's quoted dot ranking."""
    ours_mae = sorted(summary, key=lambda v: summary[v]["mae"][0])
    ours_type = sorted(summary, key=lambda v: -summary[v]["type_acc"][0])
    quoted = sorted(QUOTED_DOTS, key=lambda v: QUOTED_DOTS[v][0])
    return "\n".join([
        "| ranking, best first | order |", "|---|---|",
        "| paper, dots MAE (quoted: Qwen3.5-4B seed table) | "
        + " < ".join(f"{v} {QUOTED_DOTS[v][0]:.2f}" for v in quoted) + " |",
        "| this study, dots MAE | " + " < ".join(f"{v} {summary[v]['mae'][0]:.2f}" for v in ours_mae) + " |",
        "| this study, change Type Acc | " + " > ".join(f"{v} {summary[v]['type_acc'][0]:.1f}" for v in ours_type)
        + " |",
    ])


def plot(summary: dict[str, dict[str, list[float]]], comparisons: dict[str, dict[str, dict[str, Any]]],
         baseline: dict[str, float], path: Path) -> Path:
    """Bars (mean ± std) for MAE, Acc, Type Acc and distinct change answers (log scale, beside the test references'
    count), and the paired Δ Type Acc against stateless with its CI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [m for m in METRICS if m[0] in ("mae", "acc", "type_acc", "distinct")]
    fig, axes = plt.subplots(1, len(shown) + 1, figsize=(3.8 * (len(shown) + 1), 3.6))
    names = list(summary)
    for ax, (key, title, up) in zip(axes, shown, strict=False):
        ax.bar(range(len(names)), [summary[v][key][0] for v in names], yerr=[summary[v][key][1] for v in names],
               capsize=3, color=["#d62728" if v == "cross_ffn" else "#7f7f7f" for v in names])
        if key == "distinct":
            ax.set_yscale("log")
            ax.axhline(baseline[key], ls="--", color="black", lw=1, label="test references")
            ax.axhline(1, ls=":", color="black", lw=1, label="one answer for every pair")
        elif key in baseline:
            ax.axhline(baseline[key], ls="--", color="black", lw=1, label="constant (train mean)")
        if key == "type_acc":
            ax.axhline(25, ls=":", color="black", lw=1, label="chance")
        if key in baseline or key == "type_acc":
            ax.legend(fontsize=7)
        ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=8)
        ax.set_title(f"{title} ({'higher' if up else 'lower'} is better)", fontsize=9)
    ax = axes[-1]
    others = list(comparisons)
    means = [comparisons[v]["type_acc"]["mean"] for v in others]
    errors = [[m - (comparisons[v]["type_acc"]["low"] if comparisons[v]["type_acc"]["low"] is not None else m)
               for v, m in zip(others, means, strict=True)],
              [(comparisons[v]["type_acc"]["high"] if comparisons[v]["type_acc"]["high"] is not None else m) - m
               for v, m in zip(others, means, strict=True)]]
    ax.bar(range(len(others)), means, yerr=errors, capsize=3, color="#1f77b4")
    ax.axhline(0, color="black", lw=1)
    ax.set_xticks(range(len(others)), others, rotation=40, ha="right", fontsize=8)
    ax.set_title("Δ Type Acc vs stateless, 95% CI (paired)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
