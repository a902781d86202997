"""Each tab of `sve serve` in a real (headless) browser: run an example from `gr.Examples`, check the result
the page shows, save a screenshot for the docs, and upload a text file under an image's extension to check the
user gets a readable error and the server stays up."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from apps.cxr import app as cxr_app
from apps.image_diff import app as diff_app
from apps.image_diff.describe.predictor import NO_DIFFERENCE, UNREADABLE
from apps.rs_change import app as rs_app
from tests.browser.serving import DEMO_MODELS, ROOT, Server, answers

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "docs" / "screenshots"
RUN_TIMEOUT_MS = 480_000  # a tiny model on 2 shared CPU cores; the rs tab answers 4 tiles
ERROR_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Tab:
    id: str
    name: str
    example: str  # the gr.Examples label to click
    run: str  # the run button's text
    uploads: tuple[str, ...]  # file-input labels, in order
    bad_suffix: str


TABS = [
    Tab("cxr", "Chest X-ray", "Synthetic phantom pair: DICOM files", "Compare",
        ("Prior study (older)", "Current study"), ".dcm"),
    Tab("rs", "Remote sensing", "synthetic GeoTIFF pair", "Describe the change",
        ("Before (older): GeoTIFF, or PNG/JPEG", "After: GeoTIFF (warped onto the before grid), or PNG/JPEG"),
        ".tif"),
    Tab("diff", "Image diff", "add: place a purple square on the left", "Describe the change",
        ("Image 1 (oldest)", "Image 2"), ".png"),
]
GOOD_SECOND = {
    "cxr": ROOT / "apps/cxr/examples/current/image_1.dcm",
    "rs": ROOT / "apps/rs_change/examples/after.tif",
    "diff": ROOT / "apps/image_diff/examples/add_b.png",
}


def block(page: Page, label: str) -> Locator:
    """The component whose label is `label` (Gradio wraps each one in a `.block`)."""
    return page.locator(".block").filter(has=page.get_by_text(label, exact=True)).last


def open_tab(page: Page, server: Server, tab: Tab) -> None:
    page.goto(server.url)
    page.get_by_role("tab", name=tab.name).click()
    expect(page.get_by_role("button", name=tab.run)).to_be_visible()


def run_example(page: Page, tab: Tab) -> None:
    page.get_by_text(tab.example, exact=False).first.click()
    for label in tab.uploads:  # the example's files have reached every upload
        expect(block(page, label).locator("a, .file-name, td").first).to_be_visible()
    page.get_by_role("button", name=tab.run).click()


def textbox_value(page: Page, label: str) -> Locator:
    return block(page, label).locator("textarea, input").first


def check_result(page: Page, tab: Tab) -> None:
    """Wait (bounded) for the run's output and check what the page shows. Tables are virtualised (only the
    rows in view are in the DOM), so their size is read from the grid's `aria-rowcount`."""
    if tab.id == "cxr":
        findings = page.get_by_role("grid", name=cxr_app.FINDINGS_LABEL)
        expect(findings).to_have_attribute("aria-rowcount", "28", timeout=RUN_TIMEOUT_MS)  # header + 27
        expect(textbox_value(page, "Comparison report")).not_to_have_value("")
        report_file = block(page, "Downloads (report.json, report.md)").locator('a[download="report.json"]')
        expect(report_file).to_have_count(1)
        current = block(page, "Current").locator("img").first
        current.scroll_into_view_if_needed()  # a lazy image below the viewer loads once on screen
        expect(current).to_be_visible()
    elif tab.id == "rs":
        downloads = block(page, rs_app.DOWNLOADS_LABEL)
        geojson = downloads.locator('a[download="tiles.geojson"]')
        expect(geojson).to_have_count(1, timeout=RUN_TIMEOUT_MS)
        expect(downloads.locator('a[download="changes.geojson"]')).to_have_count(1)  # the change polygons
        expect(downloads.locator('a[download="heatmap.tif"]')).to_have_count(1)
        served = page.request.get(geojson.get_attribute("href"))
        assert served.ok and "p_change" in served.json()["features"][0]["properties"]
        threshold = block(page, "Change threshold: p(change)").locator('input[type="number"]').first
        expect(threshold).to_be_visible()  # the slider, at the model's calibrated (or default) threshold
        assert 0.0 <= float(threshold.input_value()) <= 1.0
        expect(block(page, rs_app.TILE_MAP_LABEL).locator("img").first).to_be_visible()  # polygons and legend drawn in
        expect(page.get_by_text("Change map: raw SVE key dissimilarity", exact=False).first).to_be_visible()
        slider = block(page, "Before / after, overlap of the two scenes (drag the handle)")
        expect(slider.locator("img").first).to_be_visible()
        tiles = page.get_by_role("grid", name="Tiles", exact=True)
        expect(tiles).to_have_attribute("aria-rowcount", "5")  # header + a 512 px scene in 256 px tiles
    else:
        instruction = textbox_value(page, "Edit instruction")
        expect(instruction).not_to_have_value("", timeout=RUN_TIMEOUT_MS)
        expect(page.get_by_text(diff_app.RAW_LABEL)).to_be_visible()  # the raw words
        shown = instruction.input_value().lower()
        if not shown.startswith((UNREADABLE, NO_DIFFERENCE)):  # an instruction: with its category
            expect(textbox_value(page, "Category (ImgEdit)")).not_to_have_value("")
        expect(block(page, "Before / after (drag the handle)").locator("img").first).to_be_visible()


