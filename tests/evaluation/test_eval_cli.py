"""`sve eval captions|levir-cc|cxr-diff` end to end through `--predictions` on the fake datasets. METEOR is skipped
here (`--no-meteor`): its agreement with pycocoevalcap is test_caption_metrics' job, and its JVM start is slow."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from apps.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def _write(path: Path, content: object) -> Path:
    path.write_text(json.dumps(content))
    return path


def _eval(*argv: str) -> int:
    return main(["eval", *argv])


def test_captions_accepts_both_prediction_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    references = _write(
        tmp_path / "refs.json", {"a": ["a road is built", "a new road"], "b": "two houses appear"}
    )
    as_dict = _write(tmp_path / "dict.json", {"a": "a road is built", "b": "houses appear"})
    as_list = _write(
        tmp_path / "list.json",
        [{"id": "a", "caption": "a road is built"}, {"id": "b", "caption": "houses appear"}],
    )
    results = []
    for predictions in (as_dict, as_list):
        out = tmp_path / predictions.stem
        assert (
            _eval(
                "captions",
                "--references",
                str(references),
                "--predictions",
                str(predictions),
                "--no-meteor",
                "--json",
                "--out",
                str(out),
            )
            == 0
        )
        printed = json.loads(capsys.readouterr().out)
        assert printed == json.loads((out / "captions.json").read_text())
        assert (out / "captions.md").read_text().startswith("## Caption metrics")
        results.append(printed["scores"])
    assert results[0] == results[1]
    assert set(results[0]) == {"BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr"}


def test_levir_cc_prints_measured_row_under_quoted_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    captions = json.loads((DATA / "levir_cc" / "LevirCCcaptions.json").read_text())
    test = [image for image in captions["images"] if image["split"] == "test"]
    predictions = _write(tmp_path / "p.json", {i["filename"]: i["sentences"][0]["raw"] for i in test})
    assert (
        _eval(
            "levir-cc",
            "--data",
            str(DATA / "levir_cc"),
            "--predictions",
            str(predictions),
            "--no-meteor",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    markdown = capsys.readouterr().out
    lines = markdown.splitlines()
    quoted = [n for n, line in enumerate(lines) if "quoted from papers" in line]
    measured = next(n for n, line in enumerate(lines) if "| measured |" in line)
    assert len(quoted) == 6 and max(quoted) < measured
    assert "not exactly comparable" in markdown
    payload = json.loads((tmp_path / "levir_cc.json").read_text())
    assert payload["pairs"] == {"all": 4, "change": 2, "no change": 2}
    assert set(payload["scores"]) == {"all", "change", "no change"}
    assert payload["scores"]["all"]["BLEU-4"] == pytest.approx(
        100.0
    )  # each prediction is one of its references


def test_cxr_diff_scores_text_and_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    predictions = _write(
        tmp_path / "p.json",
        {
            "1": "the main image has an additional finding of edema than the reference image.",
            "3": "nothing has changed.",
            "5": "Interval resolution of atelectasis; new pneumothorax.",
        },
    )
    assert (
        _eval(
            "cxr-diff",
            "--data",
            str(DATA / "medical_diff_vqa"),
            "--predictions",
            str(predictions),
            "--no-meteor",
            "--json",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    # gold changes: {edema+, effusion+, pneumothorax-} and {atelectasis-, lung opacity-}; predicted:
    # {edema+} and {atelectasis-, pneumothorax+}: tp 2, fp 1, fn 3
    assert payload["scores"]["Micro-F1"] == pytest.approx(50.0)
    assert payload["scores"]["Chg Acc"] == pytest.approx(100.0)
    assert payload["group_f1"]["lungs"] == pytest.approx(80.0) and payload["group_f1"]["cardiac"] is None
    assert (payload["pairs"], payload["changed_pairs"]) == (3, 2)
    assert {"BLEU-4", "ROUGE-L", "CIDEr", "Macro-F1"} <= set(payload["scores"])
    assert (payload["unreadable"], payload["reversed_dropped"]) == (0, 0)


def test_cxr_diff_counts_a_garbled_answer_as_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    predictions = _write(
        tmp_path / "p.json",
        {
            "1": "the main image has an additional finding of edema than the reference image.",
            "3": "nothing has changed effusion than the effusion",
            "5": "Interval resolution of atelectasis; new pneumothorax.",
        },
    )
    argv = ["--data", str(DATA / "medical_diff_vqa"), "--predictions", str(predictions), "--no-meteor"]
    assert _eval("cxr-diff", *argv, "--out", str(tmp_path)) == 0
    printed = capsys.readouterr().out
    assert "Unreadable answers (not parseable into the 27 findings; counted wrong in Chg Acc): 1 of 3" in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cxr-diff", "--data", str(DATA / "medical_diff_vqa"), "--predictions", "{bad}"], "not valid JSON"),
        (
            ["cxr-diff", "--data", str(DATA / "medical_diff_vqa"), "--predictions", "{partial}"],
            "no prediction: '3', '5'",
        ),
        (
            ["levir-cc", "--data", "{tmp}", "--predictions", "{partial}"],
            "LevirCCcaptions.json does not exist",
        ),
        (["captions", "--references", "{empty_refs}", "--predictions", "{partial}"], "non-empty lists"),
        (["captions", "--references", "{missing}", "--predictions", "{partial}"], "no such file"),
    ],
)
def test_user_errors_exit_2_without_traceback(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "bad": tmp_path / "bad.json",
        "partial": _write(tmp_path / "partial.json", {"1": "nothing has changed."}),
        "empty_refs": _write(tmp_path / "refs.json", {"1": []}),
        "missing": tmp_path / "missing.json",
        "tmp": tmp_path,
    }
    files["bad"].write_text('{"1": "nothing",')
    argv = [a.format(**files) for a in argv]
    assert _eval(*argv, "--no-meteor", "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_model_without_inference_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sve_core.inference", None)
    assert (
        _eval(
            "levir-cc", "--data", str(DATA / "levir_cc"), "--model", "some/checkpoint", "--out", str(tmp_path)
        )
        == 2
    )
    assert "sve_core.inference.load_describer" in capsys.readouterr().err


@pytest.mark.slow
def test_levir_cc_subsets_share_one_meteor_process_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scoring the three subsets on one METEOR JVM gives what separate `score_captions` calls give."""
    from evaluation.captions import score_captions
    from evaluation.datasets.levir_cc import LevirCC

    dataset = LevirCC(DATA / "levir_cc", "test")
    predictions = {item["id"]: "a road is built near the houses" for item in dataset}
    _write(tmp_path / "p.json", predictions)
    assert (
        _eval(
            "levir-cc",
            "--data",
            str(DATA / "levir_cc"),
            "--predictions",
            str(tmp_path / "p.json"),
            "--json",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    measured = json.loads(capsys.readouterr().out)["scores"]["change"]
    changed = {item["id"]: item["captions"] for item in dataset if item["changed"]}
    expected = score_captions(changed, {i: predictions[i] for i in changed})
    assert measured == pytest.approx(expected, abs=1e-9)
