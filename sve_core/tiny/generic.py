"""Tiny VLMs whose vision tower is a stack of standard transformer blocks, run through SVE's generic adapter
(`sve_core.families.generic`): Idefics3 (SmolVLM), LLaVA-OneVision and PaliGemma. All three use SigLIP-style
blocks (separate q/k/v, LayerNorm, fc1/fc2, absolute positions); they differ in how vision rows become
language-model tokens:
- Idefics3: a pixel-shuffle connector (`scale_factor`); each image is ``<fake_token_around_image><global-img>``
  + placeholders + ``<fake_token_around_image>``. The hub processor splits large images into crops plus a global
  image; the tiny processor turns splitting off (one row per image), as SVE needs (see docs/ADD_A_MODEL.md).
- LLaVA-OneVision: an MLP projector and one ``image_newline`` token per image; transformers encodes every image
  of a multi-image sample as one tile (anyres tiles only for single-image samples).
- PaliGemma: a linear projector, one placeholder per patch, a prefix-LM (bidirectional attention over token type
  0; the collator marks answers as type 1); the hub model has no chat template, the tiny one puts a newline
  after each image so that the placeholder runs of consecutive images stay apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from transformers import PreTrainedModel, ProcessorMixin

from sve_core.tiny.spec import TinySpec, text_config
from sve_core.tiny.tokenizer import Tokens, build_tokenizer, chat_template

PATCH = 14
CHATML = dict(turn="<|im_start|>{role}\n{content}<|im_end|>\n", generation_prompt="<|im_start|>assistant\n")


def _side(spec: TinySpec, multiple: int = 1) -> int:
    """Image side in pixels: `spec.image_size` rounded to whole patches (and to `multiple` patches per side)."""
    return max(1, round(spec.image_size / PATCH / multiple)) * multiple * PATCH


def _siglip(spec: TinySpec, side: int) -> dict:
    return dict(model_type="siglip_vision_model", hidden_size=spec.vision_width,
                intermediate_size=spec.vision_width * 2, num_hidden_layers=spec.vision_depth,
                num_attention_heads=spec.vision_heads, image_size=side, patch_size=PATCH)


def idefics3(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessor,
        Idefics3Processor,
    )

    tokens = Tokens(pad="<|endoftext|>", eos="<end_of_utterance>", bos="<|im_start|>",
                    template=chat_template(turn="<|im_start|>{role}:{content}<end_of_utterance>\n",
                                           generation_prompt="<|im_start|>Assistant:", image="<image>",
                                           roles={"user": "User", "assistant": "Assistant"}),
                    named={"image_token": "<image>"}, extra=("<fake_token_around_image>", "<global-img>"))
    tokenizer = build_tokenizer(tokens, spec.vocab_size, corpus, split_digits=spec.split_digits)
    scale = 2
    side = _side(spec, scale)
    seq_len = (side // PATCH // scale) ** 2
    image_processor = Idefics3ImageProcessor(size={"longest_edge": side}, max_image_size={"longest_edge": side},
                                             do_image_splitting=False)
    processor = Idefics3Processor(image_processor=image_processor, tokenizer=tokenizer, image_seq_len=seq_len,
                                  chat_template=tokenizer.chat_template)
    ids = tokenizer.convert_tokens_to_ids
    config = Idefics3Config(
        vision_config={k: v for k, v in _siglip(spec, side).items() if k != "model_type"},
        text_config=text_config(spec, len(tokenizer), model_type="llama", pad_token_id=ids("<|endoftext|>"),
                                bos_token_id=ids("<|im_start|>"), eos_token_id=ids("<end_of_utterance>")),
        image_token_id=ids("<image>"), scale_factor=scale, pad_token_id=ids("<|endoftext|>"),
    )
    model = Idefics3ForConditionalGeneration(config)
    model.generation_config.eos_token_id = ids("<end_of_utterance>")
    model.generation_config.pad_token_id = ids("<|endoftext|>")
    return model, processor


def llava_onevision(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        LlavaOnevisionImageProcessor,
        LlavaOnevisionProcessor,
        LlavaOnevisionVideoProcessor,
    )

    tokens = Tokens(pad="<|endoftext|>", eos="<|im_end|>", template=chat_template(image="<image>\n", **CHATML),
                    named={"image_token": "<image>", "video_token": "<video>"}, extra=("<|im_start|>",))
    tokenizer = build_tokenizer(tokens, spec.vocab_size, corpus, split_digits=spec.split_digits)
    ids = tokenizer.convert_tokens_to_ids
    side = _side(spec)
    tile_tokens = (side // PATCH) ** 2
    config = LlavaOnevisionConfig(
        vision_config=_siglip(spec, side),
        text_config=text_config(spec, len(tokenizer), model_type="qwen2", eos_token_id=ids("<|im_end|>"),
                                pad_token_id=ids("<|endoftext|>")),
        image_token_id=ids("<image>"), video_token_id=ids("<video>"), image_grid_pinpoints=[[side, side * 2]],
        vision_feature_select_strategy="full", vision_feature_layer=-1,
    )
    model = LlavaOnevisionForConditionalGeneration(config)
    model.generation_config.eos_token_id = ids("<|im_end|>")
    model.generation_config.pad_token_id = ids("<|endoftext|>")
    size = {"height": side, "width": side}
    processor = LlavaOnevisionProcessor(
        image_processor=LlavaOnevisionImageProcessor(size=size, image_grid_pinpoints=[[side, side * 2]]),
        video_processor=LlavaOnevisionVideoProcessor(size=size), tokenizer=tokenizer, num_image_tokens=tile_tokens,
        vision_feature_select_strategy="full", chat_template=tokenizer.chat_template)
    return model, processor


def paligemma(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    from transformers import (
        PaliGemmaConfig,
        PaliGemmaForConditionalGeneration,
        PaliGemmaProcessor,
        SiglipImageProcessor,
    )

    # the processor appends "\n" to every text (big_vision's prefix separator): it ends the generation prompt
    tokens = Tokens(pad="<pad>", eos="<eos>", bos="<bos>",
                    template=chat_template(image="<image>\n", turn=CHATML["turn"],
                                           generation_prompt="<|im_start|>assistant"),
                    named={"image_token": "<image>"}, extra=("<|im_start|>", "<|im_end|>"))
    tokenizer = build_tokenizer(tokens, spec.vocab_size, corpus, split_digits=spec.split_digits)
    ids = tokenizer.convert_tokens_to_ids
    side = _side(spec)
    config = PaliGemmaConfig(
        vision_config={**_siglip(spec, side), "projection_dim": spec.text_width, "vision_use_head": False},
        text_config=text_config(spec, len(tokenizer), model_type="gemma", bos_token_id=ids("<bos>"),
                                eos_token_id=ids("<eos>"), pad_token_id=ids("<pad>")),
        image_token_id=ids("<image>"), projection_dim=spec.text_width, hidden_size=spec.text_width,
    )
    model = PaliGemmaForConditionalGeneration(config)
    model.generation_config.eos_token_id = [ids("<eos>"), ids("<|im_end|>")]
    model.generation_config.pad_token_id = ids("<pad>")
    image_processor = SiglipImageProcessor(size={"height": side, "width": side})
    image_processor.image_seq_length = (side // PATCH) ** 2
    processor = PaliGemmaProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                   chat_template=tokenizer.chat_template)
    return model, processor
