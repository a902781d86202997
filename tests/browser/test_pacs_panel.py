"""The chest X-ray tab's PACS panel in headless Chromium against a real local Orthanc loaded with the phantom
patients: list a patient's studies, compare the latest with its prior, and save the panel's screenshot for
docs/PACS.md. Needs Chromium and Orthanc (`pytest -m "browser and pacs" tests/browser/test_pacs_panel.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from apps.cxr.pacs.client import PacsClient
from apps.cxr.pacs.config import Credentials, PacsConfig
from apps.cxr.pacs.orthanc import DICOMWEB_PLUGIN, ORTHANC, local_orthanc
from apps.cxr.pacs.phantom_studies import PATIENTS, phantom_studies
from tests.browser.serving import DEMO_MODELS, ROOT, Server, serve
from tests.browser.test_ui import RUN_TIMEOUT_MS, block, textbox_value

pytestmark = [pytest.mark.browser, pytest.mark.pacs]
SHOT = ROOT / "docs" / "screenshots" / "pacs.png"


@pytest.fixture(scope="module")
def pacs_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    """Orthanc with the phantom patients, and `sve serve` configured for it through SVE_PACS_* variables."""
    if not ORTHANC.exists() or not DICOMWEB_PLUGIN.exists():
        pytest.skip("Orthanc is not installed: apt-get install -y orthanc orthanc-dicomweb")
    folder = tmp_path_factory.mktemp("pacs_serve")
    with local_orthanc() as orthanc, pytest.MonkeyPatch.context() as environ:
        client = PacsClient(
            PacsConfig(orthanc.url, Credentials(username=orthanc.username, password=orthanc.password))
        )
        for study in phantom_studies():
            client.store(study)
        orthanc.write_credentials(folder / "credentials.json")
        environ.setenv("SVE_PACS_URL", orthanc.url)
        environ.setenv("SVE_PACS_CREDENTIALS", str(folder / "credentials.json"))
        demo = all(path.is_dir() for path in DEMO_MODELS)
        model = [] if demo else ["--cxr-model", str(request.getfixturevalue("tiny_model"))]
        with serve(model, folder) as running:
            yield running


def test_pacs_panel_lists_and_compares(page: Page, pacs_server: Server) -> None:
    page.goto(pacs_server.url)
    page.get_by_role("tab", name="Chest X-ray").click()
    page.get_by_text("From a PACS (DICOMweb)").click()
    textbox_value(page, "Patient ID").fill(PATIENTS[0])
    page.get_by_role("button", name="List studies").click()
    studies = page.get_by_role("grid", name="CR/DX studies (newest first)")
    expect(studies).to_have_attribute("aria-rowcount", "5", timeout=RUN_TIMEOUT_MS)  # header + 4 studies
    page.get_by_role("button", name="Compare from PACS").click()
    expect(textbox_value(page, "PACS comparison report")).not_to_have_value("", timeout=RUN_TIMEOUT_MS)
    expect(block(page, "Current, with change heatmap").locator("img").first).to_be_visible()
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.locator("#cxr-pacs").screenshot(path=SHOT, type="png", scale="css")  # the panel only
    with Image.open(SHOT) as shot:
        shot.convert("RGB").quantize(256).save(SHOT, optimize=True)
    assert 10_000 < SHOT.stat().st_size < 500_000
