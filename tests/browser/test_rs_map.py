"""The RS tab's interactive map in a real (headless) browser, with every request outside 127.0.0.1 refused:
the map loads (Leaflet inlined), pans when dragged, shows a tile's caption when the tile is clicked, swipes
between the dates, reads out the mouse position and fits the scene once it has a size; plain images say they
are pixels; and after a run of the tab's example the same map is on the page."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Frame, Page, expect

from apps.rs_change.outputs.web_map import FRAME_TITLE, PIXEL_WARNING, map_frame
from tests.browser.serving import Server
from tests.browser.test_ui import RUN_TIMEOUT_MS, TABS, block, open_tab
from tests.data.rs_change.data import utm_grid, write_png, write_scene
from tests.data.rs_change.results import caption, fake_result

pytestmark = pytest.mark.browser

FRAME = f'iframe[title="{FRAME_TITLE}"]'
# the centre of the tile whose popup title starts with `label`, in the map's container pixels
TILE_POINT = """label => {
    let point = null;
    sveMap.eachLayer(layer => {
        if (layer.feature && layer.feature.properties.title.startsWith(label) && layer.getBounds) {
            point = sveMap.latLngToContainerPoint(layer.getBounds().getCenter());
        }
    });
    return point && [point.x, point.y];
}"""


def offline(page: Page) -> list[str]:
    """Refuse every request that would leave 127.0.0.1; returns the list the refused URLs are added to."""
    refused: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if urlparse(url).hostname in ("127.0.0.1", "localhost"):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    return refused


def open_map(page: Page) -> Frame:
    """The map's frame, once Leaflet has drawn it."""
    frame_element = page.locator(FRAME)
    frame_element.scroll_into_view_if_needed()
    frame = frame_element.element_handle().content_frame()
    expect(frame.locator(".sve-legend")).to_be_visible()
    return frame


def click_tile(page: Page, frame: Frame, label: str) -> str:
    """Click the tile `label` ("Tile 0,1") and return its popup's text."""
    box = map_box(frame)
    x, y = frame.evaluate(TILE_POINT, label)
    page.mouse.click(box["x"] + x, box["y"] + y)
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_be_visible()
    return popup.inner_text()


def centre(frame: Frame) -> tuple[float, float]:
    return tuple(frame.evaluate("() => { const c = sveMap.getCenter(); return [c.lat, c.lng]; }"))


def map_box(frame: Frame) -> dict:
    """The map's box on the page, measured now (the page above it may have grown since it was drawn)."""
    element = frame.locator(".folium-map")
    element.scroll_into_view_if_needed()
    return element.bounding_box()


def drag(page: Page, frame: Frame, dx: float, dy: float) -> None:
    """Drag the map from a point inside it (below the scene box, left of the legend) by (dx, dy)."""
    box = map_box(frame)
    x, y = box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=12)
    page.mouse.up()


def hover_centre(page: Page, frame: Frame) -> None:
    box = map_box(frame)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


@pytest.fixture
def utm_map(tmp_path: Path) -> str:
    before = write_scene(tmp_path / "before.tif")
    after = write_scene(tmp_path / "after.tif", seed=3, transform=utm_grid(shift=(320, -160)))
    return map_frame(fake_result(before, after))


def test_the_map_pans_and_a_tile_click_shows_its_caption(page: Page, utm_map: str) -> None:
    refused = offline(page)
    page.set_content(utm_map)
    frame = open_map(page)
    home = centre(frame)

    text = click_tile(page, frame, "Tile 0,1")
    assert caption((0, 1)) in text and "Tile 0,1: no change" in text and "p(change) 0." in text
    page.keyboard.press("Escape")  # closes the popup
    expect(frame.locator(".leaflet-popup-content")).to_have_count(0)

    before = centre(frame)
    drag(page, frame, -160, -90)  # the content moves up-left: the view goes east and south
    after = centre(frame)
    assert after[1] > before[1] and after[0] < before[0], (before, after)
    frame.get_by_role("button", name="Whole scene").click()
    assert centre(frame) == pytest.approx(home, abs=1e-9)

    hover_centre(page, frame)
    expect(frame.locator(".sve-readout")).to_contain_text(re.compile(r"lat 46\.\d+°, lon 9\.\d+°"))
    expect(frame.locator(".leaflet-control-scale-line").first).to_be_visible()

    clip = frame.evaluate("() => sveMap.getPane('sveBefore').style.clip")
    frame.locator("input.sve-swipe").press("End")  # the slider all the way right: the before-scene everywhere
    assert frame.evaluate("() => sveMap.getPane('sveBefore').style.clip") != clip
    assert refused == []


def test_a_map_drawn_while_hidden_shows_the_whole_scene_once_visible(page: Page, utm_map: str) -> None:
    """A tab switched away during the run: the iframe starts with no size, and must not stay at world zoom."""
    page.set_content(f'<div id="tab" style="display: none">{utm_map}</div>')
    frame = page.locator(FRAME).element_handle().content_frame()
    frame.wait_for_function("() => window.sveMap && sveMap.getSize().x === 0")
    page.eval_on_selector("#tab", "tab => { tab.style.display = 'block'; }")
    frame.wait_for_function("() => sveMap.getZoom() > 12")  # about 3 km of scene in a 560 px high map


def test_plain_images_say_pixels(page: Page, tmp_path: Path) -> None:
    refused = offline(page)
    result = fake_result(write_png(tmp_path / "A.png"), write_png(tmp_path / "B.png", seed=1))
    page.set_content(map_frame(result))
    frame = open_map(page)
    expect(frame.get_by_text(PIXEL_WARNING)).to_be_visible()
    expect(frame.locator(".leaflet-control-scale")).to_have_count(0)
    hover_centre(page, frame)
    expect(frame.locator(".sve-readout")).to_contain_text(re.compile(r"x -?\d+ px, y -?\d+ px"))
    assert caption((1, 0)) in click_tile(page, frame, "Tile 1,0")
    assert refused == []


def test_the_rs_tab_shows_the_map_after_a_run(page: Page, server: Server) -> None:
    refused = offline(page)
    (tab,) = [tab for tab in TABS if tab.id == "rs"]
    open_tab(page, server, tab)
    page.get_by_text(tab.example, exact=False).first.click()
    for label in tab.uploads:  # as test_ui.run_example, with time for a busy machine to take the files
        expect(block(page, label).locator("a, .file-name, td").first).to_be_visible(timeout=60_000)
    page.get_by_role("button", name=tab.run).click()
    expect(page.locator(FRAME)).to_have_count(1, timeout=RUN_TIMEOUT_MS)
    frame = open_map(page)
    text = click_tile(page, frame, "Tile 0,0")
    assert text.startswith("Tile 0,0: ") and "p(change)" in text
    before = centre(frame)
    drag(page, frame, 120, 60)
    assert centre(frame) != before
    assert refused == []
