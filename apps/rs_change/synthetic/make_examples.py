"""Write the example scenes the remote-sensing UI offers (`apps/rs_change/examples/`), reproducibly.

One synthetic GeoTIFF pair from the scene generator (`make_scene` + `write_scene_pair`): 512 x 512 px at
0.5 m in UTM 32N, 4-band uint16 (R, G, B, NIR), tiled and deflate-compressed, the after-scene on a grid
shifted 24 px east and 16 px south so the app has to warp it and crop to the overlap, as with real
acquisitions. Three change events sit in separate 256 px cells; `change.tif` and `events.json` are the
ground truth. Reflectance is quantised to steps of `QUANTUM` (64 digital numbers), well below the renderer's
sensor noise (+-0.006), which keeps the pair under 1 MB. `examples.json` lists the cases for the UI.

    python -m apps.rs_change.synthetic.make_examples
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from apps.rs_change.synthetic.geoscene import write_scene_pair
from apps.rs_change.synthetic.make_dataset import SCENE_SHIFT
from apps.rs_change.synthetic.scenes import make_scene

OUT = Path(__file__).resolve().parents[1] / "examples"
SIZE = 512
SEED = 7
EVENTS = 3
QUANTUM = 64 / 10_000  # reflectance step; the GeoTIFFs store reflectance x 10,000


def write_examples(out: Path = OUT) -> list[dict[str, object]]:
    scene = make_scene(SEED, SIZE + max(SCENE_SHIFT), events=EVENTS)
    scene = dataclasses.replace(
        scene,
        before=np.round(scene.before / QUANTUM) * QUANTUM,
        after=np.round(scene.after / QUANTUM) * QUANTUM,
    )
    paths = write_scene_pair(out, scene, size=SIZE, shift=SCENE_SHIFT)
    manifest: list[dict[str, object]] = [
        {
            "name": "synthetic GeoTIFF pair",
            "before": paths.before.name,
            "after": paths.after.name,
            "events": scene.captions,
        }
    ]
    (out / "examples.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for case in write_examples():
        print(f"{case['name']}: {case['before']} -> {case['after']}: {'; '.join(case['events'])}")
