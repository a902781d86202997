"""The collator supervises exactly the answer tokens (plus end-of-turn) whatever the padding side, and the batch
runs through a stateful model, mixing 2- and 3-image samples."""

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from PIL import Image

from sve_core import SVEConfig, make_stateful
from sve_core.collator import IGNORE_INDEX, PREFIX_LM_PROCESSORS, CollatorError, SFTCollator, to_chat
from sve_core.data import Message, load_jsonl, texts
from sve_core.tiny import FAMILIES, tiny_vlm
from sve_core.trainer import stop_token_ids
from tests.data.sharegpt.data import write_dataset


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return load_jsonl(write_dataset(tmp_path_factory.mktemp("sharegpt"), train=8, val=1) / "train.jsonl")


@pytest.fixture(scope="module")
def tiny(samples):
    return tiny_vlm("qwen2_vl", corpus=texts(samples))


def supervised_text(processor, batch, row: int) -> str:
    labels = batch["labels"][row]
    return processor.tokenizer.decode(labels[labels != IGNORE_INDEX])


def test_placeholders_become_image_parts():
    chat = to_chat((Message("user", "<image>before <image>after: what changed?"), Message("assistant", "x")))
    assert chat[0]["content"] == [{"type": "image"}, {"type": "text", "text": "before "}, {"type": "image"},
                                  {"type": "text", "text": "after: what changed?"}]
    assert chat[1]["content"] == [{"type": "text", "text": "x"}]


@pytest.mark.parametrize("padding_side", ["left", "right"])
def test_only_the_final_answer_and_end_of_turn_are_supervised(samples, tiny, padding_side):
    _, processor = tiny
    processor.tokenizer.padding_side = padding_side
    try:
        batch = SFTCollator(processor)(samples[:4])
    finally:
        processor.tokenizer.padding_side = "left"
    eos = processor.tokenizer.eos_token
    for row, sample in enumerate(samples[:4]):
        assert supervised_text(processor, batch, row) == sample.messages[-1].content + eos + "\n"
        supervised = (batch["labels"][row] != IGNORE_INDEX).nonzero().flatten()
        assert torch.equal(batch["labels"][row, supervised], batch["input_ids"][row, supervised])
        assert (supervised.diff() == 1).all()  # one contiguous span
        assert batch["labels"][row, 0] == IGNORE_INDEX  # so the Trainer's token count over labels[1:] agrees
    assert (batch["input_ids"] == processor.tokenizer.convert_tokens_to_ids(eos))[batch["labels"] != -100].any()


def test_supervise_all_learns_every_assistant_turn(samples, tiny):
    _, processor = tiny
    with_history = samples[3]  # every fourth sample has an earlier question and answer
    assert len(with_history.messages) == 4
    batch = SFTCollator(processor, supervise="all")([with_history, samples[0]])
    eos = processor.tokenizer.eos_token
    assert supervised_text(processor, batch, 0) == (f"{with_history.messages[1].content}{eos}\n"
                                                    f"{with_history.messages[3].content}{eos}\n")
    assert supervised_text(processor, batch, 1) == samples[0].messages[-1].content + eos + "\n"
    final = SFTCollator(processor)([with_history])
    assert supervised_text(processor, final, 0) == with_history.messages[3].content + eos + "\n"


def test_mixed_image_counts_run_through_a_stateful_model(samples, tiny):
    model, processor = tiny
    make_stateful(model, SVEConfig(variant="cross_ffn", init_std=1e-2))
    batch = SFTCollator(processor)(samples[:4])
    counts = [len(s.images) for s in samples[:4]]
    assert len(set(counts)) > 1 and batch["image_grid_thw"].shape[0] == sum(counts)
    loss = model(**batch).loss
    assert torch.isfinite(loss)


def test_images_are_converted_to_rgb(samples, tiny, tmp_path):
    _, processor = tiny
    grey = tmp_path / "grey.png"
    Image.new("L", (56, 56), 128).save(grey)
    sample = replace(samples[1], images=(grey,) * len(samples[1].images))
    batch = SFTCollator(processor)([sample])
    assert batch["pixel_values"].shape[-1] == 3 * 2 * 14 * 14


def test_a_template_that_rewrites_history_is_refused(samples, tiny):
    _, processor = tiny
    original = processor.chat_template
    # renders earlier assistant turns differently from the last one, as reasoning templates do
    processor.chat_template = (original.replace("{% for message in messages %}",
                                                "{% for message in messages %}{% set last = loop.last %}")
                               .replace("{{ part['text'] }}", "{% if not last %}[earlier]{% endif %}{{ part['text'] }}"))
    try:
        with pytest.raises(CollatorError, match=str(Path(samples[3].source).name)):
            SFTCollator(processor, supervise="all")([samples[3]])
    finally:
        processor.chat_template = original


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_supervises_each_answer_up_to_a_stop_token(samples, family):
    """Chat formats differ (ChatML, Gemma turns, GLM headers with no end-of-turn token); in each, every learned
    span is one answer followed by a token that ends generation, and the batch trains."""
    model, processor = tiny_vlm(family, corpus=texts(samples))
    stops = stop_token_ids(model, processor)
    supervise = "final" if type(processor).__name__ in PREFIX_LM_PROCESSORS else "all"  # needs an image per prompt
    if supervise == "final":
        with pytest.raises(CollatorError, match="needs an image in every prompt"):
            SFTCollator(processor, "all", stops)(samples[:4])
    batch = SFTCollator(processor, supervise, stops)(samples[:4])
    for row, sample in enumerate(samples[:4]):
        supervised = (batch["labels"][row] != IGNORE_INDEX).nonzero().flatten().tolist()
        spans = [[supervised[0]]]
        for position in supervised[1:]:
            if position == spans[-1][-1] + 1:
                spans[-1].append(position)
            else:
                spans.append([position])
        answers = [m.content for m in sample.messages if m.role == "assistant"][-1 if supervise == "final" else 0:]
        assert len(spans) == len(answers)
        for span, answer in zip(spans, answers, strict=True):
            ids = batch["input_ids"][row, span].tolist()
            assert processor.tokenizer.decode(ids).startswith(answer)
            assert stops.intersection(ids), processor.tokenizer.decode(ids)
    assert torch.isfinite(model(**batch).loss)
