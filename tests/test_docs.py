"""Every Python block of README.md and docs/ runs, as written, with tiny models standing in for hub ids.

A block is executed in a fresh folder after replacing the quoted strings of `STAND_INS` (hub ids by a saved tiny
model of the same family, files by our example files). A block that cannot run offline says so on the line
before it: ``<!-- docs-test: not run (why) -->``; keep that rare.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sve_core.tiny import tiny_vlm
from tests.sve_core.helpers import random_images

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.DOTALL)
NOT_RUN = "<!-- docs-test: not run"
HUB_IDS = {  # hub id in the docs -> tiny family standing in for it
    "Qwen/Qwen3-VL-4B-Instruct": "qwen3_vl",
}
FILES = {  # a path in the docs -> (our file standing in for it) or None
    "before.png": "before.png",
    "after.png": "after.png",
    "runs/cxr_qwen3_5_4b_sve": None,  # None: the embedded demo model
    "prior_study/": str(ROOT / "apps/cxr/examples/prior"),
    "current_study.zip": str(ROOT / "apps/cxr/examples/current.zip"),
    "apps/cxr/examples/prior/image_1.dcm": str(ROOT / "apps/cxr/examples/prior/image_1.dcm"),
    "apps/cxr/examples/current/image_1.dcm": str(ROOT / "apps/cxr/examples/current/image_1.dcm"),
}


def _blocks() -> list:
    cases = []
    for document in DOCUMENTS:
        text = document.read_text()
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            name = f"{document.relative_to(ROOT)}#{number}"
            marks = [pytest.mark.skip(reason=match["before"])] if match["before"].startswith(NOT_RUN) else []
            cases.append(pytest.param(match["code"], id=name, marks=marks))
    return cases


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> dict[str, str]:
    """Each stood-in hub id saved as a tiny model folder (what `from_pretrained(hub id)` downloads)."""
    folders = {}
    for hub_id, family in HUB_IDS.items():
        model, processor = tiny_vlm(family)
        folder = tmp_path_factory.mktemp(family)
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
        folders[hub_id] = str(folder)
    return folders


@pytest.mark.parametrize("code", _blocks())
def test_doc_block_runs(code, hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name, image in zip(("before.png", "after.png"), random_images(2), strict=True):
        image.save(tmp_path / name)
    for literal, value in {**hub, **FILES}.items():
        code = code.replace(repr(literal).replace("'", '"'), repr(value))
    exec(compile(code, "<doc block>", "exec"), {"__name__": "__doc_block__"})


def test_every_block_is_found():
    """The extraction sees the README's headline block (so a broken pattern cannot pass silently)."""
    assert any("from sve_core import" in case.values[0] for case in _blocks())
