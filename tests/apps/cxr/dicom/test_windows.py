"""Window presets and the MONAI pipelines: presets are percentile windows on the pre-window values, the model
input keeps the aspect ratio, and augmentation is reproducible from its seed."""

from __future__ import annotations

import numpy as np
import pytest

from apps.cxr import WINDOW_PRESETS, apply_window, augment_transform, load_dicom, model_transform
from apps.cxr.dicom.windows import WindowPreset
from apps.cxr.phantoms.dicom_writer import DicomEncoding


@pytest.fixture(scope="module")
def image(files, tmp_path_factory):
    encoding = DicomEncoding(photometric="MONOCHROME1", rescale_slope=2.0, rescale_intercept=-1024.0)
    return load_dicom(files.save(files.dataset(encoding=encoding), tmp_path_factory.mktemp("w") / "x.dcm"))


@pytest.mark.parametrize("preset", list(WINDOW_PRESETS))
def test_presets_give_display_ready_pixels(image, preset) -> None:
    pixels = apply_window(image, preset)
    assert pixels.shape == image.pixels.shape and pixels.dtype == np.float32
    assert pixels.min() >= 0.0 and pixels.max() <= 1.0


def test_default_is_the_files_own_window_and_bone_is_brighter_where_dense(image) -> None:
    assert apply_window(image, "default") is image.pixels
    dense = image.pixels > np.percentile(image.pixels, 90)
    # MONOCHROME1 values were negated on load, so the presets still see bone as the bright tail.
    assert apply_window(image, "lung")[dense].mean() > apply_window(image, "bone")[dense].mean()


def test_unknown_preset_and_bad_percentiles_are_refused(image) -> None:
    with pytest.raises(ValueError, match="expected one of default, lung"):
        apply_window(image, "brain")
    with pytest.raises(ValueError, match="percentiles"):
        WindowPreset(80.0, 20.0, "inverted")


def test_model_transform_pads_instead_of_stretching() -> None:
    pixels = np.ones((60, 30), np.float32)
    out = model_transform(32)(pixels)
    assert out.shape == (1, 32, 32) and isinstance(out, np.ndarray)
    assert np.allclose(out[0, :, 8:24], 1.0) and np.all(out[0, :, :8] == 0) and np.all(out[0, :, 24:] == 0)


def test_augmentation_is_seeded_and_keeps_the_shape() -> None:
    pixels = model_transform(32)(np.random.default_rng(0).random((40, 40)).astype(np.float32))
    first, second = augment_transform(seed=3)(pixels), augment_transform(seed=3)(pixels)
    assert first.shape == (1, 32, 32)
    np.testing.assert_array_equal(first, second)
