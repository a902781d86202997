"""Safe loading of the 2-3 images a user wants compared.

Uploads are untrusted: a file may be a decompression bomb, a truncated download, a renamed document or an
exotic format whose Pillow plugin has a history of security bugs (EPS even starts Ghostscript). So only a
short list of ordinary formats is decoded, the declared pixel count is checked before any pixel is decoded,
and every failure becomes an `ImageInputError` naming the file (base name only, never its folder) and what
was expected, which the CLI and UI show as a message rather than a traceback.

Pillow's bomb warning is turned into an error while a file opens; that warning filter is process-wide, so
under a threaded server another thread may briefly see it differently. The explicit pixel check, set below
Pillow's warning level, is what guards every load either way.

What comes out is what a model and a heatmap need: RGB (alpha composited on white), upright (EXIF
orientation applied), at most `max_side` pixels on the long side, and all at the first image's size.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

# Pillow format ids the loader decodes (JPEG includes camera MPO files, which Pillow opens through it).
FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "GIF", "BMP")
EXPECTED = "a PNG, JPEG, WebP, TIFF, GIF or BMP image"
DEFAULT_MAX_SIDE = 1024
# Below Pillow's own warning level (Image.MAX_IMAGE_PIXELS, ~89 MP), so this check is the one that fires and
# a 48 MP phone photo still loads. A larger value cannot lift Pillow's own ceiling.
DEFAULT_MAX_PIXELS = 64_000_000
MIN_IMAGES, MAX_IMAGES = 2, 3

# What Pillow's decoders raise on broken input; anything else is a bug here and should surface as one.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
)


class ImageInputError(ValueError):
    """An input image the user has to replace: the message names the file and what was expected."""


def load_images(
    sources: Sequence[str | Path | bytes],
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> list[Image.Image]:
    """Load 2-3 images, oldest first, as RGB images of one common size.

    Later images whose size differs from the first are resized (aspect ratio not kept) to the first image's
    size: the model compares positions across images and heatmaps are drawn over the first image, so both
    need pixel-aligned inputs. Bytes sources are named "image 1", "image 2", ... in messages.
    """
    if not MIN_IMAGES <= len(sources) <= MAX_IMAGES:
        raise ImageInputError(f"expected {MIN_IMAGES} or {MAX_IMAGES} images, got {len(sources)}")
    images = [
        load_image(source, name=_name(source, index), max_side=max_side, max_pixels=max_pixels)
        for index, source in enumerate(sources)
    ]
    first = images[0]
    return [first] + [
        image if image.size == first.size else image.resize(first.size, Image.Resampling.LANCZOS)
        for image in images[1:]
    ]


def load_image(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    max_side: int = DEFAULT_MAX_SIDE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Decode one image into an upright RGB image no larger than `max_side` on its long side."""
    if max_side < 1 or max_pixels < 1:
        raise ValueError(f"max_side and max_pixels must be positive, got {max_side} and {max_pixels}")
    name = name or _name(source, 0)
    stream = _open(source, name)
    try:
        with stream, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=FORMATS) as image:
                _check_pixels(image, name, max_pixels)
                image.draft("RGB", _fitted_size(image.size, max_side))
                image.load()
                upright = ImageOps.exif_transpose(image)
            rgb = _to_rgb(upright)
    except ImageInputError:
        raise
    except Image.UnidentifiedImageError as error:
        raise ImageInputError(f"{name}: not a readable image; expected {EXPECTED}") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageInputError(_too_large(name, max_pixels)) from error
    except _DECODE_ERRORS as error:
        raise ImageInputError(f"{name}: corrupt or truncated image ({error}); expected {EXPECTED}") from error
    return _downscale(rgb, max_side)


def _name(source: str | Path | bytes, index: int) -> str:
    """The name used in messages: a path's base name only, since full paths may reveal private folders."""
    return f"image {index + 1}" if isinstance(source, bytes) else Path(source).name


def _open(source: str | Path | bytes, name: str) -> BinaryIO:
    """The source as a binary stream; opening a path here keeps its folder out of every message."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        return Path(source).open("rb")
    except (FileNotFoundError, IsADirectoryError) as error:
        raise ImageInputError(f"{name}: no such file; expected {EXPECTED}") from error
    except OSError as error:
        raise ImageInputError(f"{name}: cannot be read ({error.strerror}); expected {EXPECTED}") from error


def _too_large(name: str, max_pixels: int) -> str:
    return f"{name}: image declares too many pixels; expected at most {max_pixels:,} pixels"


def _check_pixels(image: Image.Image, name: str, max_pixels: int) -> None:
    """Refuse on the size in the header, before decoding allocates memory for it."""
    width, height = image.size
    if width * height > max_pixels:
        raise ImageInputError(_too_large(name, max_pixels))


def _fitted_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` scaled down (never up) so its long side is at most `max_side`, aspect ratio kept."""
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _downscale(image: Image.Image, max_side: int) -> Image.Image:
    size = _fitted_size(image.size, max_side)
    return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB with transparency shown as white, the usual backdrop of edited images and of the UI."""
    if image.mode.startswith("I") or image.mode == "F":
        image = _high_depth_to_l(image)
    if image.has_transparency_data:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float greyscale would clip to white in Pillow's `convert("L")`.

    16-bit images use the full 16-bit range; 32-bit and float ones have no standard range, so their own
    minimum and maximum map to black and white.
    """
    low, high = (0, 65535) if image.mode.startswith("I;16") else image.getextrema()
    scale = 255 / (high - low) if high > low else 0.0
    return image.convert("F").point(lambda value: (value - low) * scale).convert("L")
