"""LEVIR-CC-style sentences for a `Change`: lower case, plain words, five varied references per pair.

The first sentence is canonical (one fixed template per kind, with count, ground and position filled in) so a
small model has one consistent target; the other four are drawn from varied templates, as the five human
annotators of LEVIR-CC phrase the same change differently.
"""

from __future__ import annotations

import numpy as np

from apps.rs_change.synthetic.changes import Change

NO_CHANGE = ("the scene is the same as before", "there is no difference", "no change has occurred",
             "the two scenes seem identical", "nothing has changed", "there is no change",
             "the scene remains unchanged", "almost nothing has changed")


def position(change: Change) -> str:
    """Where the change is within its area: "at the top left", "on the right", "in the middle", or "" when it
    spans most of the area."""
    x0, y0, x1, y1 = change.area
    bx0, by0, bx1, by1 = change.box
    if (bx1 - bx0) > 0.7 * (x1 - x0) and (by1 - by0) > 0.7 * (y1 - y0):
        return ""
    cx, cy = ((bx0 + bx1) / 2 - x0) / (x1 - x0), ((by0 + by1) / 2 - y0) / (y1 - y0)
    horizontal = "left" if cx < 0.36 else "right" if cx > 0.64 else ""
    vertical = "top" if cy < 0.36 else "bottom" if cy > 0.64 else ""
    if horizontal and vertical:
        return f"at the {vertical} {horizontal}"
    if vertical:
        return f"at the {vertical}"
    return f"on the {horizontal}" if horizontal else "in the middle"


def quantity(count: int, rng: np.random.Generator) -> tuple[str, bool]:
    """(noun phrase, plural?) for a number of buildings, in LEVIR-CC's words."""
    noun = str(rng.choice(["buildings", "houses", "villas"] if count > 1 else ["building", "house", "villa"]))
    if count == 1:
        return f"a {noun}", False
    if count <= 3:
        return f"{str(rng.choice([['two', 'three'][count - 2], 'some', 'a few']))} {noun}", True
    return f"{str(rng.choice(['several', 'some'] if count <= 6 else ['many', 'a lot of']))} {noun}", True


def _join(*words: str) -> str:
    return " ".join(w for w in words if w)


def _templates(change: Change, rng: np.random.Generator) -> list[str]:
    """Candidate sentences for `change`; the first one is the canonical template."""
    where = position(change)
    on = {"bare land": "on the bare land", "grassland": "on the grassland", "woods": "in the woods",
          "farmland": "on the farmland"}.get(change.ground, "")
    things, plural = quantity(change.count, rng)
    be, appear = ("are", "appear") if plural else ("is", "appears")
    if change.kind == "buildings_built":
        return [_join(things, be, "built", "along the road" if change.along_road else on, where),
                _join(things, be, "constructed", where),
                _join(things, appear, on or where),
                _join(things, "have been built" if plural else "has been built", on),
                _join("the", change.ground, "is replaced by", things) if change.ground else _join(things, appear),
                _join("some new buildings appear" if plural else "a new building appears", where),
                _join(things, be, "built along the road") if change.along_road else _join(things, be, "built")]
    if change.kind == "buildings_demolished":
        return [_join(things, be, "demolished", where), _join(things, be, "removed", where),
                _join(things, "disappear" if plural else "disappears", where),
                _join(things, be, "torn down and the land becomes bare"),
                _join(things, where, "no longer exist" if plural else "no longer exists"),
                _join(things, be, "gone")]
    if change.kind == "road_built":
        return [_join("a road is built", where or "across the scene"), _join("a new road appears", where),
                _join("a road is constructed", on), _join("there is a new road", where),
                _join("a road has been built", on), "a road is built through the scene"]
    if change.kind == "road_and_buildings":
        return [_join("a road is built and", things, be, "built along it"),
                _join("a new road appears with", things, "beside it"),
                _join("a road and", things, "are constructed", where),
                _join("a road is built", where, "and", things, appear, "along it"),
                _join(things, be, "built along a new road"),
                _join("a road is constructed", on, "with", things, "next to it")]
    if change.kind == "pond_dug":
        return [_join("a pond appears", where), _join("a pond is dug", on), _join("a small lake is built", where),
                _join("a pool of water appears", on), _join("the", change.ground, where, "becomes a pond")
                if change.ground else _join("a pond is dug", where), _join("there is a new pond", where)]
    if change.kind == "trees_cleared":
        return [_join("the trees", where, "are cut down"), _join("some trees are removed", where),
                _join("the woods", where, "become bare land"), "a patch of forest is cleared",
                _join("many trees disappear", where), _join("the trees are replaced by bare land", where)]
    return list(NO_CHANGE)


def sentences(change: Change, rng: np.random.Generator, n: int = 5) -> list[str]:
    """`n` distinct sentences: the canonical one first, then a random choice of the others."""
    candidates = list(dict.fromkeys(_templates(change, rng)))
    first, rest = candidates[0], candidates[1:]
    picks = [rest[i] for i in rng.permutation(len(rest))[: n - 1]]
    while len(picks) < n - 1:  # too few distinct templates: repeat, as LEVIR-CC annotators sometimes do
        picks.append(rest[int(rng.integers(len(rest)))])
    return [first, *picks]
