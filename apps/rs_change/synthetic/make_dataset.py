"""Write the synthetic bitemporal dataset: LEVIR-CC layout, training JSONL and georeferenced demo scenes.

    python -m apps.rs_change.synthetic.make_dataset --out data/rs_synth --n-train 4000 --n-val 500 --n-test 500

Dataset format (DIR = --out):
  LevirCCcaptions.json, images/{split}/{A,B}/{split}_NNNNNN.png    LEVIR-CC layout, 256 x 256 (see levircc.py)
  images/{split}/label/{split}_NNNNNN.png                          change mask, 255 = changed (LEVIR-CD style)
  {train,val,test}.jsonl, images_{size}/{split}/NNNNNN_{a,b}.png   training export (docs/CONVENTIONS.md)
  describe.jsonl                                                   one single-image record per training image
  scenes/scene_NN/{before,after,change}.tif, events.json           GeoTIFF pairs (see geoscene.py)
  synthetic_info.json                                              arguments and counts, to regenerate it
Every pair has its own seed (--seed, split, number), so the output does not depend on --workers.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from apps.rs_change.synthetic.geoscene import write_scene_pair
from apps.rs_change.synthetic.levircc_records import image_record, levir_filename
from apps.rs_change.synthetic.nuisance import apply_nuisance
from apps.rs_change.synthetic.real_texture import on_real_texture
from apps.rs_change.synthetic.render import to_rgb8
from apps.rs_change.synthetic.scenes import make_pair, make_scene
from evaluation.datasets.levir_cc import PROMPT as CHANGE_PROMPT
from sve_core.errors import module_main
from sve_core.jsonl import read_jsonl, write_jsonl

SPLITS = ("train", "val", "test")
PAIR_SIZE = 256  # LEVIR-CC's tile size
PNG_LEVEL = 1  # zlib level: half the CPU of the default for ~15% larger files on these textures
DESCRIBE_PROMPT = "<image>What does this remote sensing image show?"  # single-image pretraining (docs/RECIPE.md)
SCENE_SHIFT = (24, 16)  # after-scene grid offset (pixels east, south) in the GeoTIFF pairs


@dataclass(frozen=True)
class PairJob:
    out: Path
    split: str
    number: int  # 1-based within the split
    seed: int
    size: int  # side of the training copies
    change_rate: float
    nuisance_rate: float = 0.0
    real_rate: float = 0.0


def write_pair(job: PairJob) -> tuple[int, list[str], dict[str, Any]]:
    """Render one pair, write its LEVIR-CC PNGs and training copies; (changeflag, sentences, JSONL row)."""
    split_index = SPLITS.index(job.split)
    pair = make_pair([job.seed, split_index, job.number], PAIR_SIZE, change_rate=job.change_rate,
                     nuisance_rate=job.nuisance_rate)
    name = levir_filename(job.split, job.number)
    small = [f"images_{job.size}/{job.split}/{job.number:06d}_{suffix}.png" for suffix in ("a", "b")]
    earlier, later, nuisance = to_rgb8(pair.before), to_rgb8(pair.after), pair.nuisance
    real = np.random.default_rng([job.seed, split_index, job.number, 11])  # apart: other pairs stay the same
    on_real, earlier_jittered = real.random() < job.real_rate, False
    if on_real:
        earlier, later, nuisance, earlier_jittered = on_real_texture(earlier, later, pair.change_mask, real)
    if earlier_jittered:
        earlier = apply_nuisance(earlier, nuisance, np.random.default_rng(pair.nuisance_seed))
    else:
        later = apply_nuisance(later, nuisance, np.random.default_rng(pair.nuisance_seed))
    Image.fromarray(pair.change_mask.astype(np.uint8) * 255).save(job.out / "images" / job.split / "label" / name)
    for rgb, letter, small_path in ((earlier, "A", small[0]), (later, "B", small[1])):
        image = Image.fromarray(rgb)
        image.save(job.out / "images" / job.split / letter / name, compress_level=PNG_LEVEL)
        image.resize((job.size, job.size), Image.Resampling.LANCZOS).save(job.out / small_path,
                                                                           compress_level=PNG_LEVEL)
    row = {"messages": [{"role": "user", "content": "<image><image>" + CHANGE_PROMPT},
                        {"role": "assistant", "content": pair.sentences[0] + "."}],
           "images": small,
           "meta": {"changeflag": pair.changeflag, "change": pair.change.kind, "count": pair.change.count,
                    "levircc": f"images/{job.split}/{{A,B}}/{name}", "references": pair.sentences,
                    "mask": f"images/{job.split}/label/{name}", "nuisance": list(nuisance),
                    "descriptions": list(pair.descriptions)}}
    if on_real:  # only then: without --real-texture-rate the records stay byte for byte as before
        row["meta"]["real_texture"] = True
        row["meta"]["nuisance_date"] = "earlier" if earlier_jittered else "later"
    return pair.changeflag, pair.sentences, row


def write_dataset(out: Path, counts: dict[str, int], *, seed: int, size: int, change_rate: float,
                  workers: int, nuisance_rate: float = 0.0, real_rate: float = 0.0) -> dict[str, int]:
    """LEVIR-CC JSON + images and the training JSONL for every split; returns changed pairs per split."""
    records, changed, imgid = [], {}, 0
    with ExitStack() as stack:
        pool = stack.enter_context(Pool(workers)) if workers > 1 else None
        for split in SPLITS:
            for sub in (f"images/{split}/A", f"images/{split}/B", f"images/{split}/label", f"images_{size}/{split}"):
                (out / sub).mkdir(parents=True, exist_ok=True)
            jobs = [PairJob(out, split, n, seed, size, change_rate, nuisance_rate, real_rate)
                    for n in range(1, counts[split] + 1)]
            changed[split] = 0
            results = pool.imap(write_pair, jobs, chunksize=8) if pool else map(write_pair, jobs)
            rows = []
            for job, (flag, sentences, row) in zip(jobs, results, strict=True):
                records.append(image_record(split, job.number, imgid, flag, sentences))
                rows.append(row)
                changed[split] += flag
                imgid += 1
            write_jsonl(out / f"{split}.jsonl", rows)
    (out / "LevirCCcaptions.json").write_text(json.dumps({"images": records}), encoding="utf-8")
    singles = describe_records(out / "train.jsonl")
    write_jsonl(out / "describe.jsonl", singles)
    return changed


def describe_records(pairs: Path) -> list[dict[str, Any]]:
    """One single-image record per image of a pairs JSONL: `DESCRIBE_PROMPT` and what that date shows."""
    singles = []
    for row in read_jsonl(pairs):
        singles += [{"messages": [{"role": "user", "content": DESCRIBE_PROMPT},
                                  {"role": "assistant", "content": text}], "images": [image]}
                    for image, text in zip(row["images"], row["meta"]["descriptions"], strict=True)]
    return singles


def write_scenes(out: Path, count: int, *, seed: int, size: int) -> list[Path]:
    folders = []
    for index in range(1, count + 1):
        scene = make_scene([seed, len(SPLITS), index], size + max(SCENE_SHIFT), events=max(3, (size // 256) + 1))
        folders.append(write_scene_pair(out / "scenes" / f"scene_{index:02d}", scene, size=size,
                                        shift=SCENE_SHIFT).before.parent)
    return folders


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The generator's flags, shared by `python -m apps.rs_change.synthetic.make_dataset` and `sve rs make-dataset`."""
    parser.add_argument("--out", type=Path, required=True, help="output folder (created; existing files replaced)")
    parser.add_argument("--n-train", type=int, default=4000, help="training pairs")
    parser.add_argument("--n-val", type=int, default=500, help="validation pairs")
    parser.add_argument("--n-test", type=int, default=500, help="test pairs")
    parser.add_argument("--seed", type=int, default=0, help="master seed; the same seed gives the same dataset")
    parser.add_argument("--size", type=int, default=96, help="side (px) of the training copies in images_SIZE/")
    parser.add_argument("--change-rate", type=float, default=0.5, help="fraction of pairs with a change")
    parser.add_argument("--nuisance-rate", type=float, default=0.0,
                        help="fraction of pairs whose later date also gets nuisance change (gain/offset, haze, hue, "
                        "noise, JPEG, sub-2 px misregistration, sun direction; apps/rs_change/nuisance.py), the "
                        "label unchanged; 0 reproduces the datasets made before it existed")
    parser.add_argument("--real-texture-rate", type=float, default=0.0,
                        help="fraction of pairs drawn on a real photograph's texture (scikit-learn's sample "
                        "images), the synthetic change pasted in, one date (either) with radiometric nuisance "
                        "(apps/rs_change/synthetic/real_texture.py); 0 reproduces the datasets made before it existed")
    parser.add_argument("--n-scenes", type=int, default=3, help="georeferenced GeoTIFF scene pairs to write")
    parser.add_argument("--scene-size", type=int, default=1024, help="side (px, 0.5 m each) of the GeoTIFF scenes")
    parser.add_argument("--workers", type=int, default=1, help="processes rendering pairs in parallel")


