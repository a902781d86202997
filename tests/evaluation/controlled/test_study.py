"""The design study's runner and report: paired comparisons, the sight gate, runs kept across sittings, and a
pretrained VLM as the base (the path the paper-scale recipe takes)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from scipy import stats

from evaluation.controlled.bench import BenchSettings, _stage
from evaluation.controlled.dots import DotsTask
from evaluation.controlled.multi_change import MultiChangeTask
from evaluation.controlled.recipe import Recipe
from evaluation.controlled.study import StudyError, judge_sight, run_bench
from evaluation.controlled.study_report import format_paired, format_ranking, paired, summarise
from sve_core.tiny import TinySpec


def _run(variant: str, seed: int, **metrics: float) -> dict:
    return {"variant": variant, "seed": seed, "mae": 5.0, "rmse": 6.0, "acc": 10.0, "type_acc": 30.0, "cider": 1.0,
            "ppl": 2.0, "distinct": 3.0, **metrics}


def test_paired_differences_use_matching_seeds_and_a_t_interval():
    runs = [_run("stateless", s, type_acc=30.0 + s) for s in range(3)]
    runs += [_run("cross_ffn", s, type_acc=40.0 + 2 * s) for s in range(3)]
    runs += [_run("cross", 0, type_acc=31.0)]  # one seed: a difference, no interval
    result = paired(runs, ["stateless", "cross_ffn", "cross"])
    diffs = result["cross_ffn"]["type_acc"]["diffs"]
    assert diffs == [10.0, 11.0, 12.0]
    half = stats.t.ppf(0.975, 2) * 1.0 / 3 ** 0.5
    assert result["cross_ffn"]["type_acc"]["low"] == pytest.approx(11.0 - half)
    assert result["cross"]["type_acc"] == {"diffs": [1.0], "mean": 1.0, "low": None, "high": None, "seeds": [0]}
    table = format_paired(result)
    assert "| cross_ffn | 3 | " in table and "+11.00 [" in table and "]*" in table  # excludes 0
    ranking = format_ranking(summarise(runs, ["stateless", "cross_ffn", "cross"]))
    assert "quoted" in ranking and "cross_ffn 0.72 < cross 1.03" in ranking


def test_sight_gate():
    check = {"mae": 12.0, "centre_mae": 22.0}
    assert judge_sight(check, 0.5) and "12.00" in judge_sight(check, 0.5)
    assert judge_sight({**check, "mae": 10.0}, 0.5) == "" and judge_sight(check, None) == ""


def _settings(**changes) -> BenchSettings:
    stage = _stage(2, 1e-3, 2)
    recipe = Recipe(tiny=TinySpec(vision_depth=1, text_layers=1), pretrain=stage, finetune={**stage, "sve_lr": 1e-2})
    settings = BenchSettings(recipe=recipe, dots=DotsTask(image_size=56, counts=(2,)),
                             change=MultiChangeTask(image_size=56, grid=2, objects=(1, 2), changes=(1, 1)),
                             pretrain_examples={"train": 8, "val": 6}, finetune_examples={"train": 8, "test": 4},
                             pretrain_mix={"locate": 2.0, "locate_few": 1.0, "object_at": 1.0, "describe": 1.0},
                             variants=("stateless", "cross_ffn"), seeds=(0,), jobs=1, max_new_tokens=8, sight=None)
    return dataclasses.replace(settings, **changes)


class _NoCaptions:
    def __init__(self, meteor: bool = False) -> None: ...
    def __enter__(self): return self
    def __exit__(self, *exc) -> None: ...
    def tokenize(self, references, predictions): return references, predictions
    def score(self, captions): return {"BLEU-4": 0.0, "CIDEr": 0.0}


def test_study_stops_before_finetuning_when_the_pretrained_model_is_blind(tmp_path, monkeypatch):
    monkeypatch.setattr("evaluation.captions.CaptionScorer", _NoCaptions)  # no Java start
    report = run_bench(_settings(sight=0.0), tmp_path / "out", tmp_path / "work", progress=False)
    assert "does not see" in report.stopped and not report.runs
    assert not (tmp_path / "out" / "runs").exists()
    kept = json.loads((tmp_path / "out" / "pretrained.json").read_text())
    assert kept["verdict"] == report.stopped and kept["count"] > 0


def test_runs_are_kept_resumed_by_sitting_and_never_mixed(tmp_path, monkeypatch):
    monkeypatch.setattr("evaluation.captions.CaptionScorer", _NoCaptions)  # no Java start
    out, work = tmp_path / "out", tmp_path / "work"
    first = run_bench(_settings(only=("cross_ffn:0",)), out, work, progress=False)
    assert [r["variant"] for r in first.runs] == ["cross_ffn"] and first.pending == ["stateless:0"]
    kept = json.loads((out / "runs" / "cross_ffn-s0.json").read_text())
    assert len(kept["answers"]) == 4 and kept["machine"].startswith(("CPU", "NVIDIA"))
    assert (out / "pretrained" / "model.safetensors").is_file()  # kept beside the runs
    again = run_bench(_settings(), out, work, progress=False, report_only=True)  # tables only, nothing trained
    assert again.pending == ["stateless:0"] and not (out / "runs" / "stateless-s0.json").exists()
    fresh = tmp_path / "fresh-checkout-work"  # a later sitting elsewhere: the kept model, only the pending run trains
    second = run_bench(_settings(), out, fresh, progress=False)
    assert not list(fresh.glob("pretrain-*/config.json")) and second.pretrained["sha256"] == kept["pretrained_sha256"]
    assert not list(fresh.glob("data/pretrain-*"))  # nor its data: the kept model's check is kept too
    assert second.pending == [] and {r["variant"] for r in second.runs} == {"stateless", "cross_ffn"}
    assert json.loads((out / "runs" / "cross_ffn-s0.json").read_text()) == kept
    assert "| cross_ffn | 1 |" in second.paired and (out / "controlled.png").is_file()
    results = json.loads((out / "results.json").read_text())
    assert results["pending"] == [] and results["paired"]["cross_ffn"]["type_acc"]["seeds"] == [0]
    (out / "runs" / "cross_ffn-s0.json").write_text('{"variant": "cross_')  # damaged: one line naming it
    with pytest.raises(StudyError, match=r"cross_ffn-s0\.json: not a readable study file"):
        run_bench(_settings(), out, work, progress=False, report_only=True)
    (out / "runs" / "cross_ffn-s0.json").write_text(json.dumps({**kept, "answers": kept["answers"][:1]}))
    with pytest.raises(StudyError, match=r"cross_ffn-s0\.json: expected a list of 4 answers"):
        run_bench(_settings(), out, work, progress=False, report_only=True)
    (out / "runs" / "cross_ffn-s0.json").write_text(json.dumps({"pretrained_sha256": kept["pretrained_sha256"]}))
    with pytest.raises(StudyError, match=r"cross_ffn-s0\.json: not a study file \(no variant, seed"):
        run_bench(_settings(), out, work, progress=False, report_only=True)
    kept["pretrained_sha256"] = "0" * 64
    (out / "runs" / "cross_ffn-s0.json").write_text(json.dumps(kept))
    with pytest.raises(StudyError, match="cross_ffn-s0.json.*another pretrained model"):
        run_bench(_settings(), out, work, progress=False)


def test_a_pretrained_vlm_is_the_base_instead_of_a_tiny_model(tmp_path, monkeypatch):
    monkeypatch.setattr("evaluation.captions.CaptionScorer", _NoCaptions)  # no Java start
    from sve_core.tiny import tiny_vlm

    model, processor = tiny_vlm("qwen2_vl", TinySpec(vision_depth=1, text_layers=1))
    model.save_pretrained(tmp_path / "hub")
    processor.save_pretrained(tmp_path / "hub")
    settings = _settings(variants=("cross_ffn",))
    settings = dataclasses.replace(settings, recipe=dataclasses.replace(settings.recipe, base_model=str(tmp_path / "hub")))
    report = run_bench(settings, tmp_path / "out", tmp_path / "work", progress=False)
    assert [r["variant"] for r in report.runs] == ["cross_ffn"]
    assert not list((tmp_path / "work").glob("*-init"))  # no tiny model or tokenizer was built


def test_cli_names_a_run_it_does_not_know(capsys):
    from apps.cli import main

    assert main(["bench", "controlled", "--quick", "--only", "cross_ffn:7"]) == 2
    assert "cross_ffn:7" in capsys.readouterr().out
