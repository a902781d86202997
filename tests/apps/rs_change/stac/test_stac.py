"""`sve rs describe --stac` end to end against real servers on 127.0.0.1, searched by the real client:
a static catalog of COGs behind a Range-honouring HTTP server, and stac-fastapi-geoparquet (its own venv).

Marked `stac` (run with `pytest -m stac`; .ci/run does): the API server needs `.venv-stac`, which the fixture
makes with tests/data/stac/make_venv.sh. Every server is a subprocess stopped by its PID.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pystac
import pytest
from rio_cogeo.cogeo import cog_validate

from apps.cli import main
from apps.rs_change.describe.predictor import RsPredictor
from apps.rs_change.outputs.stac_item import validate_item
from sve_core.inference import load_describer

pytestmark = pytest.mark.stac
ROOT = Path(__file__).resolve().parents[4]
DATA = ROOT / "tests" / "data" / "stac"
STAC_VENV = ROOT / ".venv-stac"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(command: list[str], url: str, *, timeout: float = 90.0) -> Iterator[str]:
    """Run `command` until `url` answers, yield `url`, then stop the process by its PID."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[:3]} exited: {process.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(url, timeout=10).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield url
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


@contextmanager
def range_server(root: Path, *, delay: float = 0.0, log: Path | None = None) -> Iterator[str]:
    """`root` served with Range support; the base URL (no trailing slash)."""
    port = free_port()
    command = [sys.executable, str(DATA / "range_server.py"), str(root), str(port), "--delay", str(delay)]
    command += ["--log", str(log)] if log else []
    with serving(command, f"http://127.0.0.1:{port}/catalog.json", timeout=30 + 3 * delay):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def stac_api(items_json: Path) -> Iterator[str]:
    """stac-fastapi-geoparquet over the items in `items_json`, from its own venv (made if missing)."""
    subprocess.run(["bash", str(DATA / "make_venv.sh")], check=True, timeout=900)
    port = free_port()
    command = [str(STAC_VENV / "bin" / "python"), str(DATA / "api_server.py"), str(items_json), str(port)]
    with serving(command, f"http://127.0.0.1:{port}/"):
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory, stac_data) -> Path:
    root = tmp_path_factory.mktemp("catalog")
    stac_data.write_catalog(root)
    return root


@pytest.fixture(scope="module")
def static(catalog: Path) -> Iterator[str]:
    """The catalog.json URL of the static catalog behind the Range server."""
    with range_server(catalog) as base:
        yield f"{base}/catalog.json"


@pytest.fixture(scope="module")
def api(catalog: Path, static: str, stac_data) -> Iterator[str]:
    """The STAC API root; its items' assets are served by the static server."""
    items = catalog.parent / f"{catalog.name}_items.json"
    items.write_text(json.dumps(stac_data.api_items(catalog, static.rsplit("/", 1)[0])))
    with stac_api(items) as url:
        yield url


@pytest.fixture(scope="module")
def tiny() -> RsPredictor:
    """Untrained stateless tiny Qwen2-VL: fast, deterministic captions (no heatmaps)."""
    return RsPredictor(load_describer("tiny:qwen2_vl", max_new_tokens=3), input_size=56)


@pytest.fixture
def describe(monkeypatch: pytest.MonkeyPatch, tiny: RsPredictor, stac_data, capsys: pytest.CaptureFixture[str]):
    """Run `sve rs describe --stac URL ...` in this process; (exit code, stderr)."""
    monkeypatch.setattr(RsPredictor, "load", lambda *args, **kwargs: tiny)

    def run(url: str, out: Path, *extra: str, bbox: tuple[float, ...] | None = None,
            dates: tuple[str, str] = ("2024-05-01", "2024-06-01")) -> tuple[int, str]:
        box = ",".join(map(str, bbox or stac_data.aoi()))
        code = main(["rs", "describe", "--stac", url, "--collection", "scenes", f"--bbox={box}",
                     "--before-date", dates[0], "--after-date", dates[1], "--out", str(out), "--tile-size", "128",
                     "--http-retries", "1", *extra])
        return code, capsys.readouterr().err

    return run


