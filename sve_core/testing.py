"""`tiny_vlm(family)`: a tiny random-initialised model of a REAL transformers VLM family, with a working
processor, tokenizer and chat template, built offline in seconds.

Every test and benchmark builds on it, and the embedded demo models start from it: the classes, processors and
code paths are exactly those a hub checkpoint uses, only the sizes are small. The tokenizer is a byte-level BPE
trained on a small built-in corpus (plus any domain text you pass), so it can encode any string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedModel, PreTrainedTokenizerFast, ProcessorMixin

FAMILIES: tuple[str, ...] = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_5", "glm4v", "internvl", "gemma3")

BASE_CORPUS = (
    "the a an of in on to and is are was were has have with than from at by for no not what which where how "
    "image images first second third main reference previous current before after change changes changed "
    "nothing there difference differences describe describes left right top bottom middle center upper lower "
    "new added removed missing additional findings increased decreased resolved unchanged stable larger smaller "
    "red green blue yellow white black gray orange purple dot circle square triangle star object objects shape "
    "building buildings road roads house houses tree trees water river pond lake field bare land area scene "
    "pleural effusion cardiomegaly consolidation pneumothorax edema atelectasis opacity pneumonia lung lungs "
    "heart chest the main image has additional findings of than the reference image is missing the findings "
    "add remove replace adjust background move color colour turn into 0 1 2 3 4 5 6 7 8 9 . , : ; ? ! ' - ( )"
)


@dataclass
class TinySpec:
    """Sizes of a tiny model. The defaults make a sub-million-parameter model for unit tests."""

    vision_depth: int = 2
    vision_width: int = 32
    vision_heads: int = 2
    text_layers: int = 2
    text_width: int = 32
    text_heads: int = 2
    vocab_size: int = 400
    image_size: int = 56  # images are resized to image_size x image_size pixels
    seed: int = 0


@dataclass
class Tokens:
    """Special tokens of one family's chat format."""

    pad: str
    eos: str
    image: str
    extra: tuple[str, ...]
    template: str


def build_tokenizer(tokens: Tokens, vocab_size: int, corpus: Iterable[str] = ()) -> PreTrainedTokenizerFast:
    special = [tokens.pad, tokens.eos, tokens.image, *tokens.extra]
    special = list(dict.fromkeys(special))
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator([BASE_CORPUS, *corpus], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=tokens.eos, pad_token=tokens.pad,
                                        extra_special_tokens={"image_token": tokens.image})
    tokenizer.chat_template = tokens.template
    tokenizer.padding_side = "left"
    return tokenizer


CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{IMAGE}{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _qwen_tokens() -> Tokens:
    return Tokens(pad="<|endoftext|>", eos="<|im_end|>", image="<|image_pad|>",
                  extra=("<|im_start|>", "<|vision_start|>", "<|vision_end|>", "<|video_pad|>"),
                  template=CHATML.replace("{IMAGE}", "<|vision_start|><|image_pad|><|vision_end|>"))


def _text(spec: TinySpec, vocab: int, **extra) -> dict:
    head_dim = spec.text_width // spec.text_heads
    return dict(vocab_size=vocab, hidden_size=spec.text_width, intermediate_size=spec.text_width * 4,
                num_hidden_layers=spec.text_layers, num_attention_heads=spec.text_heads, num_key_value_heads=1,
                head_dim=head_dim, max_position_embeddings=2048, **extra)


def _mrope(spec: TinySpec) -> dict:
    """Multimodal RoPE sections (t, h, w) summing to head_dim / 2, in Qwen's 1:1.5:1.5 proportions."""
    half = spec.text_width // spec.text_heads // 2
    spatial = half * 3 // 8
    return {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [half - 2 * spatial, spatial, spatial]}


def _qwen2_vl(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    from transformers import (Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLImageProcessor,
                              Qwen2VLProcessor, Qwen2VLVideoProcessor)

    tokenizer = build_tokenizer(_qwen_tokens(), spec.vocab_size, corpus)
    ids = tokenizer.convert_tokens_to_ids
    config = Qwen2VLConfig(
        text_config=_text(spec, len(tokenizer), rope_parameters=_mrope(spec), bos_token_id=None,
                          eos_token_id=ids("<|im_end|>"), pad_token_id=ids("<|endoftext|>")),
        vision_config=dict(depth=spec.vision_depth, embed_dim=spec.vision_width, hidden_size=spec.text_width,
                           num_heads=spec.vision_heads, mlp_ratio=2, patch_size=14, spatial_merge_size=2,
                           temporal_patch_size=2),
        image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"), vision_end_token_id=ids("<|vision_end|>"),
    )
    model = Qwen2VLForConditionalGeneration(config)
    pixels = spec.image_size * spec.image_size
    image_processor = Qwen2VLImageProcessor(size={"shortest_edge": pixels, "longest_edge": pixels})
    processor = Qwen2VLProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                 video_processor=Qwen2VLVideoProcessor(), chat_template=tokenizer.chat_template)
    return model, processor


BUILDERS: dict[str, Callable[[TinySpec, Iterable[str]], tuple[PreTrainedModel, ProcessorMixin]]] = {
    "qwen2_vl": _qwen2_vl,
}


def tiny_vlm(family: str = "qwen2_vl", spec: TinySpec | None = None,
             corpus: Iterable[str] = ()) -> tuple[PreTrainedModel, ProcessorMixin]:
    """(model, processor) of a tiny random-initialised `family` model, in eval mode, fp32."""
    if family not in BUILDERS:
        raise ValueError(f"unknown tiny family {family!r}; choose one of {', '.join(BUILDERS)}")
    spec = spec or TinySpec()
    torch.manual_seed(spec.seed)
    model, processor = BUILDERS[family](spec, tuple(corpus))
    model.config.tiny_spec = vars(spec).copy()
    return model.eval(), processor
