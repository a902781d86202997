"""A tiny InternVL (3.5-style: InternViT tower, pixel-shuffle MLP projector, Qwen3 decoder).

InternViT blocks have separate q/k/v with qk-norm (the InternViT-6B style, so SVE's qk-norm path is exercised),
LayerScale on both branches, absolute positions and a CLS token. Images arrive as a batch of square tiles; the
hub processor cuts each image into up to 12 tiles plus a thumbnail, which this tiny processor turns off (one
tile per image, `max_patches=1`) to keep tests small; pass ``images_kwargs={"crop_to_patches": True,
"max_patches": n}`` to a call to get several tiles per image (all tiles of an image are one run of
``<IMG_CONTEXT>`` placeholders). The chat format is ChatML with ``<IMG_CONTEXT>\\n`` per image.
"""

from __future__ import annotations

from collections.abc import Iterable

from transformers import PreTrainedModel, ProcessorMixin

from sve_core.tiny.spec import TinySpec, randomize, text_config
from sve_core.tiny.tokenizer import Tokens, build_tokenizer, chat_template

TOKENS = Tokens(
    pad="<|endoftext|>", eos="<|im_end|>",
    template=chat_template(turn="<|im_start|>{role}\n{content}<|im_end|>\n", generation_prompt="<|im_start|>assistant\n",
                           image="<IMG_CONTEXT>\n"),
    named={"start_image_token": "<img>", "end_image_token": "</img>", "context_image_token": "<IMG_CONTEXT>",
           "video_token": "<video>"},
    extra=("<|im_start|>",),
)
PATCH = 14


def internvl(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    from transformers import (
        GotOcr2ImageProcessor,
        InternVLConfig,
        InternVLForConditionalGeneration,
        InternVLProcessor,
        InternVLVideoProcessor,
    )

    tokenizer = build_tokenizer(TOKENS, spec.vocab_size, corpus, split_digits=spec.split_digits)
    ids = tokenizer.convert_tokens_to_ids
    side = max(2, round(spec.image_size / PATCH)) // 2 * 2 * PATCH  # an even patch grid, for the pixel shuffle
    tokens_per_tile = (side // PATCH // 2) ** 2  # pixel shuffle halves both sides
    config = InternVLConfig(
        text_config=text_config(spec, len(tokenizer), model_type="qwen3", rope_parameters={"rope_type": "default",
                                "rope_theta": 10000.0}, eos_token_id=ids("<|im_end|>"),
                                pad_token_id=ids("<|endoftext|>"), tie_word_embeddings=True),
        vision_config=dict(hidden_size=spec.vision_width, num_hidden_layers=spec.vision_depth,
                           num_attention_heads=spec.vision_heads, intermediate_size=spec.vision_width * 2,
                           image_size=side, patch_size=PATCH, use_qk_norm=True, norm_type="rms_norm"),
        image_token_id=ids("<IMG_CONTEXT>"), image_seq_length=tokens_per_tile, downsample_ratio=0.5,
    )
    model = InternVLForConditionalGeneration(config)
    embeddings = model.model.vision_tower.embeddings
    randomize(embeddings.position_embeddings, embeddings.cls_token)
    image_processor = GotOcr2ImageProcessor(size={"height": side, "width": side}, crop_to_patches=False,
                                            max_patches=1)
    processor = InternVLProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                  video_processor=InternVLVideoProcessor(size={"height": side, "width": side}),
                                  image_seq_length=tokens_per_tile, chat_template=tokenizer.chat_template)
    return model, processor
