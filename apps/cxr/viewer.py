"""The chest X-ray tab's study viewer: prior and current side by side on two canvases, zoomed and panned
together, windowed on the images' own values, with each study's date and view, the interval, the comparison's
limitations, and the change heatmap as an overlay with its legend.

Why canvases and not two `gr.Image`s: a window must act on the pre-window values (`CxrImage.values`, 12-16
bits), not on a picture already windowed to 8 bits, where widening the window only stretches 256 grey levels.
So each image's values travel to the browser as 16-bit codes (`value = offset + code * step`; exact for
integer data spanning at most 65 536 levels, 1/65 535 of the image's range otherwise) and `viewer.js` windows
them on a canvas at every drag. Wire format of the codes: each row's differences (a PNG "Sub" filter), the
high-byte plane then the low-byte plane, zlib, base64: it compresses a radiograph's smooth gradients well, and
the browser inflates it natively (`DecompressionStream`). Images are first averaged down to `MAX_SIDE` pixels
on the long side, which bounds the page at a few MB whatever the detector.

The presets are `apps.cxr.dicom.windows.WINDOW_PRESETS` as value ranges of each image; "default" is the
file's own window where it is linear (a window centre/width, a percentile window, a bitmap's range) and the
straight line closest to it where it is not (a VOI LUT table, a sigmoid). A drag or slider moves a window by
fractions of each image's value range, so linked windows move alike on detectors with different units.

The page gets only what the issue asks to show: pixel values, the two study dates, the interval and the
views (the comparison header's, `SeriesValidity`); no name, ID or UID exists in a `CxrResult`, and nothing is
logged. `gr.HTML` does not run `<script>` tags of its value, so the script is the component's `js_on_load`
(Gradio 6), and the data rides in a `data-payload` attribute of the rendered HTML.
"""

from __future__ import annotations

import base64
import html
import json
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import gradio as gr
import numpy as np
from matplotlib import colormaps
from PIL import Image

from apps.cxr.dicom.image import CxrImage
from apps.cxr.dicom.transforms import AUTO_WINDOW_PERCENTILES
from apps.cxr.dicom.validity import StepValidity
from apps.cxr.dicom.windows import WINDOW_PRESETS
from apps.cxr.report.result import CxrResult

MAX_SIDE = 1024  # display grid: long side in pixels (zooming further magnifies these pixels)
COLORMAP = "inferno"  # as `apps.common.overlay.heatmap_overlay`: lightness rises monotonically (CVD-safe)
HEATMAP_OPACITY = 0.45  # the overlay's initial opacity, `heatmap_overlay`'s alpha
LEGEND_STOPS = 11
HEATMAP_MEANING = (
    "Change heatmap: how differently the model encodes each spot of the current study from the same spot "
    "of the prior (SVE key dissimilarity), scaled so that this pair's most changed spot is 1. It shows where "
    "the images differ most, not whether a finding changed: even near-identical films have a brightest spot."
)
HELP = (
    "Wheel, +/− keys or buttons: zoom both · drag or arrow keys: pan both · right-drag (across = width, "
    "up/down = level) or the sliders: window · double-click or 0: fit"
)
LINK_HELP = "move both windows together, by the same fraction of each image's value range"
READOUT_HELP = (
    "window centre (C) and width (W) in this file's values after its modality LUT, negated for MONOCHROME1 "
    "so that larger always means denser"
)
_ASSETS = Path(__file__).resolve().parent
_CODES = 65535


@dataclass(frozen=True)
class EncodedValues:
    """One image's values on the display grid as 16-bit codes, in the wire format of the module docstring."""

    width: int
    height: int
    offset: float  # value of code 0
    step: float  # value per code
    data: str  # base64(zlib(high-byte plane + low-byte plane of the row differences))

    @classmethod
    def encode(cls, values: np.ndarray) -> EncodedValues:
        low, high = float(values.min()), float(values.max())
        integral = bool(np.all(values == np.round(values)))
        step = 1.0 if integral and high - low <= _CODES else max(high - low, 1e-12) / _CODES
        codes = np.round((values - low) / step).astype(np.int64)  # (H, W) in [0, 65535]
        deltas = np.diff(codes, axis=1, prepend=0).astype(np.uint16)  # wraps mod 2**16; viewer.js undoes it
        planes = np.stack([deltas >> 8, deltas & 0xFF]).astype(np.uint8)  # (2, H, W)
        data = base64.b64encode(zlib.compress(planes.tobytes(), 6)).decode("ascii")
        return cls(width=values.shape[1], height=values.shape[0], offset=low, step=step, data=data)

    def decode(self) -> np.ndarray:
        """The display grid's values back, as `viewer.js` reads them (for tests and tools)."""
        planes = np.frombuffer(zlib.decompress(base64.b64decode(self.data)), dtype=np.uint8)
        planes = planes.reshape(2, self.height, self.width).astype(np.uint16)
        codes = np.cumsum((planes[0] << 8) | planes[1], axis=1, dtype=np.uint16)  # sums wrap like the deltas
        return self.offset + codes.astype(np.float64) * self.step


