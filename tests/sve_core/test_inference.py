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


def test_predict_keeps_request_order_across_batches_and_reports_progress(tmp_path):
    from sve_core.inference import Request

    model, processor = tiny_vlm("qwen2_vl")
    make_stateful(model, SVEConfig(init_std=0.05))
    describer = Describer(model, processor, name="tiny", max_new_tokens=3)
    pair = _pair()
    pair[0].save(tmp_path / "a.png")
    requests = [Request(pair, "what?"), Request([*pair, pair[0]], "what?"),
                Request([tmp_path / "a.png", pair[1]], "what?"), Request(pair, "and now?")]
    done: list[int] = []
    answers = describer.predict(requests, batch_size=1, heatmaps=True, progress=done.append)
    assert [a.text for a in answers] == [describer.describe(list(r.images), r.prompt) for r in requests[:2]] + [
        describer.describe(pair, "what?"), describer.describe(pair, "and now?")]
    assert sum(done) == 4 and answers[0].heatmaps[0] is None and answers[0].heatmaps[1].shape == (56, 56)
    assert all(h is None for h in describer.predict(requests[:1])[0].heatmaps)  # heatmaps only when asked


def test_answer_log_likelihood_scores_each_answer_and_keeps_the_mode(tmp_path):
    from sve_core.data import load_jsonl
    from sve_core.inference import answer_log_likelihood, predict
    from tests.data.sharegpt.data import write_dataset

    model, processor = tiny_vlm("qwen2_vl")
    model.train()
    samples = load_jsonl(write_dataset(tmp_path, train=3) / "train.jsonl")
    scores = answer_log_likelihood(model, processor, samples, batch_size=2)
    assert len(scores) == 3 and all(ll < 0 and count > 0 for ll, count in scores)
    assert model.training  # the caller's mode is restored
    predict(model, processor, [], max_new_tokens=1)
    assert model.training
