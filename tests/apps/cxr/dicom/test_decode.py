"""`load_dicom`: every transfer syntax we claim decodes to the same picture; the display pipeline (rescale,
window, MONOCHROME1) is applied in the standard's order; bad files fail with a `DicomError` naming the file
and tag, and nothing from the header (PHI) reaches messages, logs or the metadata."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import get_decoder
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from apps.cxr import DicomError, load_dicom
from apps.cxr.phantoms.dicom_writer import DicomEncoding

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


@pytest.fixture(scope="module")
def reference(files, tmp_path_factory) -> np.ndarray:
    return load_dicom(files.save(files.dataset(), tmp_path_factory.mktemp("ref") / "ref.dcm")).pixels


@pytest.mark.parametrize(
    "syntax",
    [
        ExplicitVRLittleEndian,
        ImplicitVRLittleEndian,
        DeflatedExplicitVRLittleEndian,
        RLELossless,
        JPEG2000Lossless,
    ],
)
def test_each_transfer_syntax_decodes_to_the_same_pixels(files, tmp_path, reference, syntax) -> None:
    image = load_dicom(files.save(files.dataset(), tmp_path / "x.dcm", syntax))
    assert image.meta.transfer_syntax == syntax.name
    assert image.pixels.dtype == np.float32 and image.pixels.shape == (files.SIZE, files.SIZE)
    np.testing.assert_allclose(image.pixels, reference, atol=1e-6)


@pytest.mark.parametrize("window", [True, False])
def test_monochrome1_is_inverted_back_to_bright_bone(files, tmp_path, window) -> None:
    mono2 = load_dicom(files.save(files.dataset(encoding=DicomEncoding(window=window)), tmp_path / "m2.dcm"))
    encoding = DicomEncoding(photometric="MONOCHROME1", window=window)
    mono1 = load_dicom(files.save(files.dataset(encoding=encoding), tmp_path / "m1.dcm"))
    np.testing.assert_allclose(mono1.pixels, mono2.pixels, atol=2e-3)
    np.testing.assert_allclose(mono1.values - mono1.values.min(), mono2.values - mono2.values.min(), atol=1.0)


@pytest.mark.parametrize(
    "encoding",
    [
        DicomEncoding(bits_stored=16, rescale_slope=0.5, rescale_intercept=-1024.0),
        DicomEncoding(bits_stored=12, rescale_slope=2.0, modality="CR"),
    ],
    ids=["16bit-slope0.5", "12bit-slope2"],
)
def test_rescale_and_bit_depth_do_not_change_the_picture(files, tmp_path, reference, encoding) -> None:
    image = load_dicom(files.save(files.dataset(encoding=encoding), tmp_path / "x.dcm"))
    np.testing.assert_allclose(image.pixels, reference, atol=0.02)
    stored = pydicom.dcmread(tmp_path / "x.dcm").pixel_array
    np.testing.assert_allclose(image.values, stored * encoding.rescale_slope + encoding.rescale_intercept)


def test_window_is_applied_to_rescaled_values(files, tmp_path) -> None:
    """A window covering only the upper half of the rescaled range sends the lower half to black."""
    ds = files.dataset(encoding=DicomEncoding(rescale_slope=2.0, rescale_intercept=-100.0))
    values = ds.pixel_array * 2.0 - 100.0
    ds.WindowCenter, ds.WindowWidth = float(np.median(values)) + 200, 400.0
    image = load_dicom(files.save(ds, tmp_path / "x.dcm"))
    assert image.meta.voi_source == "window"
    assert np.all(image.pixels[values <= np.median(values)] == 0.0)
    assert np.all(image.pixels[values >= np.median(values) + 400] == 1.0)


def test_voi_lut_sequence_is_preferred_over_the_window(files, tmp_path) -> None:
    ds = files.dataset(encoding=DicomEncoding(bits_stored=12))
    item = pydicom.Dataset()
    item.LUTDescriptor = [4096, 0, 12]
    item.add_new("LUTData", "US", list(range(4095, -1, -1)))  # inverting, to be told apart from the window
    ds.VOILUTSequence = [item]
    image = load_dicom(files.save(ds, tmp_path / "x.dcm"))
    assert image.meta.voi_source == "voi-lut"
    np.testing.assert_allclose(image.pixels, 1 - ds.pixel_array / 4095, atol=1e-6)


def test_eight_bit_data_without_window_gets_a_percentile_window(files, tmp_path) -> None:
    ds = files.dataset()
    ds.set_pixel_data((ds.pixel_array >> 4).astype(np.uint8), "MONOCHROME2", 8, generate_instance_uid=False)
    del ds.WindowCenter, ds.WindowWidth
    image = load_dicom(files.save(ds, tmp_path / "x.dcm"))
    assert image.meta.bits_allocated == 8 and image.meta.voi_source == "percentiles"
    assert image.pixels.min() == 0.0 and image.pixels.max() == 1.0


def test_multi_frame_uses_the_first_frame_and_warns(files, tmp_path, reference, cxr_logs) -> None:
    image = load_dicom(files.multi_frame(tmp_path / "multi.dcm"))
    np.testing.assert_allclose(image.pixels, reference, atol=1e-6)
    assert image.meta.frames == 2
    assert "2 frames; using the first" in cxr_logs.text


def test_meta_is_de_identified(files, tmp_path) -> None:
    image = load_dicom(
        files.save(files.dataset(encoding=DicomEncoding(view_position="AP")), tmp_path / "x.dcm")
    )
    meta = dataclasses.asdict(image.meta)
    assert (
        meta["view_position"] == "AP" and meta["modality"] == "DX" and meta["pixel_spacing_mm"] == (0.5, 0.5)
    )
    assert meta["bits_stored"] == 12 and meta["photometric_interpretation"] == "MONOCHROME2"
    assert files.leaks(repr(meta)) == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda files, path: files.truncated(path), "truncated"),
        (lambda files, path: files.truncated(path, keep=0.05), "no Pixel Data (7FE0,0010)"),
        (lambda files, path: files.non_image(path), "Basic Text SR Storage object, not an image"),
        (
            lambda files, path: path.write_bytes(b"DOE^JANE MRN0012345 not a dicom file" * 10) and path,
            "not a DICOM",
        ),
    ],
    ids=["truncated-pixels", "truncated-header", "report", "not-dicom"],
)
def test_bad_files_raise_named_errors_without_phi(files, tmp_path, make, expected) -> None:
    path = make(files, tmp_path / "input.dcm")
    with pytest.raises(DicomError) as error:
        load_dicom(path)
    assert str(error.value).startswith("input.dcm: ") and expected in str(error.value)
    assert files.leaks(str(error.value)) == []


def test_colour_dicom_is_refused_with_the_tag(files, tmp_path) -> None:
    ds = files.dataset()
    rgb = np.repeat((ds.pixel_array >> 4).astype(np.uint8)[..., None], 3, axis=2)
    ds.set_pixel_data(rgb, "RGB", 8, generate_instance_uid=False)
    with pytest.raises(DicomError, match=r"PhotometricInterpretation \(0028,0004\) is RGB"):
        load_dicom(files.save(ds, tmp_path / "x.dcm"))


def test_missing_jpeg_decoder_names_the_extra() -> None:
    path = PYDICOM_FILES / "MR_small_jpeg_ls_lossless.dcm"
    if not path.exists():
        pytest.skip("pydicom's test files are not installed")
    if get_decoder(JPEGLSLossless).is_available:
        assert load_dicom(path).pixels.shape == (64, 64)
        return
    with pytest.raises(DicomError, match=r"sve-suite\[jpeg\]"):
        load_dicom(path)
