"""Honest state in each tab of `sve serve`, in a real (headless) browser: a changed input clears what the old one
produced, an error stays readable and never sits over an earlier result, Stop ends a long job, every heatmap has
its colour bar, a phone-sized screen cuts nothing off after a result, and no shown text holds a temporary path
or an exception's class name."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from playwright.sync_api import Page, expect

from apps.common.overlay import LEGEND_HEIGHT
from apps.rs_change import app as rs_app
from apps.rs_change.outputs import tile_map
from tests.browser.serving import ROOT, Server
from tests.browser.test_ui import (
    GOOD_SECOND,
    TABS,
    Tab,
    block,
    check_result,
    open_tab,
    run_example,
)

pytestmark = pytest.mark.browser

ERROR_STAYS_S = 15
LEAKS = re.compile(r"/tmp/|gradio/[0-9a-f]{8}|Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\(KeyError\)")


def result_shown(page: Page, tab: Tab) -> None:
    run_example(page, tab)
    check_result(page, tab)


def outputs_empty(page: Page, tab: Tab) -> None:
    """Nothing of the last result is on screen: the report/instruction is empty, no downloads, no view image."""
    if tab.id == "cxr":
        expect(block(page, "Comparison report").locator("textarea")).to_have_value("")
        expect(block(page, "Downloads (report.json, report.md)").locator("a[download]")).to_have_count(0)
        expect(block(page, "Current").locator("img")).to_have_count(0)
    elif tab.id == "rs":
        expect(block(page, rs_app.DOWNLOADS_LABEL).locator("a[download]")).to_have_count(0)
        expect(block(page, rs_app.TILE_MAP_LABEL).locator("img")).to_have_count(0)
        expect(page.get_by_text("Change summary:", exact=False)).to_have_count(0)
    else:
        expect(block(page, "Edit instruction").locator("textarea, input").first).to_have_value("")
        expect(block(page, "Before / after (drag the handle)").locator("img")).to_have_count(0)


def replace_upload(page: Page, label: str, path: Path) -> None:
    """Put `path` in the upload `label` instead of what is there (a multi-file upload would add it)."""
    upload = block(page, label)
    clear = upload.get_by_role("button", name="Clear")
    if clear.count():
        clear.first.click()
    upload.locator("input[type=file]").set_input_files(path)


def shown_text(page: Page) -> str:
    return page.locator("body").inner_text()


@pytest.mark.parametrize("tab", TABS, ids=[tab.id for tab in TABS])
def test_a_changed_input_clears_the_old_result(page: Page, server: Server, tab: Tab) -> None:
    open_tab(page, server, tab)
    result_shown(page, tab)
    replace_upload(page, tab.uploads[0], GOOD_SECOND[tab.id])
    outputs_empty(page, tab)


@pytest.mark.parametrize("tab", TABS, ids=[tab.id for tab in TABS])
def test_an_error_stays_and_hides_no_result_unannounced(page: Page, server: Server, tab: Tab, tmp_path: Path) -> None:
    bad = tmp_path / f"notes{tab.bad_suffix}"
    bad.write_text("this is a text file, not an image\n")
    open_tab(page, server, tab)
    result_shown(page, tab)
    replace_upload(page, tab.uploads[1], bad)
    outputs_empty(page, tab)  # the result of the old input is gone, not left looking current
    checked = page.get_by_text(re.compile(rf"⛔ {re.escape(bad.name)}")).filter(visible=True).first
    expect(checked).to_be_visible(timeout=60_000)  # checked on arrival, next to the uploads
    page.get_by_role("button", name=tab.run).click()
    problem = page.locator(f"#{tab.id}-problem")
    expect(problem).to_contain_text(bad.name, timeout=60_000)
    time.sleep(ERROR_STAYS_S)
    expect(problem).to_contain_text(bad.name)  # still there, not a toast gone after a few seconds
    outputs_empty(page, tab)
    assert not LEAKS.search(shown_text(page)), LEAKS.search(shown_text(page))


def test_stop_ends_a_long_job_within_seconds(page: Page, server: Server, tmp_path: Path) -> None:
    """A scene of ~900 tiles of 64 px: Stop frees the button at once, and the job itself ends at its next batch
    (the server logs it), not after all its tiles."""
    before, after = (big_scene(ROOT / f"apps/rs_change/examples/{name}.tif", tmp_path) for name in ("before", "after"))
    rs = next(tab for tab in TABS if tab.id == "rs")
    open_tab(page, server, rs)
    block(page, rs.uploads[0]).locator("input[type=file]").set_input_files(before)
    block(page, rs.uploads[1]).locator("input[type=file]").set_input_files(after)
    page.locator("#rs-tile-size input[type=number]").fill("64")
    page.locator("#rs-tile-size input[type=number]").press("Enter")
    run = page.get_by_role("button", name=rs.run)
    run.click()
    expect(run).to_be_disabled()  # no second job queued behind the first
    time.sleep(5)  # well into the tiles
    stopped = time.monotonic()
    page.get_by_role("button", name="Stop").filter(visible=True).click()
    expect(run).to_be_enabled(timeout=5_000)
    assert time.monotonic() - stopped < 5
    outputs_empty(page, rs)
    deadline = time.monotonic() + 10  # the work itself ends at its next batch of tiles, not after all of them
    while "job stopped: stopped after" not in server.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert re.search(r"job stopped: stopped after \d+ of \d+ tiles", server.log.read_text())
    page.get_by_text(rs.example, exact=False).first.click()  # and the tab still works
    page.locator("#rs-tile-size input[type=number]").fill("256")
    page.locator("#rs-tile-size input[type=number]").press("Enter")
    run.click()
    check_result(page, rs)


def big_scene(path: Path, folder: Path, repeat: int = 4) -> Path:
    """`path` tiled `repeat` x `repeat` times into one larger GeoTIFF on the same CRS and pixel size."""
    with rasterio.open(path) as source:
        pixels, profile = source.read(), source.profile
    profile.update(width=source.width * repeat, height=source.height * repeat)
    out = folder / f"big_{path.name}"
    with rasterio.open(out, "w", **profile) as target:
        target.write(np.tile(pixels, (1, repeat, repeat)))
    return out


def served_image(page: Page, selector: str) -> Image.Image:
    source = page.locator(selector).locator("img").first.get_attribute("src")
    return Image.open(io.BytesIO(page.request.get(source).body())).convert("RGB")


def has_colour_bar(image: Image.Image, height: int) -> bool:
    """The bottom `height` rows: a white strip holding a colour ramp (saturated pixels) and black labels."""
    strip = np.asarray(image)[-height:].astype(int)
    white = (strip.min(axis=2) > 240).mean()
    coloured = ((strip.max(axis=2) - strip.min(axis=2)) > 60).mean()
    return white > 0.5 and coloured > 0.01


@pytest.mark.parametrize("tab", TABS, ids=[tab.id for tab in TABS])
def test_every_heatmap_has_a_legend(page: Page, server: Server, tab: Tab) -> None:
    open_tab(page, server, tab)
    result_shown(page, tab)
    if tab.id == "cxr":
        assert has_colour_bar(served_image(page, "#cxr-current-view"), LEGEND_HEIGHT)
    elif tab.id == "rs":
        assert has_colour_bar(served_image(page, "#rs-tile-map"), tile_map.LEGEND_HEIGHT)
    else:
        legend = served_image(page, "#diff-legend")
        assert has_colour_bar(legend, legend.height)


@pytest.mark.parametrize("width", [420, 1920])
@pytest.mark.parametrize("tab", TABS, ids=[tab.id for tab in TABS])
def test_a_phone_or_wide_screen_cuts_nothing_off_after_a_result(
    browser: object, server: Server, tab: Tab, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        open_tab(page, server, tab)
        result_shown(page, tab)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        names = page.locator(".file-preview .filename .stem").filter(visible=True)
        for index in range(names.count()):  # whole file names, not ".d"
            name = names.nth(index)
            assert name.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), name.inner_text()
        if tab.id == "cxr":  # the findings' change column is on screen
            header = page.get_by_role("columnheader", name="change").first
            box = header.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert not LEAKS.search(shown_text(page)), LEAKS.search(shown_text(page))
    finally:
        context.close()


@pytest.mark.parametrize("tab", TABS, ids=[tab.id for tab in TABS])
def test_the_controls_are_keyboard_reachable(page: Page, server: Server, tab: Tab) -> None:
    """Tab from the tab's heading reaches the uploads, the run button and Stop."""
    open_tab(page, server, tab)
    page.get_by_role("tab", name=tab.name).focus()
    reached = []
    for _ in range(120):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("(document.activeElement.innerText || '') + '|' + "
                                     "(document.activeElement.getAttribute('aria-label') || '')"))
        if any(text.startswith("Stop|") for text in reached):
            break
    assert any(text.startswith(f"{tab.run}|") for text in reached), reached
    assert any(text.startswith("Stop|") for text in reached), reached