def check_outputs(folder: Path, item_file: Path) -> dict:
    for name in ("heatmap.tif", "change_mask.tif"):
        valid, errors, warnings = cog_validate(str(folder / name), strict=True, quiet=True)
        assert valid, (name, errors, warnings)
    item = json.loads(item_file.read_text())
    assert validate_item(item) == item["stac_extensions"]  # core schema checked offline; extensions listed
    assert item["properties"]["proj:code"] == "EPSG:32618"
    assert item["properties"]["sve:model"] == "tiny:qwen2_vl"
    assert item["assets"]["change_mask"]["raster:bands"][0]["nodata"] == 255
    tiles = json.loads((folder / "tiles.geojson").read_text())
    assert len(tiles["features"]) == 4  # 208 x 208 px AOI in 128 px tiles
    return item


def test_static_catalog_end_to_end(static, describe, tmp_path: Path) -> None:
    code, err = describe(static, tmp_path)
    assert code == 0, err
    assert "chose 2024-05-01: may-clear (5% cloud" in err and "1 left out for partial coverage" in err
    assert "chose 2024-06-01: jun-clear (10% cloud" in err  # found by eo:bands common names in `visual`
    item = check_outputs(tmp_path, tmp_path / "item.json")
    sources = [link["href"] for link in item["links"] if link["rel"] == "derived_from"]
    assert [s.rsplit("/", 1)[-1] for s in sources] == ["may-clear.json", "jun-clear.json"]
    assert not (tmp_path / ".sve_run").exists() and not (tmp_path / ".sve_sources").exists()


def test_only_the_aoi_blocks_travel(describe, catalog: Path, stac_data, tmp_path: Path) -> None:
    """A 64 x 64 px AOI in the middle of 320 px COGs with 64 px blocks reads a few blocks, not the whole files
    (a server of its own: GDAL caches what it read from the shared one)."""
    west, south, east, north = stac_data.aoi()
    small = (west + (east - west) * 0.35, south + (north - south) * 0.35, west + (east - west) * 0.6,
             south + (north - south) * 0.6)
    log = tmp_path / "requests.log"
    with range_server(catalog, log=log) as base:
        code, err = describe(f"{base}/catalog.json", tmp_path / "out", "--tile-size", "32", bbox=small)
    assert code == 0, err
    served = {}
    for line in log.read_text().splitlines():
        path, size = line.rsplit(" ", 1)
        served[path] = served.get(path, 0) + int(size)
    red = "/scenes/may-clear/red.tif"
    # GDAL fetches 16 KB ranges at least: 3 of them for the header and the 4 blocks under the AOI (98 KB file)
    assert 0 < served[red] < 0.6 * (catalog / red.lstrip("/")).stat().st_size


def test_stac_api_end_to_end_into_a_growing_catalog(api, describe, tmp_path: Path) -> None:
    code, err = describe(api, tmp_path, "--catalog")
    assert code == 0, err
    code, err = describe(api, tmp_path, "--catalog", dates=("2024-06-01", "2024-05-01"))
    assert code == 0, err
    catalog = pystac.Catalog.from_file(str(tmp_path / "catalog.json"))
    ids = sorted(item.id for item in catalog.get_items())
    assert ids == ["change-jun_clear-may_clear", "change-may_clear-jun_clear"]
    folder = tmp_path / ids[1]
    item = check_outputs(folder, folder / f"{ids[1]}.json")
    assert item["assets"]["heatmap"]["href"] == "./heatmap.tif"
    assert any("/collections/scenes/items/may-clear" in link["href"] for link in item["links"])


