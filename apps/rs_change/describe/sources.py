"""Where `sve rs describe` gets its scenes: local files, a STAC catalog (`--stac`), or URLs (`--remote`).

STAC and URL scenes are reduced to local GeoTIFFs of the area of interest first (`stac_read.read_aoi`, only the
AOI's blocks travel), in `OUT/.sve_sources/`, by the main process of a launch; the others wait and read them.
Everything after that (ingestion, tiling, outputs) is the same as for local files.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from apps.rs_change.errors import SceneError
from apps.rs_change.outputs.stac_item import Provenance
from apps.rs_change.scene.remote import RemoteConfig, is_remote
from apps.rs_change.stac.read import band_refs, read_aoi, url_refs
from apps.rs_change.stac.search import StacQuery, choose, find_items, open_catalog

SOURCES_FOLDER = ".sve_sources"


@dataclass(frozen=True)
class Sources:
    paths: tuple[Path, ...]  # local scene files, oldest first
    names: tuple[str, ...]  # STAC item ids, URL or file names: what the outputs call the dates
    provenance: Provenance

    @property
    def item_id(self) -> str:
        """`change-<first>-<last>`: stable across reruns of the same dates (a catalog replaces, not duplicates)."""
        return "change-" + "-".join(re.sub(r"[^A-Za-z0-9_.]+", "_", n)[:60] for n in (self.names[0], self.names[-1]))


def resolve(args: argparse.Namespace, out: Path, *, main: bool) -> Sources:
    """The scenes the arguments name, as local files; `main` is False in the other processes of a launch, which
    read what the main process fetched (call after it, e.g. behind a barrier)."""
    work = out / SOURCES_FOLDER
    if args.stac is None and not args.remote:
        local = [args.before, args.after, *args.more]
        if None in local[:2] or any(is_remote(str(s)) for s in local):
            raise SceneError("give --before and --after as local files, add --remote to read them from URLs, or "
                             "search a catalog with --stac URL --collection C --bbox W,S,E,N --before-date D1 "
                             "--after-date D2")
        paths = tuple(Path(s) for s in local)
        return Sources(paths, tuple(p.name for p in paths), Provenance(tuple(p.name for p in paths), stac=False))
    if not main:
        return _load(work)
    work.mkdir(parents=True, exist_ok=True)
    remote = RemoteConfig(timeout_s=args.http_timeout, retries=args.http_retries)
    sources = _from_stac(args, work, remote) if args.stac is not None else _from_urls(args, work, remote)
    (work / "sources.json").write_text(json.dumps(_dump(sources)), encoding="utf-8")
    return sources


def _from_stac(args: argparse.Namespace, work: Path, remote: RemoteConfig) -> Sources:
    for flag in ("collection", "bbox", "before_date", "after_date"):
        if getattr(args, flag) is None:
            raise SceneError(f"--stac needs --{flag.replace('_', '-')}")
    query = StacQuery(args.stac, args.collection, args.bbox, max_cloud=args.max_cloud,
                      timeout_s=args.http_timeout, retries=args.http_retries)
    client = open_catalog(query)
    paths, items = [], []
    for number, when in enumerate((args.before_date, args.after_date)):
        choice = choose(find_items(client, query, when), query, when)
        print(f"chose {choice.reason}", file=sys.stderr)
        refs = band_refs(choice.item, args.assets)
        paths.append(read_aoi(f"STAC item {choice.item.id}", refs, query.bbox,
                              work / f"date{number}_{choice.item.id}.tif", remote))
        items.append(choice.item)
    hrefs = tuple(i.get_self_href() or i.id for i in items)
    provenance = Provenance(hrefs, stac=True, start=items[0].datetime, end=items[-1].datetime)
    return Sources(tuple(paths), tuple(i.id for i in items), provenance)


def _from_urls(args: argparse.Namespace, work: Path, remote: RemoteConfig) -> Sources:
    urls = [str(u) for u in (args.before, args.after, *args.more) if u is not None]
    if len(urls) < 2 or not all(is_remote(u) for u in urls):
        raise SceneError("--remote needs --before and --after (and any --more) as http(s):// or /vsicurl/ URLs")
    paths = tuple(read_aoi(url, url_refs(url, args.bands), args.bbox, work / f"date{number}.tif", remote)
                  for number, url in enumerate(urls))
    names = tuple(u.rstrip("/").rsplit("/", 1)[-1] for u in urls)
    return Sources(paths, names, Provenance(tuple(urls), stac=False))


def _dump(sources: Sources) -> dict:
    p = sources.provenance
    return {"paths": [str(x) for x in sources.paths], "names": list(sources.names), "sources": list(p.sources),
            "stac": p.stac, "start": p.start.isoformat() if p.start else None,
            "end": p.end.isoformat() if p.end else None}


def _load(work: Path) -> Sources:
    data = json.loads((work / "sources.json").read_text(encoding="utf-8"))
    when = [datetime.fromisoformat(data[k]) if data[k] else None for k in ("start", "end")]
    provenance = Provenance(tuple(data["sources"]), data["stac"], *when)
    return Sources(tuple(Path(p) for p in data["paths"]), tuple(data["names"]), provenance)
