"""The study viewer's server side: the 16-bit wire format, the display grid, the preset windows on the values,
and the HTML (captions, limitations, heatmap legend, no PHI). What the browser does with it is
tests/browser/test_cxr_viewer.py."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import ModuleType

import gradio as gr
import numpy as np
import pytest

from apps.cxr.dicom.studies import load_series, load_study
from apps.cxr.dicom.windows import WINDOW_PRESETS, apply_window
from apps.cxr.phantoms.dicom_writer import DicomEncoding
from apps.cxr.report.result import Comparison, CxrResult, Step
from apps.cxr.viewer import (
    MAX_SIDE,
    EncodedValues,
    display_grid,
    preset_windows,
    viewer_component,
    viewer_html,
)


def _result(folder: Path, files: ModuleType, views: tuple[str, str], *, heatmap: bool) -> CxrResult:
    """Two studies of one patient, 30 days apart, in `views`; the heatmap (if any) a blob on the current."""
    paths = [
        files.study(folder / name, (view,), day=day)
        for name, view, day in zip(("prior", "current"), views, (0, 30), strict=True)
    ]
    series = load_series(paths)
    images = [study.image for study in series.studies]
    change = np.zeros(images[1].pixels.shape, np.float32)
    change[10:20, 10:20] = 1.0
    step = Step(0, 1, Comparison.from_answer("nothing has changed."), change if heatmap else None)
    return CxrResult(images=images, steps=[step], model="tiny", demo=False, validity=series.validity)


def _payload(page: str) -> dict:
    return json.loads(html.unescape(re.search(r'data-payload="([^"]*)"', page).group(1)))


@pytest.mark.parametrize(
    ("values", "exact"),
    [
        (np.arange(-300, 3796, dtype=np.float32).reshape(64, 64), True),  # 12-bit integers, negative too
        (np.linspace(0, 65535, 4096, dtype=np.float32).round().reshape(64, 64), True),  # the full 16 bits
        (np.linspace(-1e5, 1e5, 4096).reshape(64, 64), False),  # wider than 16 bits: 1/65535 of the range
        (np.random.default_rng(0).normal(0.3, 0.1, (33, 47)), False),  # floats (a rescaled modality LUT)
        (np.full((5, 7), 42.0), True),  # a blank image
    ],
)
def test_values_round_trip(values: np.ndarray, exact: bool) -> None:
    encoded = EncodedValues.encode(values)
    decoded = encoded.decode()
    assert decoded.shape == values.shape == (encoded.height, encoded.width)
    tolerance = 0.0 if exact else encoded.step / 2 + 1e-9 * np.abs(values).max()
    assert np.abs(decoded - values).max() <= tolerance
    assert exact == (encoded.step == 1.0)


def test_display_grid_averages_large_images_down() -> None:
    small = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(display_grid(small), small)
    large = np.random.default_rng(1).random((MAX_SIDE * 2, MAX_SIDE + 512)).astype(np.float32)
    shrunk = display_grid(large)
    assert shrunk.shape == (MAX_SIDE, (MAX_SIDE + 512) // 2)
    assert abs(float(shrunk.mean()) - float(large.mean())) < 1e-3  # an average, not a subsample


@pytest.mark.parametrize(
    "encoding",
    [
        DicomEncoding(),  # a window centre/width in the header
        DicomEncoding(photometric="MONOCHROME1"),  # inverted, so the values are negated
        DicomEncoding(window=False),  # no window: the automatic percentile one
        DicomEncoding(rescale_slope=0.5, rescale_intercept=-1024.0),  # a modality LUT
    ],
)
def test_windows_are_the_presets_on_the_values(
    files: ModuleType, tmp_path: Path, encoding: DicomEncoding
) -> None:
    image = load_study(files.save(files.dataset(encoding=encoding), tmp_path / "image.dcm")).image
    windows = preset_windows(image)
    assert list(windows) == list(WINDOW_PRESETS)
    for name, (lower, upper) in windows.items():  # a linear window on the values draws what the tab draws
        drawn = np.clip((image.values - lower) / (upper - lower), 0, 1)
        assert np.abs(drawn - apply_window(image, name)).max() < 1e-4, name


def test_viewer_shows_dates_interval_views_and_limitations(files: ModuleType, tmp_path: Path) -> None:
    page = viewer_html(_result(tmp_path, files, ("AP", "PA"), heatmap=True))
    assert "2023-04-05 · view AP" in page and "2023-05-05 · view PA" in page
    assert "30 days after the prior" in page
    assert "AP compared with PA" in page and 'class="cxrv-limits"' in page and page.count("cxrv-warn") == 2
    assert files.leaks(page, report=True) == []  # the study date, shown to the reader, and no other PHI
    assert 'class="cxrv-heat"' in page and "cxrv-legend" in page and "most changed spot" in page
    for name in WINDOW_PRESETS:
        assert f'data-preset="{name}"' in page


def test_viewer_payload_carries_the_values(files: ModuleType, tmp_path: Path) -> None:
    result = _result(tmp_path, files, ("PA", "PA"), heatmap=False)
    page = viewer_html(result)
    payload = _payload(page)
    assert payload["heatmap"] is None and "cxrv-heat" not in page and "cxrv-legend" not in page
    assert "cxrv-limits" not in page and "cxrv-warn" not in page  # same views: nothing to warn about
    for study, image in zip(payload["studies"], result.images, strict=True):
        encoded = EncodedValues(**{key: study[key] for key in ("width", "height", "offset", "step", "data")})
        assert np.array_equal(encoded.decode(), image.values)  # 12-bit integers travel exactly
        assert study["windows"]["default"] == list(preset_windows(image)["default"])


def test_viewer_before_a_run_and_the_component() -> None:
    assert viewer_html(None) == ""
    with gr.Blocks():
        component = viewer_component()
    assert "watch(" in component.js_on_load and ".cxrv-stage" in component.css_template
    assert "://" not in component.js_on_load + component.css_template  # nothing fetched from elsewhere
