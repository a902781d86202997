"""Images of several tiles (InternVL's dynamic tiles, Gemma-3's pan-and-scan crops): the unit of "previous
image" is the image, not the tile. Encoding a sample's images in one call, a batch of samples mixing tile counts,
an explicit `image_sequences` grouping and a `StatefulSession` one image at a time give the same features."""

from __future__ import annotations

import pytest
import torch

from sve_core import SVEConfig, image_sequences, make_stateful
from sve_core.families import adapter_for
from sve_core.grouping import GroupingError
from sve_core.session import StatefulSession
from sve_core.tiny import tiny_vlm
from tests.sve_core.helpers import random_images

# InternVL: a (w, h) image of 56 px tiles is cut into w/56 x h/56 tiles plus a thumbnail when that is over one
SIZES = {"3 tiles": (112, 56), "4 tiles": (168, 56), "5 tiles": (112, 112), "6 tiles": (280, 56), "1 tile": (56, 56)}
TILING = {
    "internvl": dict(crop_to_patches=True, max_patches=6),
    "gemma3": dict(do_pan_and_scan=True, pan_and_scan_min_crop_size=28, pan_and_scan_min_ratio_to_activate=1.2,
                   pan_and_scan_max_num_crops=4),
}
SAMPLES = (["3 tiles", "5 tiles"], ["6 tiles", "1 tile", "4 tiles"])  # a 2-image and a 3-image sample


@pytest.fixture(scope="module", params=sorted(TILING))
def tiled(request):
    model, processor = tiny_vlm(request.param)
    make_stateful(model, SVEConfig(variant="cross_ffn", init_std=0.05))
    pictures = random_images(len(SIZES), seed=3)
    images = {name: picture.resize(size) for (name, size), picture in zip(SIZES.items(), pictures, strict=True)}
    return request.param, model, processor, [[images[name] for name in sample] for sample in SAMPLES]


def _pixels(processor, family: str, images: list) -> dict:
    return dict(processor.image_processor(images=images, return_tensors="pt", **TILING[family]))


def _units(family: str, pixels: dict) -> list[int]:
    """Tiles of each image: InternVL's tiles (thumbnail included); Gemma-3's whole image plus its crops."""
    return pixels["num_patches"].tolist() if family == "internvl" else [c + 1 for c in pixels["num_crops"].tolist()]


def _last_block(model, call) -> list[torch.Tensor]:
    """Run `call()` and return the last vision block's output of every tower call, flattened to (T, D)."""
    adapter = adapter_for(model)
    outputs = []
    hook = adapter.blocks(adapter.vision_tower(model))[-1].register_forward_hook(
        lambda m, a, out: outputs.append(out.reshape(-1, out.shape[-1])))
    try:
        with torch.no_grad():
            call()
    finally:
        hook.remove()
    return outputs


def _per_image(tokens: torch.Tensor, units: list[int]) -> list[torch.Tensor]:
    per_unit = tokens.shape[0] // sum(units)
    return list(tokens.split([n * per_unit for n in units]))


def _override(model, processor, family, samples) -> list[torch.Tensor]:
    """All samples in one tower call, grouped explicitly (images of each sample, tiles of each image)."""
    pixels = _pixels(processor, family, [image for sample in samples for image in sample])
    units = _units(family, pixels)
    counts = [len(sample) for sample in samples]
    starts = [sum(counts[:i]) for i in range(len(counts))]
    grouping = [list(range(start, start + n)) for start, n in zip(starts, counts, strict=True)]
    with image_sequences(model, grouping, units_per_image=units):
        (out,) = _last_block(model, lambda: model.get_image_features(pixel_values=pixels["pixel_values"]))
    return _per_image(out, units)


def _session(model, processor, family, sample, *, per_call: int = 1) -> list[torch.Tensor]:
    session = StatefulSession(model)
    features = []
    for start in range(0, len(sample), per_call):
        pixels = _pixels(processor, family, sample[start:start + per_call])
        units = _units(family, pixels)
        (out,) = _last_block(model, lambda p=pixels: session.add_images(**p))
        features += _per_image(out, units)
        cached = next(iter(session.cache.tokens.values()))
        assert cached.shape[0] == features[-1].shape[0]  # the state holds every tile of the last image
    return features


def _assert_same(a: list[torch.Tensor], b: list[torch.Tensor]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, atol=1e-5, rtol=0)


def test_tiles_of_an_image_are_one_image(tiled):
    family, model, processor, samples = tiled
    joint = [image for sample in samples for image in _override(model, processor, family, [sample])]
    batched = _override(model, processor, family, samples)  # one call, tile counts 3, 5 | 6, 1, 4 (InternVL)
    session = [image for sample in samples for image in _session(model, processor, family, sample)]
    two_at_once = [image for sample in samples for image in _session(model, processor, family, sample, per_call=2)]
    if family == "internvl":  # 4x4 patches + CLS per tile
        assert [image.shape[0] // 17 for image in batched] == [3, 5, 6, 1, 4]
    _assert_same(batched, joint)
    _assert_same(session, joint)
    _assert_same(two_at_once, joint)
    stateless = [_override(model, processor, family, [[image]])[0] for sample in samples for image in sample]
    assert (joint[0] - stateless[0]).abs().max() <= 1e-5  # a first image reads itself: its tiles jointly
    assert (joint[1] - stateless[1]).abs().max() > 1e-3  # the second reads the whole first image


def test_internvl_model_call_groups_tiles_from_the_placeholders(tiled):
    """`model(**processor(...))` finds each image's tiles from its placeholder run, batch or not."""
    family, model, processor, samples = tiled
    if family != "internvl":
        pytest.skip("Gemma-3's processor drops num_crops: a model call cannot tell crops from images")

    def call(batch):
        texts = [processor.apply_chat_template([{"role": "user", "content": [{"type": "image"}] * len(s)}],
                                               add_generation_prompt=True) for s in batch]
        inputs = processor(text=texts, images=batch, return_tensors="pt", padding=True, **TILING[family])
        units = _units(family, _pixels(processor, family, [image for s in batch for image in s]))
        (out,) = _last_block(model, lambda: model(**inputs))
        return _per_image(out, units)

    expected = _override(model, processor, family, samples)
    _assert_same(call(samples), expected)
    _assert_same(call(samples[:1]) + call(samples[1:]), expected)


def test_tile_counts_must_cover_the_pixels(tiled):
    family, model, processor, samples = tiled
    pixels = _pixels(processor, family, samples[0])
    units = _units(family, pixels)
    with pytest.raises(GroupingError, match="do not add up"), image_sequences(model, [[0, 1]], [units[0], units[1] + 1]):
        model.get_image_features(pixel_values=pixels["pixel_values"])
    del pixels[model.sve.adapter.tiles_key]
    with pytest.raises(ValueError, match=f"without '{model.sve.adapter.tiles_key}'"):
        StatefulSession(model).add_images(**pixels)
