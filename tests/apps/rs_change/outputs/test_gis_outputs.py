"""What a GIS catalogues from a local run: COGs that rio-cogeo's validator accepts, a STAC Item that validates
offline, and `--out` as a static catalog that grows run after run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pystac
import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate

from apps.cli import main
from apps.rs_change.describe.predictor import RsPredictor
from apps.rs_change.errors import SceneError
from apps.rs_change.outputs.stac_item import validate_item
from apps.rs_change.synthetic.make_examples import OUT as EXAMPLES
from sve_core.inference import load_describer

PAIR = ["--before", str(EXAMPLES / "before.tif"), "--after", str(EXAMPLES / "after.tif")]


@pytest.fixture(scope="module")
def tiny() -> RsPredictor:
    return RsPredictor(load_describer("tiny:qwen2_vl", max_new_tokens=3), input_size=56)


@pytest.fixture
def describe(monkeypatch: pytest.MonkeyPatch, tiny: RsPredictor):
    monkeypatch.setattr(RsPredictor, "load", lambda *args, **kwargs: tiny)
    return lambda *argv: main(["rs", "describe", "--tile-size", "256", *argv])


def test_cogs_and_an_item_that_validate(describe, tmp_path: Path) -> None:
    assert describe(*PAIR, "--out", str(tmp_path), "--mask-threshold", "0.7") == 0
    for name in ("heatmap.tif", "change_mask.tif"):
        valid, errors, warnings = cog_validate(str(tmp_path / name), strict=True, quiet=True)
        assert valid, (errors, warnings)
    with rasterio.open(tmp_path / "heatmap.tif") as heat, rasterio.open(tmp_path / "change_mask.tif") as mask:
        heat_values, mask_values = heat.read(1), mask.read(1)
        assert mask.crs == heat.crs and mask.transform == heat.transform and mask.nodata == 255
    expected = np.where(np.isnan(heat_values), 255, heat_values >= 0.7)
    assert np.array_equal(mask_values, expected)
    item = json.loads((tmp_path / "item.json").read_text())
    assert validate_item(item) == item["stac_extensions"]  # core checked; extension schemas not shipped
    assert item["properties"]["sve:sources"] == ["before.tif", "after.tif"]
    assert item["properties"]["sve:mask_threshold"] == 0.7
    assert item["assets"]["heatmap"]["raster:bands"][0]["nodata"] == "nan"
    assert {"tiles", "report", "tile_map"} <= set(item["assets"])


def test_an_invalid_item_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="does not validate"):
        validate_item({"type": "Feature", "stac_version": "1.1.0", "id": "x", "geometry": None,
                       "properties": {}, "links": [], "assets": {}})


def test_out_as_a_catalog_grows_run_after_run(describe, tmp_path: Path) -> None:
    assert describe(*PAIR, "--out", str(tmp_path), "--catalog") == 0
    reversed_pair = ["--before", PAIR[3], "--after", PAIR[1]]
    assert describe(*reversed_pair, "--out", str(tmp_path), "--catalog") == 0
    assert describe(*PAIR, "--out", str(tmp_path), "--catalog") == 0  # a rerun replaces its item
    catalog = pystac.Catalog.from_file(str(tmp_path / "catalog.json"))
    items = sorted(catalog.get_items(), key=lambda i: i.id)
    assert [i.id for i in items] == ["change-after.tif-before.tif", "change-before.tif-after.tif"]
    for found in items:
        assert Path(found.assets["heatmap"].get_absolute_href()).is_file()
        validate_item(found.to_dict(include_self_link=False))
