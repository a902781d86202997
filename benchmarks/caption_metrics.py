#!/usr/bin/env python3
"""Time `evaluation.captions.score_captions` on a LEVIR-CC-sized test set: 1,929 items x 5 references, synthetic
sentences from a seeded vocabulary, with and without METEOR (whose JVM start and paraphrase table dominate).

    python benchmarks/caption_metrics.py [--repeats 3]

Prints the median wall time of each configuration; the target is under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from evaluation.captions import score_captions

ITEMS, REFERENCES = 1929, 5
SUBJECTS = [
    "a road",
    "some houses",
    "a building",
    "many trees",
    "a parking lot",
    "several villas",
    "the bareland",
]
VERBS = ["is built", "are constructed", "appears", "are removed", "is replaced by a lawn", "has been paved"]
PLACES = [
    "near the river",
    "along the road",
    "in the top left corner",
    "at the bottom",
    "beside the forest",
    "",
]
NO_CHANGE = ["the scene is the same as before", "there is no difference", "nothing has changed"]


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f" {rng.choice(NO_CHANGE)} ."
    return f" {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(PLACES)} .".replace("  ", " ")


def synthetic_set(seed: int = 0) -> tuple[dict[str, list[str]], dict[str, str]]:
    rng = random.Random(seed)
    references = {f"test_{i:06d}.png": [_sentence(rng) for _ in range(REFERENCES)] for i in range(ITEMS)}
    predictions = {key: _sentence(rng).strip() for key in references}
    return references, predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per configuration; the median is printed"
    )
    args = parser.parse_args()
    references, predictions = synthetic_set()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{ITEMS} items x {REFERENCES} references; median of {args.repeats} runs; {os.cpu_count()} CPUs, load {load}"
    )
    for meteor in (False, True):
        times, scores = [], {}
        for _ in range(args.repeats):
            start = time.perf_counter()
            scores = score_captions(references, predictions, meteor=meteor)
            times.append(time.perf_counter() - start)
        label = "with METEOR   " if meteor else "without METEOR"
        spread = f"(min {min(times):.1f} s, max {max(times):.1f} s)"
        print(f"{label}: {statistics.median(times):6.1f} s {spread}   CIDEr {scores['CIDEr']:.2f}")


if __name__ == "__main__":
    main()
