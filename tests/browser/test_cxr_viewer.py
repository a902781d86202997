"""The chest X-ray tab's study viewer in a real (headless) browser, after running the example pair on
`sve serve`: window/level redraws the canvases' pixels (read back through the canvas API), zoom and pan stay
the same on both images, and the captions, limitation and heatmap legend are on screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.serving import Server
from tests.browser.test_ui import TABS, run_example

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 480_000  # a tiny model on 2 shared CPU cores
CXR = next(tab for tab in TABS if tab.id == "cxr")
# Per canvas: a checksum of its drawn pixels (red channel; the image is grey) and its pixel count.
PIXELS = """() => [...document.querySelectorAll('#cxr-viewer .cxrv-image')].map((canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum = (sum * 31 + data[i]) % 1000000007;
    return [sum, data.length / 4];
})"""
# Per image: its layer's transform, and where its canvas sits inside its stage.
PLACES = """() => [...document.querySelectorAll('#cxr-viewer .cxrv-panel')].map((panel) => {
    const stage = panel.querySelector('.cxrv-stage').getBoundingClientRect();
    const canvas = panel.querySelector('.cxrv-image').getBoundingClientRect();
    return [panel.querySelector('.cxrv-layer').style.transform,
            [canvas.left - stage.left, canvas.top - stage.top, canvas.width, canvas.height].map(Math.round)];
})"""


@pytest.fixture(scope="module")
def viewer(server: Server, browser: object) -> Locator:
    """The viewer after the example pair has run (once for the module)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(server.url)
    page.get_by_role("tab", name=CXR.name).click()
    run_example(page, CXR)
    root = page.locator("#cxr-viewer")
    expect(root.locator(".cxrv-image[data-ready=true]")).to_have_count(2, timeout=RUN_TIMEOUT_MS)
    yield root
    context.close()


def _centre(page: Page, locator: Locator) -> tuple[float, float]:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_window_level_redraws_the_pixels(viewer: Locator) -> None:
    page = viewer.page
    viewer.get_by_role("button", name="Reset").click()
    page.wait_for_timeout(300)
    fitted = page.evaluate(PIXELS)
    assert all(count > 0 for _, count in fitted)
    sliders = [viewer.locator(".cxrv-width").nth(i).input_value() for i in (0, 1)]
    x, y = _centre(page, viewer.locator(".cxrv-stage").first)
    page.mouse.move(x, y)
    page.mouse.down(button="right")  # right-drag on the prior: across = width, down = level
    page.mouse.move(x + 80, y + 40, steps=6)
    page.mouse.up(button="right")
    page.wait_for_timeout(300)
    dragged = page.evaluate(PIXELS)
    assert all(after[0] != before[0] for after, before in zip(dragged, fitted, strict=True))  # linked windows
    assert [viewer.locator(".cxrv-width").nth(i).input_value() for i in (0, 1)] != sliders
    centre = viewer.locator(".cxrv-centre").nth(1)  # a slider, on the current only once unlinked
    viewer.locator(".cxrv-link").uncheck()
    centre.evaluate(
        "(s) => { s.value = Number(s.min) + 0.3 * (s.max - s.min); s.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_timeout(300)
    slid = page.evaluate(PIXELS)
    assert slid[0] == dragged[0] and slid[1][0] != dragged[1][0]
    viewer.get_by_role("button", name="bone").click()
    page.wait_for_timeout(300)
    assert all(after[0] != before[0] for after, before in zip(page.evaluate(PIXELS), slid, strict=True))
    viewer.get_by_role("button", name="Reset").click()
    page.wait_for_timeout(300)
    assert page.evaluate(PIXELS) == fitted
    viewer.locator(".cxrv-link").check()


def test_zoom_and_pan_stay_synchronised(viewer: Locator) -> None:
    page = viewer.page
    viewer.get_by_role("button", name="Reset").click()
    stages = viewer.locator(".cxrv-stage")
    x, y = _centre(page, stages.first)
    page.mouse.move(x - 40, y - 30)
    page.mouse.wheel(0, -400)  # zoom in on the prior, about the cursor
    page.wait_for_timeout(300)
    zoomed = page.evaluate(PLACES)
    assert zoomed[0] == zoomed[1] and "scale(1)" not in zoomed[0][0]
    x, y = _centre(page, stages.nth(1))
    page.mouse.move(x, y)
    page.mouse.down()  # drag the current: both pan
    page.mouse.move(x + 60, y - 25, steps=5)
    page.mouse.up()
    page.wait_for_timeout(300)
    panned = page.evaluate(PLACES)
    assert panned[0] == panned[1] and panned[0] != zoomed[0]
    stages.nth(1).press("+")  # the keyboard zooms both too
    keyed = page.evaluate(PLACES)
    assert keyed[0] == keyed[1] and keyed[0] != panned[0]
    viewer.get_by_role("button", name="zoom out").click()  # and so do the toolbar's buttons
    buttoned = page.evaluate(PLACES)
    assert buttoned[0] == buttoned[1] and buttoned[0] != keyed[0]
    stages.first.dblclick()
    fitted = page.evaluate(PLACES)
    assert fitted[0] == fitted[1] and fitted[0][0] == "translate(0px, 0px) scale(1)"


def test_captions_limitation_and_heatmap_legend(viewer: Locator) -> None:
    captions = viewer.locator(".cxrv-caption")
    expect(captions.first).to_contain_text("view AP")
    expect(captions.nth(1)).to_contain_text("view PA")
    expect(captions.nth(1)).to_contain_text("days after the prior")
    expect(viewer.locator(".cxrv-limits")).to_contain_text("AP compared with PA")
    legend = viewer.locator(".cxrv-legend")
    expect(legend).to_be_hidden()
    viewer.locator(".cxrv-heat-on").check()  # the tiny stateful model gives a heatmap
    expect(legend).to_be_visible()
    expect(viewer.locator(".cxrv-heat")).to_be_visible()
    expect(legend).to_contain_text("most changed spot")
    viewer.locator(".cxrv-heat-on").uncheck()
    expect(legend).to_be_hidden()
