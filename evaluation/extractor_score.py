"""How well `evaluation.findings` (presence) and `evaluation.change_vector` (direction) read real report language,
on the hand-labelled sentences of `evaluation/data/cxr_report_sentences.txt` (format in its header).

Every (finding, label) pair counts once: a label is the status (present / absent / uncertain) or the change
direction (new / worse / better / resolved / stable). Per finding and micro-averaged precision, recall and F1, on
the development split (the rules were tuned on it) and the held-out split (never tuned on):

    python -m evaluation.extractor_score --out docs/EXTRACTOR.md

Caveat: the sentences were written and labelled by the engineer who wrote the rules, in the style of MIMIC-CXR
reports but not taken from them (no report corpus is reachable here); the held-out split was written before its
score was first seen and no rule was changed for it, but its phrasing is not independent of the rules' author.
A set labelled by radiologists on real reports would be the stronger test.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from evaluation.change_vector import change_directions
from evaluation.findings import FINDINGS, extract
from evaluation.report import markdown_table

DATA = Path(__file__).resolve().parent / "data" / "cxr_report_sentences.txt"
CODES = dict(
    zip(
        [
            "atel",
            "opac",
            "edema",
            "pna",
            "consol",
            "emph",
            "inf",
            "gran",
            "cont",
            "eff",
            "ptx",
            "pthick",
            "blunt",
            "cardio",
            "vasc",
            "hf",
            "hilar",
            "hernia",
            "pmed",
            "tort",
            "dtort",
            "calc",
            "fx",
            "scol",
            "hema",
            "air",
            "gastric",
        ],
        (
            "atelectasis",
            "lung opacity",
            "edema",
            "pneumonia",
            "consolidation",
            "emphysema",
            "infection",
            "granuloma",
            "contusion",
            "pleural effusion",
            "pneumothorax",
            "pleural thickening",
            "blunting of the costophrenic angle",
            "cardiomegaly",
            "vascular congestion",
            "heart failure",
            "hilar congestion",
            "hernia",
            "pneumomediastinum",
            "tortuosity of the thoracic aorta",
            "tortuosity of the descending aorta",
            "calcification",
            "fracture",
            "scoliosis",
            "hematoma",
            "air collection",
            "gastric distention",
        ),
        strict=True,
    )
)
STATUS = {"P": "present", "A": "absent", "U": "uncertain"}
DIRECTION = {"+": "new", "^": "worse", "v": "better", "-": "resolved", "=": "stable"}
Labels = set[tuple[str, str]]


def read(path: Path = DATA) -> Iterator[tuple[str, str, Labels]]:
    """(split, sentence, gold labels) per line; `#` lines are comments."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        split, sentence, labels = line.split("|")
        gold: Labels = set()
        for item in labels.split():
            code, value = item.split(":")
            if code not in CODES or value[0] not in STATUS or value[1:] not in ("", *DIRECTION):
                raise ValueError(f"{path.name}:{number}: cannot read label {item!r}")
            gold.add((CODES[code], STATUS[value[0]]))
            if value[1:]:
                gold.add((CODES[code], DIRECTION[value[1:]]))
        yield split, sentence, gold


def predict(sentence: str) -> Labels:
    labels = {(finding, status) for finding, status in extract(sentence).items()}
    directions = change_directions(sentence)
    return labels | {(finding, direction) for direction, names in directions.items() for finding in names}


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def score(split: str, path: Path = DATA) -> tuple[dict[str, Counter], int]:
    """Per finding, Counter of tp/fp/fn over its labels; and the number of sentences."""
    counts: dict[str, Counter] = {name: Counter() for name in FINDINGS}
    sentences = 0
    for where, sentence, gold in read(path):
        if where != split:
            continue
        sentences += 1
        predicted = predict(sentence)
        for finding, _ in predicted & gold:
            counts[finding]["tp"] += 1
        for finding, _ in predicted - gold:
            counts[finding]["fp"] += 1
        for finding, _ in gold - predicted:
            counts[finding]["fn"] += 1
    return counts, sentences


def markdown(path: Path = DATA) -> str:
    parts = ["# Finding extractor on report sentences", __doc__.split("\n\n", 1)[1].strip()]
    for split, title in (("h", "Held-out split"), ("d", "Development split")):
        counts, sentences = score(split, path)
        total = sum(counts.values(), Counter())
        micro = _prf(total["tp"], total["fp"], total["fn"])
        rows = [
            [name, str(c["tp"] + c["fn"]), *(f"{v:.2f}" for v in _prf(c["tp"], c["fp"], c["fn"]))]
            for name, c in counts.items()
            if c["tp"] + c["fn"] + c["fp"]
        ]
        parts += [
            f"## {title}: {sentences} sentences, micro-F1 {micro[2]:.3f} "
            f"(precision {micro[0]:.3f}, recall {micro[1]:.3f})",
            markdown_table(["finding", "gold labels", "precision", "recall", "F1"], rows),
        ]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DATA, help="labelled sentences (default: the shipped set)"
    )
    parser.add_argument("--out", type=Path, help="write the markdown here (default: print it)")
    parser.add_argument("--errors", choices=("d", "h"), help="print the disagreements of one split instead")
    args = parser.parse_args(argv)
    if args.errors:
        for split, sentence, gold in read(args.data):
            predicted = predict(sentence)
            if split == args.errors and predicted != gold:
                print(f"{sentence}\n  missed {sorted(gold - predicted)}\n  extra  {sorted(predicted - gold)}")
        return 0
    text = markdown(args.data)
    if args.out is None:
        print(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
