"""`sve diff` end to end through `apps.cli.main`, with an untrained stateful tiny Qwen2-VL loaded once."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from apps.cli import build_parser, main
from apps.image_diff.describe import predictor
from apps.image_diff.describe.predictor import UNREADABLE, DiffPredictor
from apps.image_diff.synthetic.make_examples import OUT as EXAMPLES
from evaluation.runners.judge import JudgeRun, run_judge
from sve_core import SVEConfig, make_stateful
from sve_core.inference import load_describer

IMGEDIT = Path(__file__).resolve().parents[2] / "data" / "imgedit"
PAIR = [str(EXAMPLES / "add_a.png"), str(EXAMPLES / "add_b.png")]


@pytest.fixture(scope="module")
def stateful() -> DiffPredictor:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 4 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=4)
    make_stateful(describer.model, SVEConfig())
    return DiffPredictor(describer)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch, stateful: DiffPredictor) -> list[tuple[str | None, int, str | None]]:
    """Every `DiffPredictor.load(model, max_new_tokens, sequence)` the CLI makes, answered with the shared model."""
    calls: list[tuple[str | None, int, str | None]] = []

    def load(model: str | None, *, max_new_tokens: int = 64, sequence: str | None = None) -> DiffPredictor:
        calls.append((model, max_new_tokens, sequence))
        return stateful

    monkeypatch.setattr(DiffPredictor, "load", load)
    return calls


def test_word_salad_is_not_printed_as_an_instruction(loads, capsys: pytest.CaptureFixture[str]) -> None:
    """A random-initialised model writes word salad: the user reads that it could not describe the pair."""
    assert main(["diff", "describe", *PAIR, "--model", "tiny:qwen2_vl", "--max-new-tokens", "4"]) == 0
    out = capsys.readouterr().out  # an untrained model's answer may span lines
    verdict, rest = out.split("\n", 1)
    assert verdict.startswith("verdict: edited (p(edit) = ") and "p(edit) threshold 0.50 (uncalibrated" in verdict
    assert rest.startswith(f"{UNREADABLE}: its answer names no edit\nraw answer (not an instruction): ")
    assert "instruction: " not in out.replace("(not an instruction): ", "")
    assert out.endswith("\nmodel: tiny:qwen2_vl\n") and loads == [("tiny:qwen2_vl", 4, None)]


def test_describe_prints_what_the_model_saw(
    observing: DiffPredictor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(DiffPredictor, "load", lambda *args, **kwargs: observing)
    assert main(["diff", "describe", *PAIR]) == 0
    assert capsys.readouterr().out == (
        "verdict: edited (p(edit) = 0.90, threshold 0.50; p(edit) threshold 0.50 (uncalibrated default: the model "
        "has no edit_calibration.json))\n"
        "seen: a red star at the top -> a blue star at the top\ninstruction: make the red star blue\n"
        "category: adjust\nmodel: observing\n"
    )


def test_describe_says_no_difference_with_its_probability(
    quiet: DiffPredictor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """p(edit) below the threshold: no instruction, the numbers and the disagreement with the words instead;
    `--threshold` moves the line (its range: tests/apps/common/test_calibration.py)."""
    monkeypatch.setattr(DiffPredictor, "load", lambda *args, **kwargs: quiet)
    assert main(["diff", "describe", *PAIR]) == 0
    out = capsys.readouterr().out
    assert out.startswith("verdict: no difference found (p(edit) = 0.10, threshold 0.50; ")
    assert "note: The model wrote an instruction, but" in out and "instruction:" not in out
    assert main(["diff", "describe", *PAIR, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["edited"], record["caption"], record["p_edit"]) == (False, "no difference found", [0.1])
    assert main(["diff", "describe", *PAIR, "--threshold", "0.05"]) == 0
    assert "instruction: make the red star blue" in capsys.readouterr().out



def test_describe_json_and_overlays(loads, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sequence = [str(EXAMPLES / f"sequence_{letter}.png") for letter in "abc"]
    argv = ["diff", "describe", *sequence, "--model", "tiny:qwen2_vl", "--json", "--out", str(tmp_path)]
    assert main([*argv, "--sequence", "pairwise"]) == 0
    assert loads == [("tiny:qwen2_vl", 64, "pairwise")]
    record = json.loads(capsys.readouterr().out)
    assert record["id"] == "sequence_a" and record["images"] == [
        "sequence_a.png",
        "sequence_b.png",
        "sequence_c.png",
    ]
    assert isinstance(record["caption"], str) and record["categories"] and record["demo"] is False
    assert (record["readable"], record["edited"], record["caption"]) == (False, True, UNREADABLE)
    assert len(record["p_edit"]) == 1  # the shared test model asks about the sequence jointly
    assert record["raw"] and record["raw"] != UNREADABLE
    assert sorted(path.name for path in tmp_path.iterdir()) == ["heatmap_2.png", "heatmap_3.png"]
    assert Image.open(tmp_path / "heatmap_3.png").size == Image.open(sequence[2]).size


def test_bad_files_exit_2_before_the_model_loads(
    loads, files: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = files.write_text(tmp_path / "notes.png")
    for images, message in (([PAIR[0], str(text)], "notes.png: not a readable image"), (PAIR * 2, "got 4")):
        assert main(["diff", "describe", *images]) == 2
        err = capsys.readouterr().err
        assert err.startswith("sve diff describe: error: ") and message in err and "Traceback" not in err
    assert loads == []


def test_missing_demo_model_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", tmp_path / "demo_model")
    assert main(["diff", "describe", *PAIR]) == 2
    assert "demo_model: the embedded demo model is not there" in capsys.readouterr().err


def test_predict_writes_what_the_judge_reads(loads, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    assert (
        main(["diff", "predict", "--data", str(IMGEDIT), "--out", str(ours), "--model", "tiny:qwen2_vl"]) == 0
    )
    records = json.loads(ours.read_text())
    assert [len(r["images"]) for r in records] == [2, 2, 2, 3, 3, 2, 2]
    theirs.write_text(json.dumps([{**r, "caption": "nothing changed"} for r in records]))

    def prefers_ours(images: list[str], prompt: str) -> str:
        return "A" if "Description B: nothing changed" in prompt else "B"

    report = run_judge(JudgeRun(ours, theirs, data=IMGEDIT), prefers_ours, "fake")
    assert report.payload["counts"]["all"] == {"win": 7, "tie": 0, "loss": 0, "unparsed": 0}


def test_predict_error_names_the_edit(loads, files: ModuleType, tmp_path: Path, capsys) -> None:
    files.write_format(tmp_path, "png")
    files.write_text(tmp_path / "result.png")
    record = {
        "id": "add_9",
        "edit_type": "add",
        "input_images": ["pattern.png"],
        "output_images": ["result.png"],
    }
    (tmp_path / "test.jsonl").write_text(json.dumps({**record, "prompt": "Add a cat."}) + "\n")
    assert main(["diff", "predict", "--data", str(tmp_path), "--out", str(tmp_path / "out.json")]) == 2
    assert "error: add_9: result.png: not a readable image" in capsys.readouterr().err


def test_make_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["diff", "make-dataset", "--out", str(tmp_path), "--n-train", "2", "--n-val", "1", "--n-test", "1"]
    assert main([*argv, "--size", "48"]) == 0
    assert len((tmp_path / "train.jsonl").read_text().splitlines()) == 2
    assert main([*argv, "--size", "48"]) == 2
    assert "folder is not empty" in capsys.readouterr().err


def test_every_flag_has_help() -> None:
    def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
        children = [
            child
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for child in action.choices.values()
        ]
        return [parser] + [p for child in children for p in parsers(child)]

    diff = build_parser("diff")._subparsers._group_actions[0].choices["diff"]
    actions = [action for parser in parsers(diff) for action in parser._actions]
    assert len(actions) > 15 and all(
        action.help for action in actions if action.dest not in ("help", "diff_command")
    )
