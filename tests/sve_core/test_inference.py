import numpy as np
from PIL import Image

from sve_core import SVEConfig, make_stateful
from sve_core.inference import Describer
from sve_core.tiny import tiny_vlm


def _pair():
    before = np.full((56, 56, 3), 100, np.uint8)
    after = before.copy()
    after[:20, :20] = 250  # the change: top-left corner
    return [Image.fromarray(before), Image.fromarray(after)]


def test_heatmap_marks_the_changed_corner():
    model, processor = tiny_vlm("qwen2_vl")
    make_stateful(model, SVEConfig())
    result = Describer(model, processor, name="tiny", max_new_tokens=3).describe_with_heatmaps(_pair(), "what?")
    assert result.heatmaps[0] is None
    heat = result.heatmaps[1]
    assert heat.shape == (56, 56) and heat.min() >= 0.0 and heat.max() <= 1.0
    assert heat[:14, :14].mean() > 0.5 > heat[35:, 35:].mean() + 0.4


def test_batch_answers_match_single_answers():
    model, processor = tiny_vlm("qwen2_vl")
    processor.tokenizer.padding_side = "right"  # what a reloaded checkpoint's tokenizer does
    make_stateful(model, SVEConfig(init_std=0.05))
    describer = Describer(model, processor, name="tiny", max_new_tokens=4)
    pair = _pair()
    triple = [*pair, pair[0]]
    batch = describer.describe_batch([pair, triple], "what?")
    assert batch == [describer.describe(pair, "what?"), describer.describe(triple, "what?")]


def test_stateless_model_has_no_heatmaps():
    model, processor = tiny_vlm("qwen2_vl")
    result = Describer(model, processor, name="tiny", max_new_tokens=2).describe_with_heatmaps(_pair(), "what?")
    assert result.heatmaps == [None, None]
