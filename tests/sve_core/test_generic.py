"""The generic adapter's discovery: what it finds on a real tower, what a declared VisionSpec changes, and that
wrongly named parts are refused by the proof on one block rather than injected; a model nothing can adapt names
the supported types and what to declare."""

import pytest
import torch
from torch import nn

from sve_core import SUPPORTED_MODEL_TYPES, SVEConfig, UnsupportedModelError, make_stateful
from sve_core.families import GenericAdapter, adapter_for, vision_spec
from sve_core.families.vision_spec import VisionSpec, VisionSpecError, register_vision_spec
from sve_core.tiny import FAMILIES, tiny_vlm
from tests.sve_core.helpers import llava_pixtral


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


def _llava_pixtral() -> nn.Module:
    return llava_pixtral()[0]


def _text_only() -> nn.Module:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    return Qwen2ForCausalLM(Qwen2Config(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                        num_attention_heads=2, num_key_value_heads=1))


@pytest.mark.parametrize(("build", "declare"), [(_llava_pixtral, "VisionSpec(norms="), (_text_only, "VisionSpec(tower=")],
                         ids=["llava_pixtral", "text_only"])
def test_unsupported_models_list_the_supported_types(build, declare):
    model = build()
    with pytest.raises(UnsupportedModelError, match=f"model_type='{model.config.model_type}'") as error:
        make_stateful(model, SVEConfig())
    assert declare in str(error.value)  # what to declare in the explicit spec
    assert all(t in str(error.value) for t in SUPPORTED_MODEL_TYPES)
    assert set(FAMILIES) <= set(SUPPORTED_MODEL_TYPES)