def screenshot(page: Page, path: Path) -> None:
    """A full-page PNG, quantised to 256 colours: the aerial quicklooks make a plain one ~1 MB (the CXR tab with
    its interactive viewer ~510 KB quantised)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True, type="png", scale="css")
    with Image.open(path) as shot:
        quantised = shot.convert("RGB").quantize(256)
    quantised.save(path, optimize=True)
    assert path.stat().st_size < 600_000, f"{path}: {path.stat().st_size} bytes, expected < 600 KB"


def demo_models_present() -> bool:
    return all(path.is_dir() for path in DEMO_MODELS)


@pytest.mark.parametrize("tab", TABS, ids=[tab.id for tab in TABS])
def test_example_runs(page: Page, server: Server, tab: Tab, tmp_path: Path) -> None:
    open_tab(page, server, tab)
    run_example(page, tab)
    check_result(page, tab)
    # the docs show the demo models' answers when they exist (test_demo_example_runs); until then, these
    screenshot(page, (tmp_path if demo_models_present() else SCREENSHOTS) / f"{tab.id}.png")


@pytest.mark.parametrize("tab", TABS, ids=[tab.id for tab in TABS])
def test_bad_upload_shows_error(page: Page, server: Server, tab: Tab, tmp_path: Path) -> None:
    bad = tmp_path / f"notes{tab.bad_suffix}"
    bad.write_text("this is a text file, not an image\n")
    open_tab(page, server, tab)
    block(page, tab.uploads[0]).locator("input[type=file]").set_input_files(bad)
    block(page, tab.uploads[1]).locator("input[type=file]").set_input_files(GOOD_SECOND[tab.id])
    for label in tab.uploads:
        expect(block(page, label).locator("a, .file-name, td").first).to_be_visible()
    page.get_by_role("button", name=tab.run).click()
    problem = page.locator(f"#{tab.id}-problem")  # on screen, next to the run button, until the next action
    expect(problem).to_contain_text(bad.name, timeout=ERROR_TIMEOUT_MS)  # names the file the user has to fix
    expect(problem).not_to_contain_text("Traceback")
    assert answers(server.url), "the server stopped answering after a bad upload"


@pytest.mark.parametrize("tab", TABS, ids=[tab.id for tab in TABS])
def test_demo_example_runs(page: Page, demo_server: Server, tab: Tab) -> None:
    open_tab(page, demo_server, tab)
    # each tab has its own banner; the hidden tabs' ones come first in the page
    expect(page.get_by_text("Demo model", exact=False).filter(visible=True).first).to_be_visible()
    run_example(page, tab)
    check_result(page, tab)
    screenshot(page, SCREENSHOTS / f"{tab.id}.png")


def test_demo_diff_shows_what_the_model_saw(page: Page, demo_server: Server) -> None:
    """The demo model states an edited object before and after; the tab shows that apart from the instruction."""
    diff = next(tab for tab in TABS if tab.id == "diff")
    open_tab(page, demo_server, diff)
    run_example(page, replace(diff, example="recolor: paint the blue star pink"))
    seen = textbox_value(page, "What the model saw (before -> after)")
    expect(seen).to_have_value(re.compile(r"^an? .+ -> an? .+$"), timeout=RUN_TIMEOUT_MS)
    expect(textbox_value(page, "Edit instruction")).not_to_have_value(re.compile("->"))
