"""Fixtures for the browser tests: a tiny stateful checkpoint, `sve serve` on it (and on the embedded demo
models once they exist), and a headless Chromium page (Debian's /usr/bin/chromium; Playwright downloads no
browser here)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.serving import DEMO_MODELS, ROOT, Server, serve

CHROMIUM = os.environ.get("SVE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny stateful qwen2_vl checkpoint (full model + processor), the same for all three tabs."""
    from sve_core import SVEConfig, make_stateful
    from sve_core.tiny import tiny_vlm

    model, processor = tiny_vlm("qwen2_vl")
    make_stateful(model, SVEConfig(init_std=0.05))
    directory = tmp_path_factory.mktemp("tiny_stateful")
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    model = str(tiny_model)
    args = ["--cxr-model", model, "--rs-model", model, "--diff-model", model]
    with serve(args, tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`sve serve` on the embedded demo models; skipped until all three are trained into the checkout."""
    missing = [str(path.relative_to(ROOT)) for path in DEMO_MODELS if not path.is_dir()]
    if missing:
        pytest.skip(f"embedded demo models not trained yet: {', '.join(missing)}")
    with serve([], tmp_path_factory.mktemp("serve_demo")) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium (or set SVE_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    opened = context.new_page()
    yield opened
    context.close()
