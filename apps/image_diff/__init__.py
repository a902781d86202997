"""Describe what changed between 2-3 images: safe ingestion (`ingest`), the answer format (`answers`), the model's
view (`describe/`) and synthetic edit data (`synthetic/`); `app.py`, `cli.py` and `evaluate.py` build on them."""

from apps.image_diff.ingest import ImageInputError, load_image, load_images

__all__ = ["ImageInputError", "load_image", "load_images"]
