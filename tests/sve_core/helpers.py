"""Small builders shared by the sve_core tests: seeded random images and chat inputs."""

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
