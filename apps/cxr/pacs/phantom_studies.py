"""Phantom studies of two fake patients for a test or demo PACS, and `python -m` to send them over STOW-RS.

Patient PHANTOM-000001 has three chest studies about four months apart (a frontal PA image plus a lateral in
each of the first two, the phantom pair's new and resolved findings between the first two, no change after)
and a later hand radiograph that a chest comparison must skip. Patient PHANTOM-000002 has a lateral-only chest
study followed by a frontal one, so it has no valid prior. Identities are the generator's plainly fake ones.

    python -m apps.cxr.pacs.phantom_studies --pacs http://127.0.0.1:8042/dicom-web --pacs-credentials pacs.json
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pydicom import Dataset

from apps.cxr.phantoms.dicom_writer import DicomEncoding, PhantomIdentity, phantom_dataset
from apps.cxr.phantoms.make_examples import ENCODINGS, example_pair
from apps.cxr.phantoms.patients import Patient, Visit
from apps.cxr.phantoms.render import render_frontal, render_lateral

SIZE = 160
FIRST_VISIT = datetime(2100, 1, 4, 9, 30)
INTERVAL = timedelta(days=121)
PATIENTS = ("PHANTOM-000001", "PHANTOM-000002")


@dataclass(frozen=True)
class _Image:
    visit: Visit
    view: str  # ViewPosition; "LL" renders the lateral projection
    body_part: str = "CHEST"


def phantom_studies() -> list[list[Dataset]]:
    """Each study's instances, patient 1's four studies first, then patient 2's two."""
    seed, pair = example_pair()
    prior, current = pair.prior, pair.current
    plans = {
        1: [
            [_Image(prior, "PA"), _Image(prior, "LL")],
            [_Image(current, "PA"), _Image(current, "LL")],
            [_Image(_follow_up(current), "PA")],
            [_Image(current, "PA", body_part="HAND")],
        ],
        2: [[_Image(prior, "LL")], [_Image(current, "PA")]],
    }
    studies = []
    for patient, visits in plans.items():
        for number, images in enumerate(visits, start=1):
            when = FIRST_VISIT + (number - 1) * INTERVAL
            studies.append(
                [
                    _dataset(pair.patient, image, PhantomIdentity(seed, patient, number, index, when), number)
                    for index, image in enumerate(images, start=1)
                ]
            )
    return studies


def _follow_up(visit: Visit) -> Visit:
    """The same findings on a later film: a new positioning, breath and exposure, as a real follow-up has."""
    dx, dy = visit.shift
    return replace(visit, shift=(dx + 0.03, dy - 0.02), rotation_deg=visit.rotation_deg + 2.0,
                   inspiration=visit.inspiration + 0.02, gain=visit.gain * 1.1, noise_seed=visit.noise_seed + 1)


def _dataset(patient: Patient, image: _Image, identity: PhantomIdentity, study: int) -> Dataset:
    render = render_lateral if image.view == "LL" else render_frontal
    encoding: DicomEncoding = replace(
        ENCODINGS["current" if study % 2 == 0 else "prior"], view_position=image.view
    )
    ds = phantom_dataset(render(patient, image.visit, SIZE), encoding, identity)
    ds.BodyPartExamined = image.body_part
    if image.body_part != "CHEST":
        ds.StudyDescription = f"SYNTHETIC PHANTOM {image.body_part}"
    return ds


def main() -> int:
    from apps.cxr.pacs.flags import add_connection_arguments
    from apps.cxr.pacs.run import connect

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_connection_arguments(parser)
    args = parser.parse_args()
    try:
        client = connect(args)
        studies = phantom_studies()
        for instances in studies:
            client.store(instances)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"stored {sum(map(len, studies))} instances in {len(studies)} studies of patients {', '.join(PATIENTS)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
