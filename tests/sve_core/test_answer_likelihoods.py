"""`Describer.answer_likelihoods`: teacher-forced scores of given answers, batched, with raw change maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from sve_core import SVEConfig, make_stateful
from sve_core.inference import Describer
from sve_core.tiny import tiny_vlm


def _pair(corner: int = 250) -> list[Image.Image]:
    before = np.full((56, 56, 3), 100, np.uint8)
    after = before.copy()
    after[:20, :20] = corner
    return [Image.fromarray(before), Image.fromarray(after)]


@pytest.fixture(scope="module")
def describer() -> Describer:
    model, processor = tiny_vlm("qwen2_vl")
    make_stateful(model, SVEConfig(init_std=0.05))
    return Describer(model, processor, name="tiny", max_new_tokens=2)


def test_batched_scores_equal_single_scores_and_are_log_probabilities(describer: Describer) -> None:
    answers = ["yes.", "the scene is the same as before."]
    sequences = [_pair(), _pair(180), [*_pair(), _pair()[0]]]
    batched = describer.answer_likelihoods(sequences, "what?", answers).log_likelihoods
    single = np.concatenate([describer.answer_likelihoods([s], "what?", answers).log_likelihoods for s in sequences])
    assert batched.shape == (3, 2) and np.allclose(batched, single, atol=1e-4)
    assert (batched < 0).all() and batched[0, 1] < batched[0, 0]  # a longer answer is less likely


def test_score_is_the_sum_of_the_answers_token_log_probabilities(describer: Describer) -> None:
    """Recomputed by hand from one forward over prompt + answer."""
    pair = _pair()
    [[score]] = describer.answer_likelihoods([pair], "what?", ["yes."]).log_likelihoods
    processor = describer.processor
    user = [{"role": "user", "content": [{"type": "image"}, {"type": "image"}, {"type": "text", "text": "what?"}]}]
    prefix = processor.apply_chat_template(user, add_generation_prompt=True)
    head = processor(text=[prefix], images=pair, return_tensors="pt")["input_ids"].shape[1]
    full = processor.apply_chat_template([*user, {"role": "assistant", "content": [{"type": "text", "text": "yes."}]}])
    inputs = processor(text=[full.rstrip()], images=pair, return_tensors="pt")
    with torch.no_grad():
        logp = torch.log_softmax(describer.model(**inputs).logits[0].float(), -1)
    ids = inputs["input_ids"][0]
    expected = sum(float(logp[t - 1, ids[t]]) for t in range(head, len(ids)))
    assert score == pytest.approx(expected, abs=1e-4)


def test_maps_are_raw_key_dissimilarity_on_one_scale(describer: Describer) -> None:
    strong, faint, same = _pair(250), _pair(110), [_pair()[0], _pair()[0]]
    maps = describer.answer_likelihoods([strong, faint, same], "what?", ["yes."], heatmaps=True).heatmaps
    assert all(m[0] is None and m[1].shape == (56, 56) for m in maps)
    assert np.abs(maps[2][1]).max() < 1e-5  # identical images: no change anywhere, not rescaled noise
    assert maps[0][1][:14, :14].mean() > maps[1][1][:14, :14].mean()  # a stronger change scores higher
    assert maps[0][1][:14, :14].mean() > 3 * maps[0][1][35:, 35:].mean()
    assert min(m[1].min() for m in maps) >= 0 and max(m[1].max() for m in maps) <= 1


def test_stateless_model_scores_without_maps() -> None:
    model, processor = tiny_vlm("qwen2_vl")
    scores = Describer(model, processor, name="tiny").answer_likelihoods([_pair()], "what?", ["yes."], heatmaps=True)
    assert scores.heatmaps == [[None, None]] and np.isfinite(scores.log_likelihoods).all()


@pytest.mark.parametrize(
    ("family", "stateful"),
    # qwen3_5: a recurrent cache that cannot be cut back (encodes twice); gemma3: token types and nested images
    [("qwen2_vl", True), ("qwen2_vl", False), ("qwen3_5", True), ("gemma3", True), ("internvl", True)],
)
def test_describe_and_score_equals_its_two_parts(family: str, stateful: bool) -> None:
    """One encoding: the captions equal `describe_batch`'s, the scores `answer_likelihoods`', with left padding
    from sequences of different lengths."""
    model, processor = tiny_vlm(family)
    processor.tokenizer.padding_side = "right"  # what a reloaded checkpoint's tokenizer does
    if stateful:
        make_stateful(model, SVEConfig(init_std=0.05))
    describer = Describer(model, processor, name="tiny", max_new_tokens=5)
    sequences = [_pair(), _pair(180), [*_pair(), _pair()[0]]]
    texts, scores = describer.describe_and_score(sequences, "what?", "no change.", heatmaps=True)
    assert texts == describer.describe_batch(sequences, "what?")
    alone = describer.answer_likelihoods(sequences, "what?", ["no change."], heatmaps=True)
    assert np.allclose(scores.log_likelihoods, alone.log_likelihoods, atol=1e-4)
    for maps, maps_alone in zip(scores.heatmaps, alone.heatmaps, strict=True):
        assert all((a is None and b is None) or np.allclose(a, b, atol=1e-5) for a, b in zip(maps, maps_alone, strict=True))
