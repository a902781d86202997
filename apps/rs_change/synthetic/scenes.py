"""Seeded synthetic bitemporal scenes: a landscape, a change event (or none), two rendered dates.

`make_pair` gives LEVIR-CC-like 256 px pairs with five reference sentences; `make_scene` gives a large scene
with several events in separate places and an exact change mask, for georeferenced demo GeoTIFFs. Between the
two dates the season, illumination, haze, shadows and sensor noise always differ: that is not a change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from apps.rs_change.synthetic.captions import sentences
from apps.rs_change.synthetic.changes import Change, ChangeKind, apply_change, draw_kind
from apps.rs_change.synthetic.landscape import Edit, Landscape, describe
from apps.rs_change.synthetic.nuisance import draw_kinds, relit
from apps.rs_change.synthetic.placement import random_landscape
from apps.rs_change.synthetic.render import Season, Textures, render

Seed = int | Sequence[int]
ATTEMPTS = 30  # landscapes tried before giving up on placing an event (each failure is rare)


@dataclass(frozen=True)
class SyntheticPair:
    before: np.ndarray  # (4, S, S) float32 reflectance R, G, B, NIR
    after: np.ndarray
    change: Change
    sentences: list[str]  # five LEVIR-CC-style references, canonical first
    descriptions: tuple[str, str]  # what each date shows (`landscape.describe`), for single-image pretraining
    change_mask: np.ndarray  # (S, S) bool: pixels the change altered (empty for "none")
    nuisance: tuple[str, ...] = ()  # nuisance kinds for the later date (nuisance.py); "shadow" already rendered
    nuisance_seed: int = 0  # seeds `apply_nuisance` for the image-level kinds

    @property
    def changeflag(self) -> int:
        return int(self.change.kind != "none")


@dataclass(frozen=True)
class SyntheticScene:
    before: np.ndarray  # (4, S, S) float32 reflectance
    after: np.ndarray
    changes: list[Change]
    captions: list[str]  # the canonical sentence of each change, positions relative to its own area
    change_mask: np.ndarray  # (S, S) bool: pixels an event altered (seasonal shifts excluded)


def make_pair(seed: Seed, size: int = 256, *, kind: ChangeKind | None = None,
              change_rate: float = 0.5, nuisance_rate: float = 0.0) -> SyntheticPair:
    """One pair; `kind` None draws "none" with probability 1 - `change_rate`, else a weighted change kind. With
    probability `nuisance_rate` the later date also gets nuisance change (nuisance.py), drawn from its own
    generator so a pair without it is the same as with `nuisance_rate=0`."""
    rng = np.random.default_rng(seed)
    extra = np.random.default_rng([*np.atleast_1d(seed).tolist(), 7])
    kinds = draw_kinds(extra) if extra.random() < nuisance_rate else ()
    if kind is None:
        kind = draw_kind(rng) if rng.random() < change_rate else "none"
    for _ in range(ATTEMPTS):
        outcome = apply_change(random_landscape(rng, size), kind, rng)
        if outcome is not None:
            break
    else:
        raise RuntimeError(f"could not place a {kind!r} change in {ATTEMPTS} landscapes (seed {seed})")
    before_land, after_land, change = outcome
    textures = Textures.draw(int(rng.integers(2**31)), size)
    season = Season.draw(rng)
    before = render(before_land, season, textures, noise_seed=int(rng.integers(2**31)))
    later = Season.draw(rng, like=season)
    after = render(after_land, relit(later, extra) if "shadow" in kinds else later, textures,
                   noise_seed=int(rng.integers(2**31)))
    return SyntheticPair(before, after, change, sentences(change, rng), (describe(before_land), describe(after_land)),
                         edit_mask(before_land, after_land, season, textures), kinds, int(extra.integers(2**31)))


def edit_mask(before: Landscape, after: Landscape, season: Season, textures: Textures) -> np.ndarray:
    """(S, S) bool: where the two landscapes differ, rendered on one date, twice (seasons and noise excluded)."""
    same = Season(season.dryness, (1.0, 1.0, 1.0, 1.0), 0.0, season.shadow)
    diff = np.abs(render(before, same, textures, noise_seed=0) - render(after, same, textures, noise_seed=0))
    return diff.max(axis=0) > 0.01


def make_scene(seed: Seed, size: int = 1024, *, events: int = 5, cell: int = 256) -> SyntheticScene:
    """A large scene with up to `events` changes, each confined to its own `cell` x `cell` block."""
    rng = np.random.default_rng(seed)
    land = random_landscape(rng, size)
    edits, changes, captions = [], [], []
    per_side = size // cell
    for index in rng.permutation(per_side * per_side)[:events]:
        row, col = divmod(int(index), per_side)
        area = (col * cell, row * cell, (col + 1) * cell, (row + 1) * cell)
        for _ in range(ATTEMPTS):
            outcome = apply_change(land, draw_kind(rng), rng, area=area)  # prepares `land` in place
            if outcome is not None:
                _, changed, change = outcome
                edits.append(Edit.between(land, changed))
                changes.append(change)
                captions.append(sentences(change, rng, n=1)[0])
                break
    after = land.copy()
    for edit in edits:
        edit.apply(after)
    textures = Textures.draw(int(rng.integers(2**31)), size)
    season = Season.draw(rng)
    before_refl = render(land, season, textures, noise_seed=int(rng.integers(2**31)))
    after_refl = render(after, Season.draw(rng, like=season), textures, noise_seed=int(rng.integers(2**31)))
    return SyntheticScene(before_refl, after_refl, changes, captions, edit_mask(land, after, season, textures))
