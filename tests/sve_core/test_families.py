"""Every supported family, on its tiny real model: SVE is an exact no-op at init, trains, stops gradients at the
previous image, reads the previous image only in the stateful variants, keeps samples of a batch apart, and
fails clearly on bad configs (unsupported models: test_generic.py).

Each family is built once; every check runs on a fresh copy of it.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from sve_core import SVEConfig, SVEConfigError, make_stateful
from sve_core.config import STATEFUL_VARIANTS, VARIANTS, ZERO_INIT_VARIANTS
from sve_core.families import adapter_for
from sve_core.tiny import FAMILIES, TinySpec, tiny_vlm
from tests.sve_core.helpers import chat_inputs, random_images

TRAINABLE_VARIANTS = sorted(ZERO_INIT_VARIANTS - {"stateless"})  # the variants that add weights
A1, A2, B1, B2, B3, A1_CHANGED, A2_CHANGED = range(7)  # indices into Case.images


@dataclass
class Case:
    model: nn.Module
    processor: object
    images: list
    batch: dict  # [sample A: 2 images, sample B: 3 images]
    reference_logits: torch.Tensor
    reference_generation: torch.Tensor

    def inputs(self, *samples: list[int]) -> dict:
        return chat_inputs(self.processor, [len(s) for s in samples], [[self.images[i] for i in s] for s in samples])


@functools.cache
def case(family: str) -> Case:
    model, processor = tiny_vlm(family)
    images = random_images(7)
    batch = chat_inputs(processor, [2, 3], [[images[A1], images[A2]], [images[B1], images[B2], images[B3]]])
    with torch.no_grad():
        logits = model(**batch).logits
    return Case(model, processor, images, batch, logits, generate(model, batch))


def generate(model: nn.Module, batch: dict) -> torch.Tensor:
    return model.generate(**batch, max_new_tokens=3, do_sample=False)


def stateful_copy(family: str, variant: str, *, nonzero: bool = False, stop_gradient: bool = True) -> nn.Module:
    """A fresh stateful copy; `nonzero` gives the zero-initialised SVE weights (output projections, AdaLN
    modulation) random values so the added pathway really acts."""
    model = make_stateful(copy.deepcopy(case(family).model), SVEConfig(variant=variant, stop_gradient=stop_gradient))
    if nonzero:
        torch.manual_seed(1)
        with torch.no_grad():
            for parameter in model.sve.sve_parameters(model).values():
                if not parameter.any():
                    parameter.normal_(0.0, 0.2)
    return model


def image_features(model: nn.Module, batch: dict) -> list[torch.Tensor]:
    """Each vision unit's (here: image's) output of the last vision block, in the tower's token order."""
    adapter = adapter_for(model)
    tower = adapter.vision_tower(model)
    seen: dict = {}
    hooks = [
        tower.register_forward_pre_hook(lambda m, a, k: seen.update(units=adapter.units(m, a, k)[0]),
                                        with_kwargs=True),
        adapter.blocks(tower)[-1].register_forward_hook(lambda m, a, out: seen.update(out=out)),
    ]
    try:
        with torch.no_grad():
            model(**batch)
    finally:
        for hook in hooks:
            hook.remove()
    out = seen["out"]
    return list(out.reshape(-1, out.shape[-1]).split(seen["units"]))


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


each_family = pytest.mark.parametrize("family", FAMILIES)


@each_family
@pytest.mark.parametrize("variant", sorted(ZERO_INIT_VARIANTS))
def test_zero_init_variants_are_exact_no_ops(family, variant):
    c = case(family)
    model = stateful_copy(family, variant)
    calls = []
    if variant != "stateless":  # prove the stateful path ran, not a silent fallback to the host block
        blocks = model.sve.adapter.blocks(model.sve.adapter.vision_tower(model))
        assert len(model.sve.targeted_module_names) == len(blocks)
        blocks[0].sve.register_forward_hook(lambda m, a, out: calls.append(model.sve.state.layout))
    with torch.no_grad():
        logits = model(**c.batch).logits
    assert max_diff(logits, c.reference_logits) <= 1e-6
    assert torch.equal(generate(model, c.batch), c.reference_generation)
    if variant != "stateless":  # forward and generate() both grouped A: 0 -> 1 and B: 2 -> 3 -> 4
        assert [layout.predecessors for layout in calls] == [[0, 0, 2, 2, 3]] * 2


