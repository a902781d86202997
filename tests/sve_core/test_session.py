"""Incremental inference: appending image k encodes image k only, and equals encoding the sequence at once."""

import pytest
import torch

from sve_core import SVEConfig, image_sequences, make_stateful
from sve_core.session import StatefulSession
from sve_core.tiny import FAMILIES, tiny_vlm
from tests.sve_core.helpers import chat_inputs, random_images


@pytest.fixture(scope="module", params=FAMILIES)
def stateful(request):
    torch.manual_seed(0)
    model, processor = tiny_vlm(request.param)
    make_stateful(model, SVEConfig(init_std=0.05))  # nonzero outputs: image k really depends on image k-1
    return model, processor


def _pooled(out, count):
    pooled = out.pooler_output
    if isinstance(pooled, (tuple, list)) and len(pooled) == count:
        return list(pooled)
    pooled = torch.cat(list(pooled)) if isinstance(pooled, (tuple, list)) else pooled  # e.g. Idefics3: per sample
    return list(pooled.reshape(count, -1, pooled.shape[-1]))


def test_incremental_features_equal_joint_encoding(stateful):
    model, processor = stateful
    images = random_images(4)
    pixels = processor.image_processor(images=images, return_tensors="pt")
    extra = {k: v for k, v in pixels.items() if k != "pixel_values"}
    with torch.no_grad(), image_sequences(model, [[0, 1, 2, 3]]):
        joint = _pooled(model.get_image_features(pixel_values=pixels["pixel_values"], return_dict=True, **extra), 4)
    session = StatefulSession(model)
    calls = []
    handle = model.sve.adapter.vision_tower(model).register_forward_pre_hook(lambda m, a, k: calls.append(1),
                                                                            with_kwargs=True)
    try:
        for k, image in enumerate(images):
            one = processor.image_processor(images=[image], return_tensors="pt")
            extra = {key: v for key, v in one.items() if key != "pixel_values"}
            features = _pooled(session.add_images(one["pixel_values"], **extra), 1)[0]
            torch.testing.assert_close(features, joint[k], atol=1e-5, rtol=0)
    finally:
        handle.remove()
    assert len(calls) == 4  # one tower call per turn, each on the new image only
    assert not torch.allclose(joint[1], joint[0])


def test_session_generate_equals_full_generate(stateful):
    model, processor = stateful
    images = random_images(3, seed=1)
    session = StatefulSession(model)
    for image in images:
        one = processor.image_processor(images=[image], return_tensors="pt")
        session.add_images(one["pixel_values"], **{k: v for k, v in one.items() if k != "pixel_values"})
    inputs = chat_inputs(processor, [3], images)
    expected = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert torch.equal(session.generate(**inputs, max_new_tokens=5, do_sample=False), expected)


def test_session_needs_a_stateful_model():
    model, _ = tiny_vlm("qwen2_vl")
    with pytest.raises(ValueError, match="make_stateful"):
        StatefulSession(model)
