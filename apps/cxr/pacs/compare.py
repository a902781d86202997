"""A patient's studies from the PACS into the ordinary report path, and the report objects back into it.

`retrieve_studies` queries (QIDO-RS), selects (`selection`), retrieves only the chosen frontal instances
(WADO-RS) into a temporary folder under neutral names, and loads them with `apps.cxr.dicom.studies.load_studies`,
the loader `sve cxr report --prior/--current` uses, so the same checks (one patient, date order, frontal view,
decodable pixels) apply to PACS studies as to files. The folder is removed before the function returns; only
the de-identified `Study` objects and the instance headers (for the SR's references) are kept in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

from pydicom import Dataset

from apps.cxr.dicom.studies import Study, load_studies
from apps.cxr.pacs.client import PacsClient
from apps.cxr.pacs.errors import PacsError
from apps.cxr.pacs.selection import select_studies


@dataclass(frozen=True)
class Retrieved:
    """The compared studies, oldest first, their instance headers (PHI: hidden from repr) and skip notes."""

    studies: list[Study]
    headers: list[Dataset] = field(repr=False)
    skipped: list[str]


def retrieve_studies(
    client: PacsClient, patient_id: str, *, current_uid: str | None = None, count: int = 2
) -> Retrieved:
    """The current study (given, or the patient's latest usable one) and its `count - 1` usable priors."""
    if count < 2:
        raise PacsError(f"--series {count}: expected at least 2 studies to compare")
    selection = select_studies(
        client.studies(patient_id), client.instances, current_uid=current_uid, count=count
    )
    datasets = []
    for chosen in selection.studies:
        dataset = client.retrieve(chosen.study_uid, chosen.series_uid, chosen.sop_uid)
        if dataset.get("SOPInstanceUID") != chosen.sop_uid or dataset.get("PatientID") != patient_id:
            raise PacsError("the PACS returned a different instance than the one requested; not comparing it")
        datasets.append(dataset)
    names = ["prior", "current"] if count == 2 else [f"study_{number}" for number in range(1, count + 1)]
    with TemporaryDirectory(prefix="sve_pacs_") as folder:
        paths = []
        for name, dataset in zip(names, datasets, strict=True):
            paths.append(Path(folder) / name)
            paths[-1].mkdir()
            dataset.save_as(paths[-1] / "image.dcm", enforce_file_format=True)
        studies = load_studies(paths)
    by_study = {dataset.StudyInstanceUID: dataset for dataset in datasets}
    headers = [by_study[study.key.study_uid] for study in studies]
    return Retrieved(studies=studies, headers=headers, skipped=selection.skipped)
