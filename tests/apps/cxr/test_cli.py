"""`sve cxr` end to end through `apps.cli.main`, with an untrained stateful tiny Qwen2-VL loaded once: the
files `report` writes, what `inspect` prints, exit codes, and no PHI in anything printed or written."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from apps.cli import build_parser, main
from apps.common.overlay import LEGEND_HEIGHT
from apps.cxr.report import predictor
from apps.cxr.report.predictor import CxrPredictor
from sve_core import SVEConfig, make_stateful
from sve_core.inference import load_describer


@pytest.fixture(scope="module")
def stateful() -> CxrPredictor:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 4 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=4)
    make_stateful(describer.model, SVEConfig())
    return CxrPredictor(describer)


@pytest.fixture
def loads(
    monkeypatch: pytest.MonkeyPatch, stateful: CxrPredictor
) -> list[tuple[str | None, int | None, int]]:
    """Every `CxrPredictor.load(model, size, max_new_tokens)` the CLI makes, answered with the shared model."""
    calls: list[tuple[str | None, int | None, int]] = []

    def load(model: str | None, *, size: int | None = None, max_new_tokens: int = 64) -> CxrPredictor:
        calls.append((model, size, max_new_tokens))
        return stateful

    monkeypatch.setattr(CxrPredictor, "load", load)
    return calls


@pytest.fixture
def studies(files: ModuleType, tmp_path: Path) -> list[Path]:
    """Three studies of the test patient (PHI included), 0, 30 and 60 days after the first."""
    return [files.study(tmp_path / f"s{day}", ("LL", "PA"), day=day) for day in (0, 30, 60)]


def test_report_writes_neutral_files_without_phi(
    loads, studies: list[Path], files: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["cxr", "report", "--prior", str(studies[0]), "--current", str(studies[1]), "--out", str(out)]
    assert main([*argv, "--model", "tiny:qwen2_vl", "--max-new-tokens", "4"]) == 0
    assert loads == [("tiny:qwen2_vl", None, 4)]
    assert sorted(p.name for p in out.iterdir()) == [
        "current.png",
        "heatmap.png",
        "prior.png",
        "report.json",
        "report.md",
    ]
    report = json.loads((out / "report.json").read_text())
    assert [c["heatmap"] for c in report["comparisons"]] == ["heatmap.png"] and report["demo"] is False
    heatmap = Image.open(out / "heatmap.png").size  # the overlay above its colour bar (at least 320 px wide)
    assert heatmap == (max(files.SIZE, 320), files.SIZE + LEGEND_HEIGHT)
    printed = capsys.readouterr()
    assert printed.out.startswith("prior -> current: ") and "  model answer: " in printed.out
    assert files.leaks(printed.out + printed.err) == []  # no date on the terminal (it ends up in logs)
    assert all(files.leaks(p.read_bytes().decode("latin-1"), report=True) == [] for p in out.iterdir())


def test_report_series(
    loads, studies: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["--prior", str(studies[0]), "--current", str(studies[1]), "--more-studies", str(studies[2])]
    assert main(["cxr", "report", *argv, "--out", str(out), "--size", "64"]) == 0
    assert loads == [(None, 64, 64)]
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "heatmap_2.png",
        "heatmap_3.png",
        "report.json",
        "report.md",
        *(f"study_{k}.png" for k in (1, 2, 3)),
    ]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("study_1 -> study_2: ") and any(
        line.startswith("study_2 -> study_3: ") for line in lines
    )


def test_bad_inputs_exit_2_before_the_model_loads(
    loads, studies: list[Path], files: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.dcm"
    notes.write_text("DOE^JANE, MRN0012345")
    other = files.study(tmp_path / "other", ("PA",), patient="MRN0099999", day=90)
    cases = [
        (files.truncated(tmp_path / "cut" / "image_1.dcm").parent, "image_1.dcm: Pixel Data"),
        (notes, "notes.dcm: not a DICOM file"),
        (other, "different PatientID"),
        (tmp_path / "missing", "missing: no such file or folder"),
    ]
    for number, (current, message) in enumerate(cases):
        argv = ["cxr", "report", "--prior", str(studies[0]), "--current", str(current)]
        assert main([*argv, "--out", str(tmp_path / f"out{number}")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("sve cxr report: error: ") and message in err and "Traceback" not in err
        assert files.leaks(err) == [] and "MRN0099999" not in err
    assert loads == []

    argv = [
        "cxr",
        "report",
        "--prior",
        str(studies[0]),
        "--current",
        str(other),
        "--out",
        str(tmp_path / "ok"),
    ]
    assert main([*argv, "--allow-patient-mismatch"]) == 0 and len(loads) == 1
    assert main(argv) == 2 and "is not empty" in capsys.readouterr().err


def test_missing_demo_model_exit_2(
    monkeypatch: pytest.MonkeyPatch, studies: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", tmp_path / "demo_model")
    argv = [
        "cxr",
        "report",
        "--prior",
        str(studies[0]),
        "--current",
        str(studies[1]),
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(argv) == 2
    assert "demo_model: the embedded demo model is not there" in capsys.readouterr().err


def test_inspect_prints_metadata_and_writes_a_preview(
    files: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = files.zipped(files.study(tmp_path / "study", ("LL", "PA")), tmp_path / "study.zip")
    assert main(["cxr", "inspect", str(archive), "--out", str(tmp_path / "out"), "--window", "bone"]) == 0
    printed = capsys.readouterr()
    fields = {line.split()[0]: line.split()[1] for line in printed.out.splitlines()}
    assert (
        fields["view_position"] == "PA" and fields["modality"] == "DX" and fields["rows"] == str(files.SIZE)
    )
    assert files.leaks(printed.out + printed.err) == []
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["preview.png"]
    assert Image.open(tmp_path / "out" / "preview.png").size == (files.SIZE, files.SIZE)
    assert main(["cxr", "inspect", str(archive), "--window", "lungs"]) == 2
    assert "unknown window preset 'lungs'" in capsys.readouterr().err


def test_make_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cxr", "make-dataset", "--out", str(tmp_path), "--n-train", "1", "--n-val", "0", "--n-test", "0"]
    assert main([*argv, "--size", "32", "--dicom-size", "48"]) == 0
    assert len((tmp_path / "train.jsonl").read_text().splitlines()) == 1
    assert main([*argv, "--size", "32", "--dicom-size", "48"]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_every_flag_has_help() -> None:
    def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
        children = [
            child
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for child in action.choices.values()
        ]
        return [parser] + [p for child in children for p in parsers(child)]

    cxr = build_parser("cxr")._subparsers._group_actions[0].choices["cxr"]
    actions = [action for parser in parsers(cxr) for action in parser._actions]
    assert len(actions) > 15 and all(
        action.help for action in actions if action.dest not in ("help", "cxr_command")
    )
