"""Describe what changed between 2-3 images: safe ingestion here, synthetic edit data in `synthetic`."""

from apps.image_diff.ingest import ImageInputError, load_image, load_images

__all__ = ["ImageInputError", "load_image", "load_images"]
