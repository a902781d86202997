import json

import pytest

from apps.cli import main
from sve_core.check import check_model, format_table
from sve_core.config import VARIANTS
from sve_core.families import vision_spec
from sve_core.tiny import tiny_vlm
from tests.sve_core.helpers import llava_pixtral


def test_every_variant_passes_on_a_tiny_model():
    model, processor = tiny_vlm("qwen2_vl")
    rows = check_model(model, processor)
    assert [r.variant for r in rows] == list(VARIANTS)
    assert all(r.passed for r in rows), format_table(rows)
    assert {r.variant for r in rows if r.added_params == 0} == {"stateless", "self_ext"}


def test_a_broken_no_op_is_reported_as_fail():
    model, processor = tiny_vlm("qwen2_vl")
    row = check_model(model, processor)[1]
    row.noop_diff = 1.0
    assert not row.passed and "FAIL" in format_table([row])


def test_cli_prints_the_table(capsys):
    assert main(["check", "--family", "qwen2_vl"]) == 0
    out = capsys.readouterr().out
    assert "| cross_ffn |" in out and "all variants PASS" in out


@pytest.mark.parametrize("family", ["idefics3", "llava_onevision", "paligemma"])
def test_cli_prints_what_the_generic_adapter_discovered(family, capsys):
    assert main(["check", "--model", f"tiny:{family}"]) == 0
    out = capsys.readouterr().out
    assert "generic adapter:" in out and "layer_norm1 / layer_norm2  [discovered]" in out
    assert out.count("| PASS |") == 6 and "all variants PASS" in out


def test_cli_refuses_an_unsupported_tower_naming_the_spec_to_declare(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(vision_spec, "SPECS", {})  # --spec registers globally; keep other tests clean
    model, processor = llava_pixtral()
    model.save_pretrained(tmp_path / "model")
    processor.save_pretrained(tmp_path / "model")
    assert main(["check", "--model", str(tmp_path / "model")]) == 2
    error = capsys.readouterr().err
    assert "model_type='llava'" in error and "declare VisionSpec(norms=(pre_attention, pre_mlp))" in error
    spec = tmp_path / "spec.json"  # declaring the parts is not enough: its blocks need rotary positions
    spec.write_text(json.dumps({"norms": ["attention_norm", "ffn_norm"], "mlp": "feed_forward"}))
    assert main(["check", "--model", str(tmp_path / "model"), "--spec", str(spec)]) == 2
    error = capsys.readouterr().err
    assert "need more than hidden states" in error and "write a family adapter" in error
