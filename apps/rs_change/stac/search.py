"""Find the scene of each date in a STAC catalog: search, then choose one item per date and say why.

`open_catalog` opens a STAC API (searched with pystac-client's item search) or a static catalog (walked through
pystac's links by the same client); both go over HTTP with a timeout and retries with exponential backoff
(urllib3's `Retry`). `find_items` returns the items of a collection over the area of interest (AOI) on a date;
`choose` keeps those that cover the whole AOI and are under the cloud limit, and picks the least cloudy one
(ties: the latest acquisition, then the id). Every refusal names the date, the collection and what to change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pystac
import shapely.geometry
from pystac_client import Client
from pystac_client.conformance import ConformanceClasses
from pystac_client.exceptions import APIError
from pystac_client.stac_api_io import StacApiIO
from requests.exceptions import RequestException
from tqdm import tqdm
from urllib3.util.retry import Retry

from apps.rs_change.errors import SceneError

BBox = tuple[float, float, float, float]  # west, south, east, north in degrees (EPSG:4326)


class StacSearchError(SceneError):
    """The catalog cannot be reached, or holds no usable item for a date."""


@dataclass(frozen=True)
class StacQuery:
    url: str = field(metadata={"help": "STAC API root or static catalog.json (http(s) URL or local path)"})
    collection: str = field(metadata={"help": "collection id the items must belong to"})
    bbox: BBox = field(metadata={"help": "area of interest: west, south, east, north in degrees"})
    max_cloud: float = field(default=100.0, metadata={"help": "largest eo:cloud_cover (percent) accepted"})
    max_items: int = field(default=200, metadata={"help": "items examined per date at most"})
    timeout_s: int = field(default=30, metadata={"help": "seconds before one HTTP request is abandoned"})
    retries: int = field(default=3, metadata={"help": "further tries of a failed request, with backoff"})

    def __post_init__(self) -> None:
        west, south, east, north = self.bbox
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise StacSearchError(f"--bbox {','.join(map(str, self.bbox))}: expected W,S,E,N in degrees "
                                  "with W < E and S < N")
        if not 0 <= self.max_cloud <= 100:
            raise StacSearchError(f"--max-cloud {self.max_cloud}: expected a percentage in [0, 100]")

    @property
    def aoi(self) -> shapely.geometry.Polygon:
        return shapely.geometry.box(*self.bbox)


@dataclass(frozen=True)
class Choice:
    item: pystac.Item
    reason: str  # one line: why this item, out of how many


def parse_dates(text: str) -> tuple[datetime, datetime]:
    """`YYYY-MM-DD` (that whole UTC day) or `YYYY-MM-DD/YYYY-MM-DD` (both days included) as [start, end)."""
    try:
        first, _, last = text.partition("/")
        start = date.fromisoformat(first)
        end = date.fromisoformat(last) if last else start
    except ValueError as err:
        raise StacSearchError(f"date {text!r}: expected YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD") from err
    if end < start:
        raise StacSearchError(f"date {text!r}: the range ends before it starts")
    return _midnight(start), _midnight(end + timedelta(days=1))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def open_catalog(query: StacQuery) -> Client:
    retry = Retry(total=query.retries, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                  allowed_methods=None, raise_on_status=False)
    io = StacApiIO(timeout=query.timeout_s, max_retries=retry)
    try:
        return Client.open(query.url, stac_io=io)
    except (APIError, RequestException, pystac.STACError, OSError) as err:
        raise StacSearchError(f"{query.url}: the STAC catalog could not be opened after "
                              f"{query.retries + 1} tries ({_short(err)}); check the URL, or raise "
                              "--http-timeout / --http-retries") from err


def find_items(client: Client, query: StacQuery, when: str, *, progress: bool = True) -> list[pystac.Item]:
    """Items of `query.collection` intersecting the AOI and acquired within `when` (see `parse_dates`)."""
    start, end = parse_dates(when)
    try:
        if client.conforms_to(ConformanceClasses.ITEM_SEARCH):
            sortby = [{"field": "eo:cloud_cover", "direction": "asc"}]  # no `properties.` prefix: stac-geoparquet
            search = client.search(collections=[query.collection], bbox=query.bbox,
                                   datetime=[start, end - timedelta(microseconds=1)],
                                   sortby=sortby if client.conforms_to(ConformanceClasses.SORT) else None,
                                   max_items=query.max_items)
            found = search.items()
        else:
            found = (item for item in client.get_items(recursive=True) if item.collection_id == query.collection
                     and _acquired_within(item, start, end) and shapely.geometry.shape(item.geometry)
                     .intersects(query.aoi))
        items = []
        with tqdm(desc=f"STAC items for {when}", unit="item", disable=not progress) as bar:
            for item in found:
                items.append(item)
                bar.update()
                if len(items) >= query.max_items:
                    break
        return items
    except (APIError, RequestException, pystac.STACError, OSError) as err:
        raise StacSearchError(f"{query.url}: searching collection {query.collection!r} for {when} failed after "
                              f"{query.retries + 1} tries ({_short(err)}); raise --http-timeout or "
                              "--http-retries for a slow catalog") from err


def choose(items: list[pystac.Item], query: StacQuery, when: str) -> Choice:
    """The least cloudy item covering the whole AOI under `query.max_cloud`, or a `StacSearchError` saying which
    condition no item met."""
    where = f"collection {query.collection!r} over bbox {','.join(map(str, query.bbox))} on {when}"
    if not items:
        raise StacSearchError(f"no item of {where}; widen the date (e.g. {when[:10]}/YYYY-MM-DD) or check "
                              "--collection")
    covering = [i for i in items if i.geometry and shapely.geometry.shape(i.geometry).covers(query.aoi)]
    if not covering:
        raise StacSearchError(f"none of the {len(items)} item(s) of {where} covers the whole AOI "
                              f"({', '.join(i.id for i in items[:5])} cover it only partly); shrink --bbox")
    clear = covering if query.max_cloud == 100 else [i for i in covering if _cloud(i) <= query.max_cloud]
    if not clear:
        least = min(covering, key=_cloud)
        raise StacSearchError(f"every one of the {len(covering)} covering item(s) of {where} is cloudier than "
                              f"--max-cloud {query.max_cloud:g} (least: {least.id}, {_cloud(least):g}%); raise "
                              "--max-cloud or pick another date")
    best = min(clear, key=lambda i: (_cloud(i), -_timestamp(i), i.id))
    cloud = _cloud(best)
    reason = (f"{when}: {best.id} ({'cloud cover unknown' if math.isinf(cloud) else f'{cloud:g}% cloud'}, "
              f"covers the AOI): least cloudy of {len(clear)} covering item(s) under {query.max_cloud:g}%; "
              f"{len(items) - len(covering)} left out for partial coverage, {len(covering) - len(clear)} as too "
              "cloudy")
    return Choice(best, reason)


def _cloud(item: pystac.Item) -> float:
    """eo:cloud_cover in percent; unknown counts as worse than any known value (and passes only 100)."""
    value = item.properties.get("eo:cloud_cover")
    return float(value) if isinstance(value, int | float) else math.inf


def _timestamp(item: pystac.Item) -> float:
    moment = item.datetime or item.common_metadata.start_datetime
    return moment.timestamp() if moment else 0.0


def _acquired_within(item: pystac.Item, start: datetime, end: datetime) -> bool:
    moment = item.datetime or item.common_metadata.start_datetime
    if moment is None:
        return False
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return start <= moment < end


def _short(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    if status is not None:
        return f"HTTP {status}"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
