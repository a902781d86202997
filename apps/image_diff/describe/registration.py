"""Co-registration before comparison: a later image shifted as a whole by a few pixels against the first (a
re-taken screenshot, a crop off by one, a scanner's feed) is moved back before the model sees it.

A global shift of 1-2 px is no edit, yet it moves every patch the encoder compares, and the demo model then
calls about half of such pairs edited (docs/RECIPE.md). `register` estimates each later image's translation
against the first by phase correlation (the normalised cross-power spectrum's peak, numpy FFT) and, when it is
at most `MAX_SHIFT` px on both axes and not zero, shifts the image back with edge padding. A larger shift is
left alone: it is content (an object moved), not misregistration. An edit that moves one object does not move
the rest of the picture, so the correlation peak stays at zero and nothing is shifted.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MAX_SHIFT = 3  # px on either axis: the largest translation treated as misregistration


def estimate_shift(reference: Image.Image, moving: Image.Image) -> tuple[int, int]:
    """(dy, dx) in whole pixels such that `moving` is `reference` shifted down by dy and right by dx."""
    a, b = (np.asarray(image.convert("L"), np.float64) for image in (reference, moving))
    spectrum = np.fft.fft2(b - b.mean()) * np.conj(np.fft.fft2(a - a.mean()))
    surface = np.fft.ifft2(spectrum / np.maximum(np.abs(spectrum), 1e-9)).real
    dy, dx = np.unravel_index(int(np.argmax(surface)), surface.shape)
    height, width = surface.shape
    return int(dy - height if dy > height // 2 else dy), int(dx - width if dx > width // 2 else dx)


def shifted_back(image: Image.Image, dy: int, dx: int) -> Image.Image:
    """`image` moved up by dy and left by dx, the uncovered border filled with its edge pixels."""
    pad = max(abs(dy), abs(dx))
    pixels = np.pad(np.asarray(image), ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    top, left = pad + dy, pad + dx
    return Image.fromarray(pixels[top:top + image.height, left:left + image.width])


def register(images: list[Image.Image]) -> tuple[list[Image.Image], list[tuple[int, int]]]:
    """The images (oldest first, one size, RGB) with each later one aligned to the first where it is shifted as a
    whole by at most `MAX_SHIFT` px, the others unchanged; and the (dy, dx) undone per later image ((0, 0): none)."""
    first, aligned, shifts = images[0], [images[0]], []
    for image in images[1:]:
        if image.size != first.size:  # `ingest.load_images` resizes; a training split's files may differ
            aligned.append(image)
            shifts.append((0, 0))
            continue
        dy, dx = estimate_shift(first, image)
        small = (dy, dx) != (0, 0) and max(abs(dy), abs(dx)) <= MAX_SHIFT
        aligned.append(shifted_back(image, dy, dx) if small else image)
        shifts.append((dy, dx) if small else (0, 0))
    return aligned, shifts


def alignment_notice(shifts: list[tuple[int, int]]) -> str:
    """'' when nothing was moved, else a sentence a user can read, e.g. 'Image 2 was shifted 1 px down ...'."""
    parts = []
    for number, (dy, dx) in enumerate(shifts, start=2):
        if (dy, dx) != (0, 0):
            moves = [f"{abs(dy)} px {'down' if dy > 0 else 'up'}" if dy else "",
                     f"{abs(dx)} px {'right' if dx > 0 else 'left'}" if dx else ""]
            parts.append(f"image {number} sat {' and '.join(m for m in moves if m)} of image 1")
    if not parts:
        return ""
    return (f"Aligned before comparing: {'; '.join(parts)}, so it was moved back (a whole-image shift this small "
            "is misregistration, not an edit).")
