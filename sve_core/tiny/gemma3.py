"""A tiny Gemma-3 (SigLIP tower, average-pooling projector, Gemma-3 decoder with sliding-window layers).

SigLIP layers have separate q/k/v, LayerNorm, fc1/fc2 and absolute positions; images arrive as a normal batch
``(num_images, 3, H, W)``; the projector pools each image's patch grid to `mm_tokens_per_image` tokens (256 on
the hub, 4 here). Images in the prompt are ``<start_of_image>``, which the processor expands into
``<start_of_image>`` + soft tokens + ``<end_of_image>``.
"""

from __future__ import annotations

from collections.abc import Iterable

from transformers import PreTrainedModel, ProcessorMixin

from sve_core.tiny.spec import TinySpec, randomize, text_config
from sve_core.tiny.tokenizer import Tokens, build_tokenizer, chat_template

TOKENS = Tokens(
    pad="<pad>", eos="<eos>", bos="<bos>",
    template=chat_template(prefix="<bos>", turn="<start_of_turn>{role}\n{content}<end_of_turn>\n",
                           generation_prompt="<start_of_turn>model\n", image="<start_of_image>",
                           roles={"assistant": "model"}),
    named={"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>"},
    extra=("<start_of_turn>", "<end_of_turn>"),
)
PATCH = 14
POOLED_SIDE = 2  # language-model tokens per image side after pooling


def gemma3(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3ImageProcessor,
        Gemma3Processor,
    )

    tokenizer = build_tokenizer(TOKENS, spec.vocab_size, corpus, split_digits=spec.split_digits)
    ids = tokenizer.convert_tokens_to_ids
    grid = max(1, round(spec.image_size / PATCH / POOLED_SIDE)) * POOLED_SIDE  # patches per side, poolable
    side = grid * PATCH
    text = text_config(spec, len(tokenizer), query_pre_attn_scalar=spec.text_head_dim, sliding_window=16,
                       layer_types=["sliding_attention" if (i + 1) % 2 else "full_attention"
                                    for i in range(spec.text_layers)],
                       bos_token_id=ids("<bos>"), eos_token_id=[ids("<eos>"), ids("<end_of_turn>")],
                       pad_token_id=ids("<pad>"))
    config = Gemma3Config(
        text_config=text,
        vision_config=dict(model_type="siglip_vision_model", hidden_size=spec.vision_width,
                           intermediate_size=spec.vision_width * 2, num_hidden_layers=spec.vision_depth,
                           num_attention_heads=spec.vision_heads, image_size=side, patch_size=PATCH,
                           vision_use_head=False),
        mm_tokens_per_image=POOLED_SIDE * POOLED_SIDE, boi_token_index=ids("<start_of_image>"),
        eoi_token_index=ids("<end_of_image>"), image_token_index=ids("<image_soft_token>"),
    )
    model = Gemma3ForConditionalGeneration(config)
    randomize(model.model.multi_modal_projector.mm_input_projection_weight)
    model.generation_config.eos_token_id = [ids("<eos>"), ids("<end_of_turn>")]
    model.generation_config.pad_token_id = ids("<pad>")
    processor = Gemma3Processor(image_processor=Gemma3ImageProcessor(size={"height": side, "width": side}),
                                tokenizer=tokenizer, image_seq_length=POOLED_SIDE * POOLED_SIDE,
                                chat_template=tokenizer.chat_template)
    return model, processor
