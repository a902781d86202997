"""Fake upload files for tests/apps/image_diff, written into a test's tmp_path.

Every good image is the same asymmetric four-colour pattern, so a test can tell a rotated or mirrored load
from a correct one; the bad files are the ways uploads go wrong: a renamed text file, a cut-off download, a
header declaring billions of pixels, an exotic format. Run `python tests/data/image_diff/data.py DIR` to
write them all and look at them.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

# Quadrant colours, row by row: top left, top right, bottom left, bottom right.
QUADRANTS = ((220, 30, 30), (30, 180, 60), (40, 70, 220), (240, 210, 40))
SIZE = (48, 32)  # (width, height): landscape, so a missed rotation shows in the size too
FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "tif": "TIFF", "gif": "GIF", "bmp": "BMP"}
ORIENTATION = 0x0112


def pattern(size: tuple[int, int] = SIZE) -> Image.Image:
    width, height = size
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    for index, color in enumerate(QUADRANTS):
        row, col = divmod(index, 2)
        pixels[row * height // 2 : (row + 1) * height // 2, col * width // 2 : (col + 1) * width // 2] = color
    return Image.fromarray(pixels, "RGB")


def write_format(folder: Path, extension: str) -> Path:
    """The pattern in one format; the GIF is animated and only its first frame is the pattern."""
    path = folder / f"pattern.{extension}"
    if extension == "gif":
        second = Image.new("RGB", SIZE, (0, 0, 0))
        pattern().save(path, save_all=True, append_images=[second], duration=100, loop=0)
    else:
        pattern().save(path, FORMATS[extension], **({"quality": 95} if extension in ("jpg", "webp") else {}))
    return path


def write_rotated_jpeg(path: Path) -> Path:
    """Stored on its side with EXIF orientation 6 ("rotate 90 degrees clockwise to view"), as phones do."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    pattern().transpose(Image.Transpose.ROTATE_90).save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


def write_transparent_png(path: Path) -> Path:
    """The pattern with its left half fully transparent, which must come out white."""
    image = pattern().convert("RGBA")
    alpha = np.full((SIZE[1], SIZE[0]), 255, dtype=np.uint8)
    alpha[:, : SIZE[0] // 2] = 0
    image.putalpha(Image.fromarray(alpha, "L"))
    image.save(path)
    return path


def write_16bit_png(path: Path, value: int = 32768) -> Path:
    """Flat 16-bit greyscale at half scale: mid grey, not the white a naive conversion gives."""
    Image.fromarray(np.full((SIZE[1], SIZE[0]), value, dtype=np.uint16)).save(path)
    return path


def write_large_jpeg(path: Path, size: tuple[int, int] = (4000, 3000)) -> Path:
    pattern().resize(size, Image.Resampling.NEAREST).save(path, "JPEG", quality=80)
    return path


def write_declared_size_png(path: Path, width: int, height: int) -> Path:
    """A valid ~70-byte PNG whose header declares `width` x `height`: a decompression bomb's calling card."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )
    return path


def write_truncated(path: Path, extension: str = "png") -> Path:
    """The first half of a noisy image's file, as left by an interrupted download."""
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    full = path.with_name(f"full.{extension}")
    Image.fromarray(noise, "RGB").save(full, FORMATS[extension])
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    full.unlink()
    return path


def write_text(path: Path) -> Path:
    path.write_text("name,value\nnot,an image\n")
    return path


def write_tga(path: Path) -> Path:
    """A format Pillow reads but the loader is not meant to accept."""
    pattern().save(path, "TGA")
    return path


def write_all(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for extension in FORMATS:
        write_format(folder, extension)
    write_rotated_jpeg(folder / "rotated.jpg")
    write_transparent_png(folder / "transparent.png")
    write_16bit_png(folder / "grey16.png")
    write_declared_size_png(folder / "bomb.png", 50_000, 50_000)
    write_truncated(folder / "truncated.png")
    write_text(folder / "table.png")
    write_tga(folder / "pattern.tga")


if __name__ == "__main__":
    write_all(Path(sys.argv[1]))
