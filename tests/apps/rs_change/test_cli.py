"""`sve rs` end to end through `apps.cli.main`, with an untrained stateful tiny Qwen2-VL loaded once; and
the LEVIR-CC training configs the docs point at."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from apps.cli import build_parser, main
from apps.rs_change.describe import predictor
from apps.rs_change.describe.predictor import RsPredictor
from apps.rs_change.synthetic.make_examples import OUT as EXAMPLES
from evaluation.caption_files import checked, load_predictions
from evaluation.datasets.levir_cc import LevirCC
from sve_core import SVEConfig, make_stateful
from sve_core.data import load_jsonl
from sve_core.inference import load_describer
from sve_core.train_config import load_train_config

ROOT = Path(__file__).resolve().parents[3]
LEVIR = ROOT / "tests" / "data" / "levir_cc"
PAIR = ["--before", str(EXAMPLES / "before.tif"), "--after", str(EXAMPLES / "after.tif")]


@pytest.fixture(scope="module")
def stateful() -> RsPredictor:
    """tiny:qwen2_vl with SVE layers (untrained), so heatmaps exist; 3 new tokens keep generation fast."""
    describer = load_describer("tiny:qwen2_vl", max_new_tokens=3)
    make_stateful(describer.model, SVEConfig())
    return RsPredictor(describer, input_size=56)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch, stateful: RsPredictor) -> list[tuple[str | None, int | None, int]]:
    """Every `RsPredictor.load(model, input_size, max_new_tokens)` the CLI makes, answered with the shared
    model."""
    calls: list[tuple[str | None, int | None, int]] = []

    def load(model: str | None, *, input_size: int | None = None, max_new_tokens: int = 64) -> RsPredictor:
        calls.append((model, input_size, max_new_tokens))
        return stateful

    monkeypatch.setattr(RsPredictor, "load", load)
    return calls


def test_describe_writes_the_gis_outputs(loads, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "rs",
        "describe",
        *PAIR,
        "--out",
        str(tmp_path),
        "--model",
        "tiny:qwen2_vl",
        "--input-size",
        "56",
        "--max-new-tokens",
        "3",
        "--batch-size",
        "2",
        "--bands",
        "1,2,3",
    ]
    assert main(argv) == 0
    assert loads == [("tiny:qwen2_vl", 56, 3)]
    out, err = capsys.readouterr()
    assert out.startswith("# Change summary: before.tif → after.tif") and "- Tiles analysed: 4" in out
    assert "wrote report.md, tiles.json, tiles.geojson, changes.geojson, heatmap.tif, tiles.png" in err
    assert (tmp_path / "report.md").read_text() == out.removesuffix("\n")
    record = json.loads((tmp_path / "tiles.json").read_text())
    assert record["model"] == "tiny:qwen2_vl" and record["tile_size"] == 256 and record["crs"] == "EPSG:32632"
    assert len(json.loads((tmp_path / "tiles.geojson").read_text())["features"]) == 4


def test_describe_a_series(loads, scenes, tmp_path: Path) -> None:
    dates = [str(scenes.write_scene(tmp_path / f"d{k}.tif", width=128, height=128, seed=k)) for k in range(3)]
    argv = [
        "rs",
        "describe",
        "--before",
        dates[0],
        "--after",
        dates[1],
        "--more",
        dates[2],
        "--out",
        str(tmp_path / "out"),
        "--tile-size",
        "64",
        "--overlap",
        "16",
        "--no-heatmaps",
    ]
    assert main(argv) == 0
    steps = json.loads((tmp_path / "out" / "tiles.json").read_text())["steps"]
    assert [(s["before"], s["after"]) for s in steps] == [("d0.tif", "d1.tif"), ("d1.tif", "d2.tif")]
    assert all(len(s["tiles"]) == 4 for s in steps)  # 128 px, 64 px tiles sharing 16: 2 x 2 tiles of 72 px
    assert (tmp_path / "out" / "heatmap_step2.tif").is_file()


def test_bad_scenes_exit_2_before_the_model_loads(loads, scenes, tmp_path: Path, capsys) -> None:
    before = str(scenes.write_scene(tmp_path / "before.tif"))
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    plain = str(scenes.write_scene(tmp_path / "plain.tif", crs=None))
    far = str(scenes.write_scene(tmp_path / "far.tif", transform=scenes.utm_grid(shift=(50_000, 0))))
    for after, message in (
        (str(text), "notes.tif: not a GeoTIFF, PNG or JPEG"),
        (plain, "plain.tif: GTiff raster without a CRS"),
        (far, "no overlap between"),
        (str(tmp_path / "gone.tif"), "gone.tif: no such file"),
    ):
        assert (
            main(["rs", "describe", "--before", before, "--after", after, "--out", str(tmp_path / "o")]) == 2
        )
        err = capsys.readouterr().err
        assert err.startswith("sve rs describe: error: ") and message in err and "Traceback" not in err
    assert loads == [] and not (tmp_path / "o").exists()


def test_bad_flags_exit_2(loads, capsys) -> None:
    for flag, value in (("--bands", "1,2"), ("--bands", "0,1,2"), ("--batch-size", "0")):
        with pytest.raises(SystemExit) as exit_:
            main(["rs", "describe", *PAIR, "--out", "x", flag, value])
        assert exit_.value.code == 2 and f"argument {flag}" in capsys.readouterr().err
    assert main(["rs", "describe", *PAIR, "--out", "x", "--tile-size", "8"]) == 2
    assert "tile size=8" in capsys.readouterr().err


def test_missing_demo_model_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(predictor, "DEMO_MODEL_DIR", tmp_path / "demo_model")
    assert main(["rs", "describe", *PAIR, "--out", str(tmp_path / "out")]) == 2
    assert "demo_model: the embedded demo model is not there" in capsys.readouterr().err


def test_predict_levircc_writes_what_the_scorer_reads(loads, tmp_path: Path, capsys) -> None:
    out = tmp_path / "predictions.json"
    argv = [
        "rs",
        "predict-levircc",
        "--data",
        str(LEVIR),
        "--split",
        "test",
        "--out",
        str(out),
        "--batch-size",
        "3",
    ]
    assert main(argv) == 0
    references = {item["id"]: item["captions"] for item in LevirCC(LEVIR, "test")}
    predictions = checked(references, load_predictions(out), out)
    assert set(predictions) == set(references) == {f"test_00000{k}.png" for k in range(4)}
    assert "sve eval levir-cc --data" in capsys.readouterr().out


def test_dataset_commands_make_training_jsonl(tmp_path: Path, capsys) -> None:
    synthetic, jsonl = tmp_path / "synthetic", tmp_path / "jsonl"
    assert (
        main(
            [
                "rs",
                "make-dataset",
                "--out",
                str(synthetic),
                "--n-train",
                "2",
                "--n-val",
                "1",
                "--n-test",
                "1",
                "--n-scenes",
                "0",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "rs",
                "levircc-jsonl",
                "--data",
                str(synthetic),
                "--out",
                str(jsonl),
                "--train-captions",
                "first",
            ]
        )
        == 0
    )
    samples = {split: load_jsonl(jsonl / f"{split}.jsonl") for split in ("train", "val", "test")}
    assert [len(s) for s in samples.values()] == [2, 1, 1]
    sample = samples["train"][0]
    assert sample.messages[0].content.startswith("<image><image>") and all(p.is_file() for p in sample.images)
    assert main(["rs", "levircc-jsonl", "--data", str(tmp_path / "nowhere"), "--out", str(jsonl)]) == 2
    assert "LevirCCcaptions.json does not exist" in capsys.readouterr().err


def test_every_flag_has_help() -> None:
    rs = build_parser("rs")._subparsers._group_actions[0].choices["rs"]
    commands = rs._subparsers._group_actions[0].choices
    assert set(commands) == {"describe", "predict-levircc", "evaluate", "calibrate", "make-dataset", "levircc-jsonl"}
    actions = [action for parser in (rs, *commands.values()) for action in parser._actions]
    assert len(actions) > 30 and all(
        action.help for action in actions if action.dest not in ("help", "rs_command")
    )
    assert not any(
        isinstance(action, argparse._SubParsersAction)
        for parser in commands.values()
        for action in parser._actions
    )


@pytest.mark.parametrize("name", ["levircc_qwen35_4b_sve.yaml", "levircc_qwen35_4b_sft.yaml"])
def test_levircc_configs_follow_the_recipe(name: str) -> None:
    config = load_train_config(ROOT / "configs" / "rs_change" / name)
    assert (config.model, config.learning_rate, config.epochs, config.trainable) == (
        "Qwen/Qwen3.5-4B",
        2e-5,
        2.0,
        "full",
    )
    assert config.sve.variant == ("cross_ffn" if "sve" in name else "stateless")
    assert config.batch_size * config.grad_accum * 8 == 384 and config.data == "data/levircc_sft/train.jsonl"
