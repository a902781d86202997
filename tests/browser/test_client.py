"""The `gradio_client` examples of docs/CLIENT.md, run as written against `sve serve` on a tiny model: each tab's
endpoint answers under its name, with named outputs and an empty `problem`; a refused input comes back as a
`problem` in the user's words with every other output empty."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.serving import ROOT, Server

pytestmark = pytest.mark.browser

DOC = ROOT / "docs" / "CLIENT.md"
BLOCKS = re.findall(r"```python\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.DOTALL)
DOC_URL = "http://127.0.0.1:7860/"


@pytest.mark.parametrize("code", BLOCKS, ids=["cxr", "rs", "diff"])
def test_documented_client_example_runs(code: str, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    assert DOC_URL in code
    monkeypatch.chdir(ROOT)  # the examples name the repository's example files
    exec(compile(code.replace(DOC_URL, server.url), str(DOC), "exec"), {})  # noqa: S102 - our own docs


def test_endpoints_have_named_outputs_and_refusals_come_back_as_problems(server: Server, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    client = Client(server.url, verbose=False)
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert sorted(info) == ["/cxr_compare", "/diff_describe", "/rs_describe"]
    for endpoint in info.values():
        names = [output["label"] for output in endpoint["returns"]]
        assert names[0] == "Problem" and all(name and not name.startswith("value_") for name in names)
    bad = tmp_path / "notes.png"
    bad.write_text("this is a text file, not an image\n")
    problem, _notices, instruction, category, _seen, raw, view, legend, _step = client.predict(
        handle_file(str(bad)), handle_file(str(ROOT / "apps/image_diff/examples/add_b.png")), None,
        api_name="/diff_describe",
    )
    assert problem.startswith("⛔") and "notes.png" in problem and str(tmp_path) not in problem
    assert not any([instruction, category, raw, view, legend])  # nothing left under the error
