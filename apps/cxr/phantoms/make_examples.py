"""Write the example studies the chest X-ray UI and docs offer (`apps/cxr/examples/`), reproducibly.

One synthetic patient from the phantom generator, the first seed whose two visits differ by exactly one new
and one resolved finding, so the example shows both halves of a comparison report. The studies are encoded
differently (a DX MONOCHROME2 prior, a CR MONOCHROME1 current with a rescale), as two hospitals' files would
be, and carry the generator's plainly fake identity (PHANTOM^P..., dates in the 2100s).

    python -m apps.cxr.phantoms.make_examples

Writes `prior/image_1.dcm`, `current/image_1.dcm`, `current.zip` (the current folder zipped, to try a zip
upload) and `examples.json`: the files of each study and the reference answer and change sets.
"""

from __future__ import annotations

import itertools
import json
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from apps.cxr.phantoms.dicom_writer import DicomEncoding, PhantomIdentity, write_phantom_dicom
from apps.cxr.phantoms.patients import PhantomPair, sample_pair
from apps.cxr.phantoms.render import render_frontal

OUT = Path(__file__).resolve().parents[1] / "examples"
SIZE = 224
FIRST_VISIT = datetime(2100, 1, 4, 9, 30)
INTERVAL = timedelta(days=121)
ENCODINGS = {
    "prior": DicomEncoding(modality="DX"),
    "current": DicomEncoding(modality="CR", photometric="MONOCHROME1", rescale_intercept=-1024.0),
}


def example_pair() -> tuple[int, PhantomPair]:
    """The first seed (and its pair) with one added and one missing finding."""
    pairs = ((seed, sample_pair(np.random.default_rng(seed))) for seed in itertools.count())
    return next((seed, pair) for seed, pair in pairs if len(pair.added) == 1 and len(pair.missing) == 1)


def main() -> None:
    seed, pair = example_pair()
    for number, (name, visit) in enumerate((("prior", pair.prior), ("current", pair.current)), start=1):
        identity = PhantomIdentity(
            seed=seed, patient=1, study=number, image=1, acquired=FIRST_VISIT + (number - 1) * INTERVAL
        )
        image = render_frontal(pair.patient, visit, SIZE)
        encoding = replace(ENCODINGS[name], view_position=visit.view)
        write_phantom_dicom(OUT / name / "image_1.dcm", image, encoding, identity)
    # A fixed member time keeps the zip identical from run to run.
    member = zipfile.ZipInfo("current/image_1.dcm", date_time=(1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(OUT / "current.zip", "w") as archive:
        archive.writestr(member, (OUT / "current" / "image_1.dcm").read_bytes(), zipfile.ZIP_DEFLATED)
    manifest = {
        "prior": ["prior/image_1.dcm"],
        "current": ["current/image_1.dcm"],
        "current_zip": "current.zip",
        "reference": pair.answer,
        "added": list(pair.added),
        "missing": list(pair.missing),
        "seed": seed,
    }
    (OUT / "examples.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote the seed-{seed} example ({pair.answer}) to {OUT}")


if __name__ == "__main__":
    main()
