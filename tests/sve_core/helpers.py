"""Small builders shared by the sve_core tests: seeded random images, chat inputs, and a VLM whose vision tower
SVE does not support."""

from __future__ import annotations

import numpy as np
from PIL import Image


def random_images(count: int, size: int = 56, seed: int = 0) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)) for _ in range(count)]


def chat_inputs(processor, image_counts: list[int], images: list[Image.Image], prompt: str = "what changed?"):
    texts = [
        processor.apply_chat_template(
            [{"role": "user", "content": [*([{"type": "image"}] * n), {"type": "text", "text": prompt}]}],
            add_generation_prompt=True,
        )
        for n in image_counts
    ]
    batch = processor(text=texts, images=images, return_tensors="pt", padding=True)
    batch.pop("labels", None)  # PaliGemma's processor adds labels for backward compatibility; tests set their own
    return batch


def llava_pixtral():
    """(model, processor) of a tiny LLaVA with a Pixtral tower: rotary blocks with their own part names, which the
    generic adapter must refuse (saying what to declare) rather than mis-inject."""
    from transformers import LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor, PixtralImageProcessor

    from sve_core.tiny.tokenizer import Tokens, build_tokenizer, chat_template

    template = chat_template(turn="{role}: {content}\n", generation_prompt="assistant:", image="[IMG]")
    tokenizer = build_tokenizer(Tokens(pad="<pad>", eos="<eos>", template=template, named={"image_token": "[IMG]"}),
                                300)
    config = LlavaConfig(
        vision_config=dict(model_type="pixtral", hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                           num_attention_heads=2, image_size=28, patch_size=14, head_dim=8),
        text_config=dict(model_type="llama", vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1),
        image_token_id=tokenizer.convert_tokens_to_ids("[IMG]"))
    processor = LlavaProcessor(image_processor=PixtralImageProcessor(patch_size=14), tokenizer=tokenizer,
                               patch_size=14, chat_template=template)
    return LlavaForConditionalGeneration(config), processor
