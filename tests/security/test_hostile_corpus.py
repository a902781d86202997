"""Every file of the hostile corpus (tests/data/hostile/data.py) is refused by the CLI and by the UI handler:
one clear line naming the problem, exit 2, no traceback, within 20 s and 2 GB of peak memory, and the VRT and
GDAL_WMS files never make a request to the local HTTP server they point at."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import gradio as gr
import pytest

from apps.cxr.app import run_compare
from apps.cxr.report.predictor import CxrPredictor
from apps.rs_change.app import run_describe
from apps.rs_change.describe.predictor import RsPredictor

ROOT = Path(__file__).resolve().parents[2]
MAX_SECONDS = 20.0
MAX_RSS_BYTES = 2 * 1024**3


def _load_corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hostile_data", ROOT / "tests" / "data" / "hostile" / "data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


CORPUS = _load_corpus_module()


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
        self.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    """An HTTP server on 127.0.0.1 that records every request (it must get none); stopped after the module."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, server):
    folder = tmp_path_factory.mktemp("hostile")
    cases = CORPUS.write_corpus(folder, f"http://127.0.0.1:{server.server_port}")
    return folder, {case.name: case for case in cases}


def _case_names() -> list[str]:
    """Every case of the corpus, in order (parametrize needs them before the corpus is written; a test checks
    that this list and the corpus agree)."""
    return [
        "vrt_local", "vrt_url", "gdal_wms", "sparse_100k", "zero_bytes", "wrong_extension", "one_pixel",
        "nan_only", "folder", "dicom_huge_rle", "dicom_huge_deflated", "dicom_no_pixels", "dicom_zero_bytes",
        "dicom_wrong_extension", "zip_2000_members", "zip_ratio", "zip_symlink", "zip_slip", "zip_polyglot",
        "train_truncated_jpeg", "train_10mb_answer", "train_not_utf8", "train_truncated_checkpoint",
        "eval_folder", "eval_empty", "eval_not_json", "eval_deep",
    ]


@pytest.fixture(scope="module")
def cli_results(corpus) -> dict[str, dict]:
    """Every case's command line through `cli_runner.py` (one warmed-up interpreter, a fork per case)."""
    folder, cases = corpus
    argvs = [[part.replace("{dir}", str(folder)) for part in case.argv] for case in cases.values()]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("SVE_DEBUG", None)
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("cli_runner.py"))], input=json.dumps(argvs),
                          capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    return dict(zip(cases, json.loads(done.stdout), strict=True))


def test_corpus_lists_every_case(corpus) -> None:
    assert list(corpus[1]) == _case_names()


@pytest.mark.parametrize("name", _case_names())
def test_cli_refuses_cleanly(corpus, cli_results, server, name) -> None:
    folder, cases = corpus
    case, result = cases[name], cli_results[name]
    code, stderr, seconds, peak = result["code"], result["stderr"], result["seconds"], result["peak_rss"]
    assert code == 2, stderr
    assert "Traceback" not in stderr and case.expected in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("  ")]
    assert len(lines) == 1, stderr  # one refusal line (training data errors list their records indented below)
    assert seconds < MAX_SECONDS, f"{name}: {seconds:.1f} s"
    assert peak < MAX_RSS_BYTES, f"{name}: peak RSS {peak / 2**20:.0f} MiB"
    assert server.RequestHandlerClass.requests == [], "a hostile file made the server send a request"
    assert not list(folder.glob(f"out_{name}/*")), "a refused run wrote output"


UI_CASES = [name for name in _case_names() if not name.startswith(("train_", "eval_"))]


@pytest.mark.parametrize("name", UI_CASES)
def test_ui_handler_shows_one_line(corpus, server, name) -> None:
    folder, cases = corpus
    case = cases[name]
    first, second = (str(folder / file) for file in case.ui_inputs)
    # The refusal must come before the model is used, so the handlers get predictors without one.
    if case.ui == "rs":
        handler = functools.partial(run_describe, RsPredictor(None), first, second, 256, 8, 0.5, None)
    else:
        handler = functools.partial(run_compare, CxrPredictor(None), [first], [second], False, False, "default",
                                    False, 0.6, None)
    with pytest.raises(gr.Error) as refused:
        handler()
    message = str(refused.value.message)
    assert case.expected in message and "\n" not in message and "Traceback" not in message
    assert str(folder) not in message, "the UI message shows a server-side path"
    assert server.RequestHandlerClass.requests == []


def test_without_the_policy_the_vrt_would_call_the_server(corpus, server) -> None:
    """The control: plain rasterio follows the VRT's URL, so the server above would see the request that the
    policy prevents (the assertions of the CLI and UI tests can fail)."""
    import rasterio

    folder, _ = corpus
    with pytest.raises(rasterio.errors.RasterioIOError), rasterio.open(folder / "vrt_url.tif") as dataset:
        dataset.read(1)
    assert server.RequestHandlerClass.requests, "the control VRT made no request; the test server is not reached"
    server.RequestHandlerClass.requests.clear()
