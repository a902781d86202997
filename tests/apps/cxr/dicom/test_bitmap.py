"""PNG/JPEG radiographs: 8-bit grey as displayed, 16-bit grey with a percentile window, colour reduced to grey,
and anything else (a renamed file, a cut-off download, another format) a named `DicomError`."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from apps.cxr import DicomError
from apps.cxr.dicom.bitmap import load_bitmap


@pytest.fixture(scope="module")
def grey(files) -> np.ndarray:
    return np.round(files.radiograph() * 255).astype(np.uint8)


def test_eight_bit_png_maps_grey_levels_straight_to_unit_range(tmp_path, grey) -> None:
    Image.fromarray(grey).save(tmp_path / "x.png")
    image = load_bitmap(tmp_path / "x.png")
    np.testing.assert_allclose(image.pixels, grey / 255, atol=1e-6)
    assert image.meta.transfer_syntax == "PNG" and image.meta.view_position is None


def test_sixteen_bit_png_gets_a_percentile_window(tmp_path, grey) -> None:
    Image.fromarray(grey.astype(np.uint16) * 16).save(tmp_path / "x.png")
    image = load_bitmap(tmp_path / "x.png")
    assert image.meta.bits_allocated == 16 and image.meta.voi_source == "percentiles"
    assert image.pixels.min() == 0.0 and image.pixels.max() == 1.0


def test_colour_jpeg_is_reduced_to_grey(tmp_path, grey) -> None:
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / "x.jpg", quality=95)
    image = load_bitmap(tmp_path / "x.jpg")
    assert image.pixels.shape == grey.shape
    np.testing.assert_allclose(image.pixels, grey / 255, atol=0.06)


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda path, grey: path.write_bytes(b"not an image"), "cannot be decoded"),
        (lambda path, grey: Image.fromarray(grey).save(path, format="GIF"), "is a GIF image"),
    ],
    ids=["renamed-text", "gif"],
)
def test_unusable_files_raise_named_errors(tmp_path, grey, write, expected) -> None:
    path = tmp_path / "upload.png"
    write(path, grey)
    with pytest.raises(DicomError, match=f"^upload.png: .*{expected}"):
        load_bitmap(path)


def test_truncated_png(tmp_path, grey) -> None:
    Image.fromarray(grey).save(tmp_path / "x.png")
    data = (tmp_path / "x.png").read_bytes()
    (tmp_path / "x.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DicomError, match="truncated"):
        load_bitmap(tmp_path / "x.png")
