"""The generic adapter's discovery: what it finds on a real tower, what a declared VisionSpec changes, and that
wrongly named parts are refused by the proof on one block rather than injected."""

import pytest
import torch

from sve_core import SVEConfig, UnsupportedModelError, make_stateful
from sve_core.families import GenericAdapter, adapter_for, vision_spec
from sve_core.families.vision_spec import VisionSpec, VisionSpecError, register_vision_spec
from sve_core.tiny import tiny_vlm


@pytest.fixture
def specs(monkeypatch):
    monkeypatch.setattr(vision_spec, "SPECS", {})


def test_declared_fields_are_used_and_shown(specs):
    model, _ = tiny_vlm("paligemma")
    register_vision_spec("paligemma", VisionSpec(blocks="encoder.layers", tokens_per_image=16))
    adapter = adapter_for(model)
    assert isinstance(adapter, GenericAdapter)
    described = adapter.describe()
    assert "blocks          model.vision_tower.encoder.layers (2 x SiglipEncoderLayer)  [declared]" \
        in described
    assert "norms           layer_norm1 / layer_norm2  [discovered]" in described
    assert "16 placeholders per 4x4-patch row  [declared]" in described


def test_wrong_parts_fail_the_proof_on_one_block(specs):
    model, _ = tiny_vlm("paligemma")
    with torch.no_grad():  # fresh norms are all identical (weight 1, bias 0); a trained tower's are not
        for name, parameter in model.model.vision_tower.named_parameters():
            if "layer_norm" in name:
                parameter.normal_(0.0, 1.0)
    register_vision_spec("paligemma", VisionSpec(norms=("layer_norm2", "layer_norm1")))  # swapped
    with pytest.raises(UnsupportedModelError, match=r"is not x \+ attn\(norm1\(x\)\).*declare the right VisionSpec"):
        make_stateful(model, SVEConfig())
    assert getattr(model, "sve", None) is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"norms": ("only_one",)}, "VisionSpec.norms: expected two module names"),
    ({"blocks": ""}, "VisionSpec.blocks: expected a non-empty module name"),
    ({"tokens_per_image": -1}, "VisionSpec.tokens_per_image: expected a non-negative integer"),
])
def test_malformed_specs_name_the_field(fields, message):
    with pytest.raises(VisionSpecError, match=message):
        VisionSpec(**fields)
    with pytest.raises(VisionSpecError, match="unknown field"):
        VisionSpec.from_dict({"layers": "x"})
