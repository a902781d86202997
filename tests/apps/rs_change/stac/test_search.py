"""Choosing one STAC item per date and its bands, on in-memory items (the servers are in test_stac.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pystac
import pytest

from apps.rs_change.errors import SceneError
from apps.rs_change.stac.read import band_refs
from apps.rs_change.stac.search import StacQuery, StacSearchError, choose, parse_dates

AOI = (9.0, 45.0, 9.1, 45.1)
QUERY = StacQuery("http://127.0.0.1:1/", "s2", AOI)


def item(name: str, cloud: float | None, box: tuple[float, float, float, float] = (8.9, 44.9, 9.2, 45.2),
         day: int = 1) -> pystac.Item:
    west, south, east, north = box
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    properties = {} if cloud is None else {"eo:cloud_cover": cloud}
    return pystac.Item(name, {"type": "Polygon", "coordinates": [ring]}, list(box),
                       datetime(2024, 6, day, 10, tzinfo=timezone.utc), properties)


def test_the_least_cloudy_covering_item_wins_and_says_why() -> None:
    items = [item("partial", 0, (9.05, 44.9, 9.2, 45.2)), item("cloudy", 40), item("clear", 5),
             item("too-cloudy", 80)]
    choice = choose(items, StacQuery(QUERY.url, "s2", AOI, max_cloud=50), "2024-06-01")
    assert choice.item.id == "clear"
    assert "5% cloud" in choice.reason and "least cloudy of 2 covering item(s) under 50%" in choice.reason
    assert "1 left out for partial coverage, 1 as too cloudy" in choice.reason


def test_ties_go_to_the_latest_acquisition_and_unknown_cloud_comes_last() -> None:
    assert choose([item("early", 5, day=1), item("late", 5, day=3)], QUERY, "d").item.id == "late"
    assert choose([item("unknown", None), item("known", 99)], QUERY, "d").item.id == "known"
    with pytest.raises(StacSearchError, match="cloudier than --max-cloud 50"):
        choose([item("unknown", None)], StacQuery(QUERY.url, "s2", AOI, max_cloud=50), "d")


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "no item of collection 's2'"),
        ([item("west", 0, (8.9, 44.9, 9.05, 45.2))], "covers the whole AOI"),
        ([item("a", 90), item("b", 95)], "least: a, 90%"),
    ],
)
def test_refusals_name_what_no_item_met(items: list[pystac.Item], message: str) -> None:
    with pytest.raises(StacSearchError, match=message):
        choose(items, StacQuery(QUERY.url, "s2", AOI, max_cloud=50), "2024-06-01")


@pytest.mark.parametrize("text", ["2024-13-01", "2024-06-02/2024-06-01", "June"])
def test_bad_dates_and_boxes_are_refused(text: str) -> None:
    with pytest.raises(StacSearchError):
        parse_dates(text)
    with pytest.raises(StacSearchError, match="W,S,E,N"):
        StacQuery("u", "c", (9.1, 45.0, 9.0, 45.1))


def test_a_day_and_a_range_are_half_open_intervals() -> None:
    start, end = parse_dates("2024-06-01/2024-06-02")
    assert (start.day, end.day, end.tzinfo) == (1, 3, timezone.utc)


def test_bands_by_asset_key_or_by_common_name() -> None:
    one = item("keys", 0)
    for name in ("red", "green", "blue"):
        one.add_asset(name, pystac.Asset(f"http://127.0.0.1:1/{name}.tif"))
    assert [(r.asset, r.band) for r in band_refs(one)] == [("red", 1), ("green", 1), ("blue", 1)]
    visual = item("visual", 0)
    bands = [{"name": f"B{k}", "common_name": n} for k, n in ((4, "red"), (3, "green"), (2, "blue"))]
    visual.add_asset("visual", pystac.Asset("http://127.0.0.1:1/v.tif", extra_fields={"eo:bands": bands}))
    assert [(r.asset, r.band) for r in band_refs(visual, ("blue", "green", "red"))] == [
        ("visual", 3), ("visual", 2), ("visual", 1)]
    with pytest.raises(SceneError, match="no asset or eo:bands common name 'nir'.*offers blue, green, red"):
        band_refs(visual, ("nir", "red", "green"))