def display_grid(array: np.ndarray) -> np.ndarray:
    """`array` (H, W) averaged down so that its long side is at most `MAX_SIDE` (as it is if already so)."""
    height, width = array.shape
    factor = max(height, width) / MAX_SIDE
    if factor <= 1:
        return array.astype(np.float32)
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    return np.asarray(Image.fromarray(array.astype(np.float32), mode="F").resize(size, Image.BOX))


def preset_windows(image: CxrImage) -> dict[str, tuple[float, float]]:
    """Each preset of `WINDOW_PRESETS` as (lower, upper) of `image.values`, mapped onto black..white."""
    windows = {"default": _default_window(image)}
    for name, preset in WINDOW_PRESETS.items():
        if preset is not None:
            lower, upper = np.percentile(image.values, [preset.lower, preset.upper])
            windows[name] = (float(lower), float(upper))
    return windows


def _default_window(image: CxrImage) -> tuple[float, float]:
    """The linear window closest to the file's own (`image.pixels` against `image.values`), fitted where the
    file's window does not clip; the automatic percentile window if nothing is left unclipped."""
    stride = max(1, max(image.values.shape) // MAX_SIDE)
    values = image.values[::stride, ::stride].ravel().astype(np.float64)
    pixels = image.pixels[::stride, ::stride].ravel().astype(np.float64)
    inside = (pixels > 0.01) & (pixels < 0.99)
    if inside.sum() >= 2 and np.ptp(values[inside]) > 0:
        slope, intercept = np.polyfit(values[inside], pixels[inside], 1)
        if slope > 0:
            return float(-intercept / slope), float((1 - intercept) / slope)
    lower, upper = np.percentile(image.values, AUTO_WINDOW_PERCENTILES)
    return float(lower), float(max(upper, lower + 1e-6))


def _heatmap_layer(heatmap: np.ndarray) -> str:
    """The heatmap on its image's display grid as 8-bit levels: base64(zlib(bytes))."""
    levels = np.round(np.clip(display_grid(heatmap), 0, 1) * 255).astype(np.uint8)
    return base64.b64encode(zlib.compress(levels.tobytes(), 6)).decode("ascii")


def _colours() -> list[list[int]]:
    table = colormaps[COLORMAP](np.linspace(0, 1, 256))[:, :3]
    return np.round(table * 255).astype(int).tolist()


def _legend(colours: list[list[int]]) -> str:
    picks = np.linspace(0, 255, LEGEND_STOPS).round().astype(int)
    stops = ", ".join(f"rgb{tuple(colours[i])} {100 * i / 255:.0f}%" for i in picks)
    return (
        '<div class="cxrv-legend" role="img" aria-label="Colour scale of the change heatmap, 0 to 1">'
        f'<div class="cxrv-bar" style="background: linear-gradient(to right, {stops})"></div>'
        '<div class="cxrv-ticks"><span>0 — as in the prior (transparent)</span><span>0.5</span>'
        "<span>1 — most changed spot of this pair</span></div>"
        f'<p class="cxrv-meaning">{html.escape(HEATMAP_MEANING)}</p></div>'
    )


def _captions(header: StepValidity) -> list[str]:
    """What is written under the prior and the current image: date, view (⚠ when they differ), interval."""
    warn = ' <span class="cxrv-warn" title="the views differ: see Limitations">⚠</span>'
    differ = header.views[0] != header.views[1]
    texts = [
        f"<strong>{name}</strong> · {html.escape(when.isoformat() if when else 'date not recorded')} · "
        f"view {html.escape(view)}{warn if differ else ''}"
        for name, when, view in zip(("Prior", "Current"), header.dates, header.views, strict=True)
    ]
    if header.interval_days is not None:
        texts[1] += f" · {header.interval_days} days after the prior"
    return texts


def _toolbar(presets: list[str], heat: bool) -> str:
    buttons = "".join(
        f'<button type="button" data-preset="{name}" title="{html.escape(_preset_help(name))}">'
        f"{name}</button>"
        for name in presets
    )
    heat_controls = (
        '<label><input type="checkbox" class="cxrv-heat-on"> change heatmap</label>'
        '<label>opacity <input type="range" class="cxrv-opacity" min="0" max="1" step="0.05" '
        f'value="{HEATMAP_OPACITY}" aria-label="heatmap opacity"></label>'
    )
    no_heat = '<span class="cxrv-note">no change heatmap: this model has no stateful layers</span>'
    return (
        f'<div class="cxrv-toolbar" role="toolbar" aria-label="Viewer controls"><span>Window:</span>{buttons}'
        f'<label title="{LINK_HELP}"><input type="checkbox" class="cxrv-link" checked> link windows</label>'
        '<button type="button" data-zoom="1.25" aria-label="zoom in">+</button>'
        '<button type="button" data-zoom="0.8" aria-label="zoom out">−</button>'
        f'<button type="button" class="cxrv-reset">Reset</button>{heat_controls if heat else no_heat}</div>'
    )


def _panel(
    index: int, caption: str, window: tuple[float, float], values: tuple[float, float], heat: bool
) -> str:
    """One study: its stage (zoomed and panned with the other's), caption, and window sliders (its values)."""
    (lower, upper), (low, high) = window, values
    span, centre, width = max(high - low, 1e-6), (lower + upper) / 2, upper - lower
    label = f"{('Prior', 'Current')[index]} study radiograph"

    def slider(kind: str, value: float, minimum: float, maximum: float) -> str:
        return (
            f'<label>{kind} <input type="range" class="cxrv-{kind}" min="{minimum:.8g}" max="{maximum:.8g}" '
            f'step="any" value="{value:.8g}" aria-label="{label}: window {kind}"></label>'
        )

    heat_canvas = '<canvas class="cxrv-heat" hidden aria-hidden="true"></canvas>' if heat else ""
    return (
        f'<figure class="cxrv-panel" data-index="{index}">'
        f'<div class="cxrv-stage" tabindex="0" aria-label="{label}: zoom and pan (synchronised)">'
        f'<div class="cxrv-layer"><canvas class="cxrv-image" role="img" aria-label="{label}"></canvas>'
        f"{heat_canvas}</div></div>"
        f'<figcaption><div class="cxrv-caption">{caption}</div><div class="cxrv-wl">'
        f"{slider('centre', centre, min(low, centre), max(high, centre))}"
        f"{slider('width', width, min(span / 1000, width), max(2 * span, width))}"
        f'<output class="cxrv-readout" title="{READOUT_HELP}"></output></div></figcaption></figure>'
    )


def viewer_html(result: CxrResult | None) -> str:
    """The viewer of `result`'s last comparison (the current study and the one before it); "" before a run."""
    if result is None:
        return ""
    step, header = result.steps[-1], result.validity.steps[-1]
    images = [result.images[step.prior], result.images[step.current]]
    grids = [display_grid(image.values) for image in images]
    ranges = [(float(grid.min()), float(grid.max())) for grid in grids]
    windows = [preset_windows(image) for image in images]
    heat = step.heatmap is not None
    payload = {
        "studies": [
            {**asdict(EncodedValues.encode(grid)), "windows": window, "range": list(values)}
            for grid, window, values in zip(grids, windows, ranges, strict=True)
        ],
        "heatmap": _heatmap_layer(step.heatmap) if heat else None,
        "colours": _colours(),
    }
    captions = _captions(header)
    panels = "".join(
        _panel(i, captions[i], windows[i]["default"], ranges[i], heat and i == 1) for i in (0, 1)
    )
    legend = f'<div class="cxrv-legend-box" hidden>{_legend(payload["colours"])}</div>' if heat else ""
    notes = "".join(f"<li>{html.escape(text[0].upper() + text[1:])}.</li>" for text in header.limitations)
    limits = f'<div class="cxrv-limits" role="note"><strong>Limitations:</strong><ul>{notes}</ul></div>'
    return (
        f'<div class="cxrv" data-payload="{html.escape(json.dumps(payload), quote=True)}">'
        f'{_toolbar(list(windows[0]), heat)}<div class="cxrv-pair">{panels}</div>{legend}'
        f'{limits if notes else ""}<p class="cxrv-help">{html.escape(HELP)}</p></div>'
    )


def _preset_help(name: str) -> str:
    preset = WINDOW_PRESETS[name]
    return "the file's own window" if preset is None else preset.description


def viewer_component() -> gr.HTML:
    """The empty viewer, to place in a layout; a handler fills it with `viewer_html(result)`."""
    return gr.HTML(
        "",
        label="Viewer: prior and current, synchronised zoom and window/level",
        elem_id="cxr-viewer",
        js_on_load=(_ASSETS / "viewer.js").read_text(encoding="utf-8"),
        css_template=(_ASSETS / "viewer.css").read_text(encoding="utf-8"),
        apply_default_css=False,
    )
