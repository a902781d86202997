"""Image ingestion: ordinary uploads load upright, RGB and bounded in size; bad uploads fail with a message
that names the file and what was expected."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from apps.image_diff import ImageInputError, load_image, load_images

EXPECTED = "expected a PNG, JPEG, WebP, TIFF, GIF or BMP image"


def quadrant_colors(image: Image.Image) -> np.ndarray:
    """(4, 3) colour at the centre of each quadrant, row by row, as ints."""
    width, height = image.size
    pixels = np.asarray(image, dtype=int)
    return np.array([pixels[height * r // 4, width * c // 4] for r in (1, 3) for c in (1, 3)])


def assert_pattern(image: Image.Image, files: ModuleType, tolerance: int = 12) -> None:
    assert image.mode == "RGB"
    assert image.size == files.SIZE
    assert np.abs(quadrant_colors(image) - np.array(files.QUADRANTS)).max() <= tolerance


@pytest.mark.parametrize("extension", ["png", "jpg", "webp", "tif", "gif", "bmp"])
def test_each_format_loads_as_rgb(tmp_path: Path, files: ModuleType, extension: str) -> None:
    path = files.write_format(tmp_path, extension)
    assert_pattern(load_image(path), files)
    assert_pattern(load_image(path.read_bytes()), files)


def test_exif_orientation_is_applied(tmp_path: Path, files: ModuleType) -> None:
    path = files.write_rotated_jpeg(tmp_path / "phone.jpg")
    assert Image.open(path).size == (files.SIZE[1], files.SIZE[0])  # stored on its side
    assert_pattern(load_image(path), files)


def test_transparency_becomes_white(tmp_path: Path, files: ModuleType) -> None:
    colors = quadrant_colors(load_image(files.write_transparent_png(tmp_path / "cutout.png")))
    assert colors[[0, 2]].tolist() == [[255, 255, 255]] * 2
    assert colors[[1, 3]].tolist() == [list(files.QUADRANTS[1]), list(files.QUADRANTS[3])]


def test_16bit_greyscale_keeps_its_brightness(tmp_path: Path, files: ModuleType) -> None:
    image = load_image(files.write_16bit_png(tmp_path / "scan.png", value=32768))
    assert np.unique(np.asarray(image)).tolist() == [127]


def test_large_image_is_downscaled_deterministically(tmp_path: Path, files: ModuleType) -> None:
    path = files.write_large_jpeg(tmp_path / "camera.jpg", size=(4000, 3000))
    first, second = load_image(path), load_image(path)
    assert first.size == (1024, 768)
    assert first.tobytes() == second.tobytes()
    assert load_image(path, max_side=200).size == (200, 150)


def test_small_image_is_never_upscaled(tmp_path: Path, files: ModuleType) -> None:
    path = files.write_format(tmp_path, "png")
    assert load_image(path, max_side=4096).size == files.SIZE
    assert load_image(path, max_side=24).size == (24, 16)


def test_later_images_take_the_first_images_size(tmp_path: Path, files: ModuleType) -> None:
    small = files.write_format(tmp_path, "png")
    large = files.write_large_jpeg(tmp_path / "large.jpg", size=(480, 320))
    images = load_images([small, large, small.read_bytes()])
    assert [image.size for image in images] == [files.SIZE] * 3
    assert_pattern(images[1], files)


@pytest.mark.parametrize("count", [0, 1, 4])
def test_wrong_number_of_images_is_refused(tmp_path: Path, files: ModuleType, count: int) -> None:
    path = files.write_format(tmp_path, "png")
    with pytest.raises(ImageInputError, match=f"expected 2 or 3 images, got {count}"):
        load_images([path] * count)


def test_bomb_header_is_refused_before_decoding(tmp_path: Path, files: ModuleType) -> None:
    path = files.write_declared_size_png(tmp_path / "bomb.png", 50_000, 50_000)
    assert path.stat().st_size < 100
    with pytest.raises(ImageInputError, match=r"^bomb\.png: image declares too many pixels"):
        load_image(path)


@pytest.mark.parametrize(
    ("width", "height"),
    [(10_000, 10_000), (9_000, 8_000)],  # above Pillow's warning level; above our limit only
)
def test_oversized_header_is_refused(tmp_path: Path, files: ModuleType, width: int, height: int) -> None:
    path = files.write_declared_size_png(tmp_path / "huge.png", width, height)
    with pytest.raises(ImageInputError, match="at most 64,000,000 pixels"):
        load_image(path)


def test_pixel_limit_is_a_parameter(tmp_path: Path, files: ModuleType) -> None:
    path = files.write_format(tmp_path, "png")
    with pytest.raises(ImageInputError, match="at most 1,000 pixels"):
        load_images([path, path], max_pixels=1_000)


@pytest.mark.parametrize(
    ("writer", "message"),
    [
        ("write_text", f"not a readable image; {EXPECTED}"),
        ("write_truncated", f"corrupt or truncated image .*; {EXPECTED}"),
        ("write_tga", f"not a readable image; {EXPECTED}"),
    ],
)
def test_bad_file_names_the_file_and_what_was_expected(
    tmp_path: Path, files: ModuleType, writer: str, message: str
) -> None:
    folder = tmp_path / "private-folder"
    folder.mkdir()
    bad = getattr(files, writer)(folder / "upload.png")
    good = files.write_format(tmp_path, "png")
    with pytest.raises(ImageInputError, match=f"^upload.png: {message}") as caught:
        load_images([good, bad])
    assert "private-folder" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_truncated_jpeg_is_refused(tmp_path: Path, files: ModuleType) -> None:
    with pytest.raises(ImageInputError, match="^cut.jpg: corrupt or truncated image"):
        load_image(files.write_truncated(tmp_path / "cut.jpg", "jpg"))


def test_bytes_are_named_by_position(tmp_path: Path, files: ModuleType) -> None:
    good = files.write_format(tmp_path, "png").read_bytes()
    with pytest.raises(ImageInputError, match="^image 2: not a readable image"):
        load_images([good, b"%PDF-1.7 not an image"])


def test_missing_file_or_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError, match="^gone.png: no such file"):
        load_image(tmp_path / "gone.png")
    (tmp_path / "photos").mkdir()
    with pytest.raises(ImageInputError, match="^photos: no such file"):
        load_image(tmp_path / "photos")