@each_family
@pytest.mark.parametrize("variant", TRAINABLE_VARIANTS)
def test_gradients_reach_the_sve_weights(family, variant):
    c = case(family)
    model = stateful_copy(family, variant, nonzero=True)
    loss = model(**c.batch, labels=c.batch["input_ids"]).loss
    loss.backward()
    weights = model.sve.sve_parameters(model)
    assert weights and all(".sve." in f".{name}" for name in weights)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in weights.values())
    # every matrix learns (a key bias may get ~0: softmax ignores a shift shared by all keys)
    assert all(p.grad.abs().sum() > 0 for p in weights.values() if p.dim() == 2)


def _layer_jacobian(model: nn.Module, batch: dict, layer: int):
    """Run the model with layer `layer`'s input made a leaf; return (input (T, D), output (T, D), the SVE
    layout if stateful, the cross-attention's key/value input if it has one)."""
    adapter = adapter_for(model)
    blocks = adapter.blocks(adapter.vision_tower(model))
    seen: dict = {}

    def make_leaf(module, args):
        seen["x"] = args[0].detach().requires_grad_()
        seen["layout"] = model.sve.state.layout if hasattr(model, "sve") else None
        return (seen["x"], *args[1:])

    hooks = [blocks[layer].register_forward_pre_hook(make_leaf),
             blocks[layer].register_forward_hook(lambda m, a, out: seen.update(y=out))]
    attn = getattr(getattr(blocks[layer], "sve", None), "attn", None)
    if attn is not None:
        hooks.append(attn.norm_kv.register_forward_pre_hook(lambda m, a: seen.update(kv=a[0])))
    try:
        model(**batch)
    finally:
        for hook in hooks:
            hook.remove()
    width = seen["x"].shape[-1]
    return seen["x"], seen["y"].reshape(-1, width), seen["layout"], seen.get("kv")


