"""Pairs on real texture (apps/rs_change/synthetic/real_texture.py): the dates differ only inside the change, the
background is a real texture (photographs and a real elevation model shipped in packages), the nuisance goes to
either date, and the dataset flag records which pairs are and which date got it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from apps.rs_change.synthetic.make_dataset import write_dataset
from apps.rs_change.synthetic.real_texture import GROW, RADIOMETRIC, on_real_texture, real_crop, textures
from apps.rs_change.synthetic.render import to_rgb8
from apps.rs_change.synthetic.scenes import make_pair


def test_crops_come_from_the_real_textures() -> None:
    crop = real_crop(np.random.default_rng(0), 64)
    assert crop.shape == (64, 64, 3) and crop.dtype == np.uint8 and crop.std() > 5  # texture, not a flat fill
    sources = textures()
    assert len(sources) == 6 and all(t.ndim == 3 and t.shape[2] == 3 and t.dtype == np.uint8 for t in sources)
    assert all(t.std() > 10 and min(t.shape[:2]) >= 300 for t in sources)  # real texture, big enough to crop


def test_only_the_change_differs_between_the_dates() -> None:
    pair = make_pair(4, 128, kind="buildings_built")
    before, after = to_rgb8(pair.before), to_rgb8(pair.after)
    real_before, real_after, kinds, _ = on_real_texture(before, after, pair.change_mask, np.random.default_rng(1))
    differs = (real_before != real_after).any(axis=-1)
    assert differs.any()
    outside = ~ndimage.binary_dilation(pair.change_mask, iterations=GROW)
    assert not differs[outside].any()  # the real background is the same in both dates
    assert (real_before[outside] != before[outside]).any()  # ... and it is not the rendered landscape
    assert 1 <= len(kinds) <= 2 and set(kinds) <= set(RADIOMETRIC)

    unchanged = make_pair(5, 128, kind="none")
    same_a, same_b, _, _ = on_real_texture(to_rgb8(unchanged.before), to_rgb8(unchanged.after), unchanged.change_mask,
                                        np.random.default_rng(2))
    assert (same_a == same_b).all()  # no change: the crop twice (nuisance comes later, in write_pair)


def test_dataset_flag(tmp_path: Path) -> None:
    write_dataset(tmp_path, {"train": 12, "val": 0, "test": 0}, seed=0, size=32, change_rate=0.5, workers=1,
                  real_rate=0.5)
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    flags = [row["meta"].get("real_texture", False) for row in rows]
    assert any(flags) and not all(flags)
    assert all(row["meta"]["nuisance"] for row, real in zip(rows, flags, strict=True) if real)
    dates = {row["meta"]["nuisance_date"] for row, real in zip(rows, flags, strict=True) if real}
    assert dates == {"earlier", "later"}  # either date: the model must not learn "the later one is jittered"
