"""Tiny GLM-4.1V (`glm4v`), GLM-4.5V (`glm4v_moe`: routed-expert decoder) and GLM-4.6V (`glm46v`) models.

Both use the same vision tower (`Glm4vVisionModel`: fused qkv, RMSNorm, SwiGLU blocks, 2D RoPE plus resampled
learned positions, a conv downsample to language-model tokens) and a GLM-4 decoder; GLM-4.6V only wraps them
in its own model, processor and image processor classes. The chat format is GLM's
``[gMASK]<sop><|user|>\\n...<|assistant|>\\n`` with ``<|begin_of_image|><|image|><|end_of_image|>`` per image.
"""

from __future__ import annotations

from collections.abc import Iterable

from transformers import PreTrainedModel, ProcessorMixin

from sve_core.tiny.spec import TinySpec, experts, mrope, text_config
from sve_core.tiny.tokenizer import Tokens, build_tokenizer, chat_template

TOKENS = Tokens(
    pad="<|endoftext|>", eos="<|endoftext|>",
    template=chat_template(prefix="[gMASK]<sop>", turn="<|{role}|>\n{content}", generation_prompt="<|assistant|>\n",
                           image="<|begin_of_image|><|image|><|end_of_image|>"),
    named={"image_token": "<|image|>", "video_token": "<|video|>"},
    extra=("[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|begin_of_image|>", "<|end_of_image|>",
           "<|begin_of_video|>", "<|end_of_video|>"),
)
PATCH = 14


def _build(spec: TinySpec, corpus: Iterable[str], *, flavour: str) -> tuple[PreTrainedModel, ProcessorMixin]:
    import transformers

    names = {"glm4v": ("Glm4vConfig", "Glm4vForConditionalGeneration", "Glm4vProcessor", "Glm4vImageProcessor",
                       "Glm4vVideoProcessor"),
             "glm4v_moe": ("Glm4vMoeConfig", "Glm4vMoeForConditionalGeneration", "Glm4vProcessor",
                           "Glm4vImageProcessor", "Glm4vVideoProcessor"),
             "glm46v": ("Glm46VConfig", "Glm46VForConditionalGeneration", "Glm46VProcessor", "Glm46VImageProcessor",
                        "Glm46VVideoProcessor")}[flavour]
    config_class, model_class, processor_class, image_class, video_class = (getattr(transformers, n) for n in names)
    tokenizer = build_tokenizer(TOKENS, spec.vocab_size, corpus, split_digits=spec.split_digits)
    ids = tokenizer.convert_tokens_to_ids
    side = max(1, round(spec.image_size / (2 * PATCH))) * 2 * PATCH
    text = text_config(spec, len(tokenizer), pad_token_id=ids("<|endoftext|>"),
                       rope_parameters=mrope(spec.text_head_dim // 2, partial_rotary_factor=0.5))
    text.pop("head_dim")  # GLM-4 derives it from hidden_size / num_attention_heads
    if flavour == "glm4v_moe":  # GLM-4.5V: the first layer dense, then routed experts plus a shared one
        sparse = experts(spec)
        text.update(n_routed_experts=sparse.pop("num_experts"), n_shared_experts=1, first_k_dense_replace=1,
                    n_group=1, topk_group=1, **sparse)
    config = config_class(
        text_config=text,
        vision_config=dict(depth=spec.vision_depth, hidden_size=spec.vision_width, num_heads=spec.vision_heads,
                           out_hidden_size=spec.text_width, intermediate_size=spec.text_width * 2, image_size=side,
                           patch_size=PATCH, spatial_merge_size=2, temporal_patch_size=2),
        image_token_id=ids("<|image|>"), video_token_id=ids("<|video|>"),
        image_start_token_id=ids("<|begin_of_image|>"), image_end_token_id=ids("<|end_of_image|>"),
        video_start_token_id=ids("<|begin_of_video|>"), video_end_token_id=ids("<|end_of_video|>"),
    )
    model = model_class(config)
    # GLM stops at the end of text or when it would open the next user turn
    model.generation_config.eos_token_id = [ids("<|endoftext|>"), ids("<|user|>")]
    model.generation_config.pad_token_id = ids("<|endoftext|>")
    # The processor resizes so that two temporal copies of an image fit `longest_edge` pixels.
    size = {"shortest_edge": side * side, "longest_edge": 2 * side * side}
    geometry = dict(patch_size=PATCH, merge_size=2, temporal_patch_size=2)
    processor = processor_class(image_processor=image_class(size=size, **geometry), tokenizer=tokenizer,
                                video_processor=video_class(**geometry), chat_template=tokenizer.chat_template)
    return model, processor


def glm4v(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    return _build(spec, corpus, flavour="glm4v")


def glm4v_moe(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    return _build(spec, corpus, flavour="glm4v_moe")


def glm46v(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    return _build(spec, corpus, flavour="glm46v")
