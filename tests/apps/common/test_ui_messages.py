"""What the UIs say about a failure, and the shared colour bar: no folders, no GDAL/DICOM jargon, no exception
class names; a legend that shows the colour map and its range."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from apps.common.overlay import LEGEND_HEIGHT, colour_bar, heatmap_overlay, with_colour_bar
from apps.common.predictor import RunStopped
from apps.common.ui import GENERIC_ERROR, plain_words, stop_requested, user_message


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (ValueError("/tmp/gradio/abc/notes.dcm: not a DICOM file (no 'DICM' marker at byte 128); expected a "
                    "DICOM Part 10 file, a PNG or a JPEG"),
         "notes.dcm: not a DICOM file; expected a DICOM file, a PNG or a JPEG"),
        (ValueError("scan.dcm: no image with ViewPosition (0018,5101) PA or AP"), "scan.dcm: no image with "
         "ViewPosition PA or AP"),
        (ValueError("a.tif: not a readable GTiff file (TIFFReadDirectory: bad IFD); expected a GeoTIFF, PNG or JPEG"),
         "a.tif: not a readable image file; expected a GeoTIFF, PNG or JPEG"),
        (KeyError("secret content"), GENERIC_ERROR),
        (RunStopped("stopped after 3 of 900 tiles"), "Stopped: stopped after 3 of 900 tiles."),
    ],
)
def test_user_message_is_in_the_users_words(error: Exception, shown: str) -> None:
    assert user_message(error) == shown
    assert "KeyError" not in user_message(error) and "/tmp" not in user_message(error)


def test_plain_words_leave_plain_messages_alone() -> None:
    assert plain_words("upload both studies") == "upload both studies"


def test_stop_is_never_requested_outside_a_job() -> None:
    assert stop_requested() is False


def test_colour_bar_and_overlay() -> None:
    bar = colour_bar(400, "change heatmap", 0.0, 1.0)
    assert bar.size == (400, LEGEND_HEIGHT)
    pixels = np.asarray(bar)
    assert (pixels.max(axis=2) - pixels.min(axis=2) > 60).any()  # the ramp is in colour
    image = Image.new("RGB", (32, 32), "grey")
    assert with_colour_bar(image, "x").size == (320, 32 + LEGEND_HEIGHT)
    assert heatmap_overlay(image, np.zeros((8, 8))).tobytes() == image.tobytes()  # 0: the image shows through
    assert heatmap_overlay(image, np.ones((8, 8)), alpha=0.0).tobytes() == image.tobytes()  # opacity 0