def _grad(output: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    (grad,) = torch.autograd.grad(output.sum(), x, retain_graph=True)
    return grad.reshape(-1, x.shape[-1]).abs().sum(-1)  # per token of the layer input


@each_family
@pytest.mark.parametrize("variant", sorted(STATEFUL_VARIANTS))
@pytest.mark.parametrize("stop_gradient", [True, False])
def test_no_gradient_reaches_the_previous_image(family, variant, stop_gradient):
    """d(image t's layer output) / d(image t-1's layer input) is exactly zero under stop-gradient: hosts never
    mix images, so the only cross-image path is SVE's keys/values. Without stop-gradient it is not (the check
    is sensitive). The first image's keys/values (Z1 fallback, itself) stay live."""
    model = stateful_copy(family, variant, nonzero=True, stop_gradient=stop_gradient)
    x, y, layout, kv = _layer_jacobian(model, case(family).batch, layer=len(model.sve.targeted_module_names) - 1)
    spans = [slice(s, s + n) for s, n in layout.spans]
    for image, pred in enumerate(layout.predecessors):
        reach = _grad(y[spans[image]], x)
        others = [j for j in range(len(spans)) if j not in (image, pred)]
        assert all(reach[spans[j]].sum() == 0 for j in others)  # never another sample's or a later image
        if pred != image:
            assert (reach[spans[pred]].sum() == 0) == stop_gradient
    if kv is not None:  # cross variants: their key/value input itself
        first, second = 2, 3  # sample B's first image (reads itself) and second (reads the first)
        assert _grad(kv[first], x)[spans[first]].sum() > 0
        assert (_grad(kv[second], x).sum() == 0) == stop_gradient


def _tiled_inputs(c: Case, *samples: list[int]) -> dict:
    """InternVL with its tiling on: wide images become 2 tiles + a thumbnail, each image one placeholder run."""
    wide = [image.resize((112, 56)) for image in c.images]
    texts = [c.processor.apply_chat_template([{"role": "user", "content": [{"type": "image"}] * len(sample)}],
                                             add_generation_prompt=True) for sample in samples]
    return c.processor(text=texts, images=[[wide[i] for i in sample] for sample in samples], return_tensors="pt",
                       padding=True, crop_to_patches=True, max_patches=4)


@each_family
def test_self_ext_keeps_the_hosts_attention_groups(family):
    """Self-Ext adds the previous image to the host's keys and changes nothing else: a query of an image that
    has a predecessor still depends on exactly the tokens of its own image that the host lets it see (the whole
    image; its window in Qwen2.5-VL's windowed blocks; its tile in InternVL)."""
    c = case(family)
    batch = _tiled_inputs(c, [A1, A2], [B1, B2, B3]) if family == "internvl" else c.batch
    _, _, layout, _ = _layer_jacobian(stateful_copy(family, "self_ext"), batch, layer=0)
    start, length = layout.spans[1]
    assert layout.predecessors[1] == 0
    seen = []
    for model in (copy.deepcopy(c.model), stateful_copy(family, "self_ext")):
        x, y, _, _ = _layer_jacobian(model, batch, layer=0)
        seen.append(_grad(y[start], x)[start:start + length] > 0)
    assert torch.equal(seen[0], seen[1])
    assert 0 < seen[0].sum() < length if family in ("qwen2_5_vl", "internvl") else seen[0].all()


@each_family
@pytest.mark.parametrize("variant", VARIANTS)
def test_only_stateful_variants_read_the_previous_image(family, variant):
    c = case(family)
    model = stateful_copy(family, variant, nonzero=True)
    before = image_features(model, c.batch)
    after = image_features(model, c.inputs([A1_CHANGED, A2], [B1, B2, B3]))
    assert max_diff(before[0], after[0]) > 1e-3  # the changed image itself
    changed = max_diff(before[1], after[1])
    assert changed > 1e-4 if variant in STATEFUL_VARIANTS else changed <= 1e-6
    assert all(max_diff(b, a) <= 1e-6 for b, a in zip(before[2:], after[2:], strict=True))  # sample B


@each_family
def test_adaln_zero_condition_is_normalised(family):
    """The modulation sees a layer-normalised pooled previous image, whatever the residual stream's scale."""
    model = stateful_copy(family, "adaln_zero", nonzero=True)
    module = model.sve.adapter.blocks(model.sve.adapter.vision_tower(model))[-1].sve
    seen = []
    hook = module.modulation.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    try:
        with torch.no_grad():
            model(**case(family).batch)
    finally:
        hook.remove()
    condition = seen[0]
    assert torch.allclose(condition.mean(-1), torch.zeros(len(condition)), atol=1e-4)
    assert torch.allclose(condition.std(-1, unbiased=False), torch.ones(len(condition)), atol=1e-2)


@each_family
def test_samples_of_a_batch_are_encoded_apart(family):
    c = case(family)
    model = stateful_copy(family, "cross_ffn", nonzero=True)
    joint = image_features(model, c.batch)
    other_a = image_features(model, c.inputs([A1_CHANGED, A2_CHANGED], [B1, B2, B3]))
    assert all(max_diff(j, o) <= 1e-6 for j, o in zip(joint[2:], other_a[2:], strict=True))
    alone = image_features(model, c.inputs([A1, A2])) + image_features(model, c.inputs([B1, B2, B3]))
    assert all(max_diff(j, a) <= 1e-5 for j, a in zip(joint, alone, strict=True))
    with torch.no_grad():
        batched = model(**c.batch).logits[:, -1]
        single = torch.cat([model(**c.inputs(s)).logits[:, -1] for s in ([A1, A2], [B1, B2, B3])])
    assert max_diff(batched, single) <= 1e-4


@each_family
def test_token_grid_puts_each_token_on_its_patch(family):
    """A map over an image's tokens, in the tower's own order (merge groups, Qwen2.5-VL's windows, a CLS
    token), lands on the right patch: one bright patch changes exactly one token of the first layer's input."""
    c = case(family)
    adapter = adapter_for(c.model)
    block = adapter.blocks(adapter.vision_tower(c.model))[0]
    patch = adapter.config.vision_config.patch_size
    patch = patch[0] if isinstance(patch, (list, tuple)) else patch
    h, w = (c.batch["image_grid_thw"][0, 1:].tolist() if "image_grid_thw" in c.batch
            else [n // patch for n in c.batch["pixel_values"].shape[-2:]])
    black = np.zeros((h * patch, w * patch, 3), dtype=np.uint8)
    bright = black.copy()
    row, col = h - 1, 1
    bright[row * patch:(row + 1) * patch, col * patch:(col + 1) * patch] = 255
    layer_inputs = []
    hook = block.register_forward_pre_hook(lambda m, a: layer_inputs.append(a[0].reshape(-1, a[0].shape[-1])))
    try:
        with torch.no_grad():
            for image in (black, bright):
                inputs = chat_inputs(c.processor, [1], [[Image.fromarray(image)]])
                c.model(**inputs)
    finally:
        hook.remove()
    grid = adapter.token_grid((layer_inputs[1] - layer_inputs[0]).norm(dim=-1), inputs, 0)
    assert grid.shape == (h, w)
    assert divmod(int(grid.argmax()), w) == (row, col)


TINY = {  # family: (model class, processor class, what the tiny config must keep of the real family)
    "qwen2_vl": ("Qwen2VLForConditionalGeneration", "Qwen2VLProcessor", lambda config: True),
    "qwen2_5_vl": ("Qwen2_5_VLForConditionalGeneration", "Qwen2_5_VLProcessor",
                   lambda config: 0 < len(config.vision_config.fullatt_block_indexes) < config.vision_config.depth),
    "qwen3_vl": ("Qwen3VLForConditionalGeneration", "Qwen3VLProcessor",
                 lambda config: len(config.vision_config.deepstack_visual_indexes) > 0),
    "qwen3_5": ("Qwen3_5ForConditionalGeneration", "Qwen3VLProcessor",
                lambda config: {"linear_attention", "full_attention"} == set(config.text_config.layer_types)),
    "qwen3_vl_moe": ("Qwen3VLMoeForConditionalGeneration", "Qwen3VLProcessor",
                     lambda config: config.text_config.num_experts > config.text_config.num_experts_per_tok > 1),
    "qwen3_5_moe": ("Qwen3_5MoeForConditionalGeneration", "Qwen3VLProcessor",
                    lambda config: config.text_config.num_experts > config.text_config.num_experts_per_tok > 1),
    "glm4v": ("Glm4vForConditionalGeneration", "Glm4vProcessor", lambda config: True),
    "glm4v_moe": ("Glm4vMoeForConditionalGeneration", "Glm4vProcessor",
                  lambda config: config.text_config.n_routed_experts > config.text_config.num_experts_per_tok > 1),
    "glm46v": ("Glm46VForConditionalGeneration", "Glm46VProcessor", lambda config: True),
    "internvl": ("InternVLForConditionalGeneration", "InternVLProcessor",
                 lambda config: config.vision_config.use_qk_norm),
    "gemma3": ("Gemma3ForConditionalGeneration", "Gemma3Processor", lambda config: config.mm_tokens_per_image == 4),
    "idefics3": ("Idefics3ForConditionalGeneration", "Idefics3Processor", lambda config: config.scale_factor == 2),
    "llava_onevision": ("LlavaOnevisionForConditionalGeneration", "LlavaOnevisionProcessor",
                        lambda config: config.vision_config.model_type == "siglip_vision_model"),
    "paligemma": ("PaliGemmaForConditionalGeneration", "PaliGemmaProcessor", lambda config: True),
}


@each_family
def test_tiny_models_are_real_and_small(family):
    c = case(family)
    model_class, processor_class, keeps = TINY[family]
    assert type(c.model).__name__ == model_class and type(c.processor).__name__ == processor_class
    assert keeps(c.model.config)
    assert sum(p.numel() for p in c.model.parameters()) < 1_000_000
    assert c.model.config.tiny_spec["image_size"] == 56


def test_deepstack_taps_carry_the_state():
    """Qwen3-VL feeds a mid-tower block's output to the first LLM layers; that output is stateful too."""
    c = case("qwen3_vl")
    model = stateful_copy("qwen3_vl", "cross_ffn", nonzero=True)
    taps = []
    hook = model.sve.adapter.vision_tower(model).register_forward_hook(
        lambda m, a, out: taps.append(out.deepstack_features[0].reshape(5, -1, out.deepstack_features[0].shape[-1])))
    try:
        with torch.no_grad():
            model(**c.batch)
            model(**c.inputs([A1_CHANGED, A2], [B1, B2, B3]))
    finally:
        hook.remove()
    assert max_diff(taps[0][1], taps[1][1]) > 1e-4  # image A2 read the changed A1 ...
    assert max_diff(taps[0][2:], taps[1][2:]) <= 1e-6  # ... sample B did not


def test_internvl_tiles_of_an_image_are_one_image():
    """With tiling on, each image is 2 tiles + a thumbnail; SVE treats the tiles of an image as one image."""
    c = case("internvl")
    model = stateful_copy("internvl", "cross_ffn", nonzero=True)
    batch = _tiled_inputs(c, [A1, A2], [B1, B2, B3])
    _, _, layout, _ = _layer_jacobian(model, batch, layer=0)
    assert batch["pixel_values"].shape[0] == 15 and layout.predecessors == [0, 0, 2, 2, 3]
    assert [n for _, n in layout.spans] == [3 * (4 * 4 + 1)] * 5  # 3 tiles of 4x4 patches + CLS each
    joint = image_features(model, batch)
    alone = image_features(model, _tiled_inputs(c, [A1, A2])) + image_features(model, _tiled_inputs(c, [B1, B2, B3]))
    assert all(max_diff(j, a) <= 1e-5 for j, a in zip(joint, alone, strict=True))


def test_qwen2_vl_patch_and_merge_sizes_set_the_token_grid():
    """Smaller patches give the tower more of each object (the image_diff demo model uses 7 px patches)."""
    model, processor = tiny_vlm("qwen2_vl", TinySpec(image_size=84, patch_size=7, merge_size=2))
    batch = chat_inputs(processor, [2], random_images(2, size=96))
    assert batch["image_grid_thw"].tolist() == [[1, 12, 12]] * 2  # 84 px / 7 px patches
    assert (batch["input_ids"] == model.config.image_token_id).sum() == 2 * 6 * 6  # 2x2 patches per token
    model = make_stateful(model, SVEConfig(variant="cross_ffn"))
    with torch.no_grad():
        assert torch.isfinite(model(**batch).logits).all()
    with pytest.raises(ValueError, match="tiny qwen2_vl only, not 'gemma3'"):
        tiny_vlm("gemma3", TinySpec(patch_size=7))


@pytest.mark.parametrize("family", ["qwen2_vl", "qwen3_vl", "gemma3"])
def test_split_digits_gives_one_token_per_digit(family):
    """The controlled study reads numbers digit by digit (as the hub Qwen tokenizers do); the default merges them."""
    corpus = ["(0.42, 0.77) 0.4213"] * 50
    _, split = tiny_vlm(family, TinySpec(split_digits=True), corpus=corpus)
    _, merged = tiny_vlm(family, TinySpec(), corpus=corpus)
    digits = [t for t in split.tokenizer.tokenize("(0.42, 0.77) 0.4213") if any(c.isdigit() for c in t)]
    assert all(len(t.lstrip("Ġ▁")) == 1 for t in digits) and len(digits) == 11
    assert any(len(t.lstrip("Ġ▁")) > 1 for t in merged.tokenizer.tokenize("0.4213") if t[-1].isdigit())
    ids = split.tokenizer("(0.42, 0.77) 0.4213", add_special_tokens=False)["input_ids"]
    assert split.tokenizer.decode(ids) == "(0.42, 0.77) 0.4213"


@each_family
def test_bad_configs_are_clear_errors(family):
    model = copy.deepcopy(case(family).model)
    depth = len(adapter_for(model).blocks(adapter_for(model).vision_tower(model)))
    with pytest.raises(SVEConfigError, match="variant='nope' is not one of .*cross_ffn"):
        SVEConfig(variant="nope")
    with pytest.raises(SVEConfigError, match=rf"layers \[{depth}\] out of range: .* has {depth} layers"):
        make_stateful(model, SVEConfig(layers=[0, depth]))
    assert getattr(model, "sve", None) is None  # nothing was injected


def test_llava_onevision_tiles_of_an_image_are_one_image():
    """transformers cuts the image of a single-image sample into anyres tiles (a base view + a grid); the generic
    adapter makes all tiles of an image one SVE unit, so a mixed batch still groups and keeps samples apart."""
    c = case("llava_onevision")
    model = stateful_copy("llava_onevision", "cross_ffn", nonzero=True)
    batch = c.inputs([A1], [B1, B2])
    _, _, layout, _ = _layer_jacobian(model, batch, layer=0)
    assert batch["pixel_values"].shape[1] == 3 and layout.predecessors == [0, 1, 1]
    assert [n for _, n in layout.spans] == [3 * 16, 16, 16]  # 3 tiles of 4x4 patches, then one row per image
    joint = image_features(model, batch)
    alone = image_features(model, c.inputs([A1])) + image_features(model, c.inputs([B1, B2]))
    assert len(joint) == 3 and all(max_diff(j, a) <= 1e-5 for j, a in zip(joint, alone, strict=True))