@pytest.mark.parametrize(
    ("extra", "dates", "bbox", "message"),
    [
        ((), ("2024-05-01", "2024-09-01"), None, "no item of collection 'scenes'"),
        ((), None, (10.0, 10.0, 10.1, 10.1), "no item of collection 'scenes'"),
        ((), None, (-78.3, 24.3, -77.5, 24.8), "covers the whole AOI"),
        (("--max-cloud", "50"), ("2024-05-01", "2024-07-01"), None, "cloudier than --max-cloud 50"),
        ((), ("2024-05-01", "2024-08-01"), None, "expected one CRS for the bands of a date"),
        (("--assets", "red,green,nir"), None, None, "no asset or eo:bands common name 'nir'"),
    ],
)
def test_bad_searches_exit_2_with_one_line(api, describe, tmp_path, extra, dates, bbox, message) -> None:
    code, err = describe(api, tmp_path, *extra, bbox=bbox, dates=dates or ("2024-05-01", "2024-06-01"))
    assert code == 2 and message in err and "Traceback" not in err, err


def test_http_errors_are_retried_then_reported(static, describe, tmp_path: Path) -> None:
    broken = static.replace("/catalog.json", "/broken/catalog.json")
    code, err = describe(broken, tmp_path)
    assert code == 2 and "could not be opened after 2 tries (HTTP 503)" in err, err


def test_remote_scenes_need_the_flag_and_read_by_url(static, tiny, monkeypatch, stac_data, capsys,
                                                     tmp_path: Path) -> None:
    monkeypatch.setattr(RsPredictor, "load", lambda *args, **kwargs: tiny)
    base = static.rsplit("/", 1)[0]
    urls = ["--before", f"{base}/scenes/jun-cloudy/visual.tif", "--after", f"{base}/scenes/jun-clear/visual.tif"]
    assert main(["rs", "describe", *urls, "--out", str(tmp_path)]) == 2
    assert "add --remote" in capsys.readouterr().err
    box = ",".join(map(str, stac_data.aoi()))
    assert main(["rs", "describe", *urls, "--remote", f"--bbox={box}", "--tile-size", "128",
                 "--out", str(tmp_path)]) == 0
    assert len(json.loads((tmp_path / "tiles.geojson").read_text())["features"]) == 4
    broken = ["--before", f"{base}/broken/a.tif", "--after", f"{base}/broken/b.tif", "--remote"]
    assert main(["rs", "describe", *broken, "--http-retries", "1", "--out", str(tmp_path)]) == 2
    assert "could not be read after 2 tries" in capsys.readouterr().err


def test_a_slow_catalog_times_out_then_cancels(catalog: Path, stac_data, tmp_path: Path) -> None:
    box = ",".join(map(str, stac_data.aoi()))
    with range_server(catalog, delay=2.5) as base:
        command = [sys.executable, "-m", "apps.rs_change.cli", "describe", "--stac", f"{base}/catalog.json",
                   "--collection", "scenes", f"--bbox={box}", "--before-date", "2024-05-01", "--after-date",
                   "2024-06-01", "--out", str(tmp_path)]
        timed_out = subprocess.run([*command, "--http-timeout", "1", "--http-retries", "1"], env=ENV, cwd=ROOT,
                                   capture_output=True, text=True, timeout=120)
        assert timed_out.returncode == 2 and "after 2 tries" in timed_out.stderr, timed_out.stderr[-2000:]
        running = subprocess.Popen(command, env=ENV, cwd=ROOT, stderr=subprocess.PIPE)
        seen = b""
        deadline = time.monotonic() + 120
        while b"STAC items for" not in seen and time.monotonic() < deadline:  # the progress bar of the walk
            seen += os.read(running.stderr.fileno(), 256)
        os.kill(running.pid, signal.SIGINT)
        rest = running.communicate(timeout=60)[1]
        err = (seen + rest).decode()
    assert running.returncode == 130 and "cancelled" in err and "Traceback" not in err, err[-2000:]
