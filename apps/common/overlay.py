"""Change heatmaps drawn over images (for viewers, reports and PNG outputs), and their colour bar: one colour map
for every app, 'cividis' (perceptually uniform and readable with the common colour-vision deficiencies), and one
legend that says what the colours mean and over which range."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont

COLORMAP = "cividis"
LEGEND_HEIGHT = 44
_RAMP_HEIGHT = 12
_FONT_SIZE = 13
# what the SVE heatmaps of the chest X-ray and image-diff tabs mean: `Describer` scales each map to its own peak
RELATIVE_CHANGE = "change heatmap: 0 = as before, 1 = this image's strongest difference (scaled per image)"


def colourize(values: np.ndarray) -> np.ndarray:
    """(H, W) in [0, 1] -> (H, W, 3) uint8 in the shared colour map."""
    return (colormaps[COLORMAP](np.clip(values, 0, 1))[..., :3] * 255).astype(np.uint8)


def heatmap_overlay(image: Image.Image, heatmap: np.ndarray | None, *, alpha: float = 0.6) -> Image.Image:
    """`image` with `heatmap` ((H, W) in [0, 1], any size) blended on top in `COLORMAP`: each pixel's colour is
    weighted by `alpha` times its value, so where the map is 0 the image shows through unchanged."""
    base = image.convert("RGB")
    if heatmap is None:
        return base
    heat = Image.fromarray((np.clip(heatmap, 0, 1) * 255).astype(np.uint8)).resize(base.size, Image.BILINEAR)
    values = np.asarray(heat) / 255.0
    weight = alpha * values[..., None].astype(np.float32)
    mixed = np.asarray(base, dtype=np.float32) * (1 - weight) + colourize(values).astype(np.float32) * weight
    return Image.fromarray(mixed.round().astype(np.uint8))


def colour_ramp(width: int, height: int) -> Image.Image:
    """The colour map from 0 (left) to 1 (right), `width` x `height` pixels."""
    return Image.fromarray(colourize(np.tile(np.linspace(0, 1, width), (height, 1))))


def font(size: int = _FONT_SIZE) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in font at `size` px (a scalable one where Pillow has FreeType, else its small bitmap)."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def colour_bar(width: int, meaning: str, low: float = 0.0, high: float = 1.0) -> Image.Image:
    """A white strip `width` px wide: the colour ramp with its range (`low` left, `high` right) and `meaning`."""
    strip = Image.new("RGB", (width, LEGEND_HEIGHT), "white")
    ramp_width = max(40, min(220, width // 3))
    strip.paste(colour_ramp(ramp_width, _RAMP_HEIGHT), (8, 6))
    draw, small = ImageDraw.Draw(strip), font()
    draw.text((8, 6 + _RAMP_HEIGHT + 2), f"{low:.3g}", fill="black", font=small)
    high_text = f"{high:.3g}"
    draw.text((8 + ramp_width - draw.textlength(high_text, font=small), 6 + _RAMP_HEIGHT + 2), high_text,
              fill="black", font=small)
    left = 16 + ramp_width
    _wrapped(draw, (left, 4), meaning, width - left - 4, small)
    return strip


def with_colour_bar(image: Image.Image, meaning: str, low: float = 0.0, high: float = 1.0) -> Image.Image:
    """`image` above its `colour_bar` (as wide as the image, at least 320 px)."""
    width = max(image.width, 320)
    canvas = Image.new("RGB", (width, image.height + LEGEND_HEIGHT), "white")
    canvas.paste(image.convert("RGB"), (0, 0))
    canvas.paste(colour_bar(width, meaning, low, high), (0, image.height))
    return canvas


def _wrapped(draw: ImageDraw.ImageDraw, at: tuple[int, int], text: str, width: int, face: object) -> None:
    """`text` word-wrapped into `width` px from `at`, as many lines as the strip holds."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=face) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    for number, text_line in enumerate(lines[:3]):
        draw.text((at[0], at[1] + number * 13), text_line, fill="black", font=face)
