from apps.cli import main
from sve_core.check import check_model, format_table
from sve_core.config import VARIANTS
from sve_core.tiny import tiny_vlm


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
