"""Writes records of `apps.cxr.phantoms.make_dataset`'s JSONL into a test's tmp folder: its prompt, its Medical-Diff-VQA-style
answers and the `meta` fields evaluation reads (added, missing, views), with PNGs rendered straight from the
phantoms. make-dataset's own path goes through DICOM files and the MONAI loader, ~10 s of imports that tests of
what reads the JSONL do not need. Seeded: the same arguments write the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from apps.cxr.phantoms.patients import CHANGE_QUESTION, sample_pair
from apps.cxr.phantoms.render import render_frontal


def write_split(root: Path, split: str, count: int, *, seed: int = 0, size: int = 32) -> list[dict]:
    """`root/<split>.jsonl` and `root/images/<split>/NNNNNN_{a,b}.png`; returns the records written."""
    records = []
    for index in range(count):
        pair = sample_pair(np.random.default_rng([seed, index]))
        images = []
        for suffix, visit in zip("ab", (pair.prior, pair.current), strict=True):
            relative = f"images/{split}/{index + 1:06d}_{suffix}.png"
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            pixels = np.round(render_frontal(pair.patient, visit, size) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / relative)
            images.append(relative)
        meta = {
            "added": list(pair.added),
            "missing": list(pair.missing),
            "views": [pair.prior.view, pair.current.view],
        }
        records.append(
            {
                "messages": [
                    {"role": "user", "content": CHANGE_QUESTION},
                    {"role": "assistant", "content": pair.answer},
                ],
                "images": images,
                "meta": meta,
            }
        )
    (root / f"{split}.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    return records