def run(args: argparse.Namespace) -> int:
    counts = {"train": args.n_train, "val": args.n_val, "test": args.n_test}
    if (min(counts.values()) < 0 or args.size < 8 or not 0 <= args.change_rate <= 1 or args.workers < 1
            or not 0 <= args.nuisance_rate <= 1 or not 0 <= args.real_texture_rate <= 1):
        raise ValueError("expected counts >= 0, --size >= 8, 0 <= --change-rate <= 1, 0 <= --nuisance-rate <= 1, "
                         "0 <= --real-texture-rate <= 1 and --workers >= 1")
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    changed = write_dataset(args.out, counts, seed=args.seed, size=args.size, change_rate=args.change_rate,
                            workers=args.workers, nuisance_rate=args.nuisance_rate,
                            real_rate=args.real_texture_rate)
    pairs_done = time.perf_counter()
    scenes = write_scenes(args.out, args.n_scenes, seed=args.seed, size=args.scene_size)
    arguments = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if not callable(v)}
    info = {"arguments": arguments,
            "pairs": counts, "changed": changed, "scenes": [str(p.relative_to(args.out)) for p in scenes],
            "prompt": CHANGE_PROMPT, "seconds": {"pairs": round(pairs_done - start, 1),
                                                 "scenes": round(time.perf_counter() - pairs_done, 1)}}
    (args.out / "synthetic_info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    total = sum(counts.values())
    print(f"wrote {total} pairs ({sum(changed.values())} changed) in {pairs_done - start:.1f} s and "
          f"{len(scenes)} GeoTIFF scene pairs in {time.perf_counter() - pairs_done:.1f} s to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main("apps.rs_change.synthetic.make_dataset", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
