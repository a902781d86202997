"""Save/load: adapter-only round trip, full save_pretrained round trip through the Auto* classes, clear errors."""

import json

import pytest
import torch
from safetensors.torch import load_file

from sve_core import SVEConfig, make_stateful
from sve_core.checkpoint import (
    ADAPTER_CONFIG,
    ADAPTER_WEIGHTS,
    CheckpointError,
    from_pretrained,
    load_stateful,
    save_stateful,
)
from sve_core.tiny import FAMILIES, tiny_vlm
from tests.sve_core.helpers import chat_inputs, random_images


@pytest.fixture(scope="module", params=FAMILIES)
def trained(request):
    torch.manual_seed(0)
    model, processor = tiny_vlm(request.param)
    make_stateful(model, SVEConfig(variant="cross_ffn", init_std=0.05))
    inputs = chat_inputs(processor, [2], random_images(2))
    with torch.no_grad():
        logits = model(**inputs).logits
    return request.param, model, processor, inputs, logits


def test_adapter_round_trip_writes_only_sve_weights(trained, tmp_path):
    family, model, _, inputs, logits = trained
    save_stateful(model, tmp_path, base_model="tiny-base", revision="abc123")
    tensors = load_file(str(tmp_path / ADAPTER_WEIGHTS))
    assert tensors and all(".sve." in name for name in tensors)
    meta = json.loads((tmp_path / ADAPTER_CONFIG).read_text())
    assert meta["sve"]["variant"] == "cross_ffn" and meta["family"] == family
    assert meta["base_model"] == "tiny-base" and meta["revision"] == "abc123"
    base, _ = tiny_vlm(family)
    load_stateful(base, tmp_path)
    with torch.no_grad():
        assert torch.equal(base(**inputs).logits, logits)


def test_full_model_reloads_with_its_sve_through_auto_classes(trained, tmp_path):
    family, model, processor, inputs, logits = trained
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    assert "sve" in json.loads((tmp_path / "config.json").read_text())
    loaded, loaded_processor = from_pretrained(str(tmp_path))
    assert loaded.sve.config.variant == "cross_ffn"
    with torch.no_grad():
        assert torch.equal(loaded(**chat_inputs(loaded_processor, [2], random_images(2))).logits, logits)


def test_errors_name_the_problem(trained, tmp_path):
    family, model, *_ = trained
    with pytest.raises(CheckpointError, match="not an SVE adapter folder"):
        load_stateful(tiny_vlm(family)[0], tmp_path)
    save_stateful(model, tmp_path)
    (tmp_path / ADAPTER_CONFIG).write_text("{not json")
    with pytest.raises(CheckpointError, match="invalid JSON"):
        load_stateful(tiny_vlm(family)[0], tmp_path)
    plain, _ = tiny_vlm(family)
    with pytest.raises(CheckpointError, match="make_stateful"):
        save_stateful(plain, tmp_path)
