"""`PacsClient`: the few DICOMweb transactions the chest X-ray report needs, over dicomweb-client.

QIDO-RS finds a patient's studies and the instances of one study (headers only), WADO-RS retrieves the chosen
instances, STOW-RS stores the report objects. Every failure of the transport or of the server's answer becomes
one `PacsError` saying what to check: unreachable host, TLS verification, rejected credentials, a URL that is
not a DICOMweb root, an answer that is not DICOM JSON. Messages name the server by host and port only: request
URLs carry the patient ID and study UIDs, so neither they nor exception texts that quote them are shown, and
dicomweb-client's own logger (which logs request URLs) is kept at WARNING.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from io import BytesIO
from typing import Any
from urllib.parse import urlparse

import requests
from dicomweb_client import DICOMwebClient
from pydicom import Dataset, dcmread, dcmwrite

from apps.cxr.pacs.config import PacsConfig
from apps.cxr.pacs.errors import PacsError

logging.getLogger("dicomweb_client").setLevel(logging.WARNING)

STUDY_FIELDS = ("StudyDate", "StudyTime", "ModalitiesInStudy", "StudyInstanceUID", "PatientID")
INSTANCE_FIELDS = (
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "BodyPartExamined",
    "ViewPosition",
    "SeriesNumber",
    "InstanceNumber",
)


class PacsClient:
    """One DICOMweb server, one HTTP session (credentials and TLS settings applied once)."""

    def __init__(self, config: PacsConfig) -> None:
        self.config = config
        parsed = urlparse(config.url)
        self.server = parsed.netloc  # host[:port], for messages
        session = requests.Session()
        session.verify = str(config.ca_bundle) if config.ca_bundle else True
        credentials = config.credentials
        if credentials.token:
            session.headers["Authorization"] = f"Bearer {credentials.token}"
        elif credentials.username:
            session.auth = (credentials.username, credentials.password or "")
        self._client = DICOMwebClient(config.url, session=session, timeout=config.timeout_s)
        self._client.set_http_retry_params(max_attempts=3, wait_exponential_multiplier=200)

    def studies(self, patient_id: str) -> list[dict[str, Any]]:
        """QIDO-RS: the patient's studies as DICOM JSON (exact PatientID match, no wildcards)."""
        if not patient_id or any(character in patient_id for character in "*?\\"):
            raise PacsError(
                "--patient: expected one exact PatientID, without wildcards (*, ?) or backslashes"
            )
        with self._answers("search for the patient's studies"):
            return _json_list(
                self._client.search_for_studies(
                    search_filters={"PatientID": patient_id}, fields=list(STUDY_FIELDS), get_remaining=True
                )
            )

    def instances(self, study_uid: str) -> list[dict[str, Any]]:
        """QIDO-RS: the instances of one study with the header fields that choose among them."""
        with self._answers("list the instances of a study"):
            return _json_list(
                self._client.search_for_instances(
                    study_instance_uid=study_uid, fields=list(INSTANCE_FIELDS), get_remaining=True
                )
            )

    def retrieve(self, study_uid: str, series_uid: str, sop_uid: str) -> Dataset:
        """WADO-RS: one instance, pixels included."""
        with self._answers("retrieve an image"):
            return self._client.retrieve_instance(study_uid, series_uid, sop_uid)

    def store(self, datasets: Sequence[Dataset]) -> None:
        """STOW-RS: all `datasets` in one request, each as a DICOM Part 10 file (preamble and file meta; some
        servers store what they get byte for byte); raises unless the server accepted every one of them."""
        files = [_part10(dataset) for dataset in datasets]  # all encoded before anything is sent
        with self._answers("store the report"):
            answer = self._client.store_instances(files)
        failed = answer.get("FailedSOPSequence") or []
        if failed:
            reasons = sorted({str(item.get("FailureReason", "?")) for item in failed})
            raise PacsError(
                f"the PACS at {self.server} refused {len(failed)} of {len(datasets)} objects "
                f"(STOW-RS FailureReason {', '.join(reasons)}); check its logs and storage settings"
            )

    @contextmanager
    def _answers(self, what: str) -> Iterator[None]:
        """Turn transport and server failures into one `PacsError` each, without quoting URLs or bodies."""
        try:
            yield
        except requests.exceptions.SSLError:
            raise PacsError(
                f"cannot {what}: the TLS certificate of {self.server} could not be verified; if the hospital "
                "uses its own certificate authority, pass its CA file with --pacs-ca-bundle"
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
            raise PacsError(
                f"cannot {what}: the PACS at {self.server} is unreachable (connection refused or timed out "
                f"after {self.config.timeout_s:g} s); check --pacs and that the server is running"
            ) from None
        except requests.exceptions.HTTPError as error:
            raise _http_error(error.response, what, self.server) from None
        except ValueError:  # requests' JSONDecodeError, dicomweb-client's multipart and DICOM decoding errors
            raise PacsError(
                f"cannot {what}: the answer of {self.server} is not valid DICOMweb (malformed JSON or "
                "multipart); check that --pacs is the server's DICOMweb root"
            ) from None


def _part10(dataset: Dataset) -> Dataset:
    """`dataset` re-read from its Part 10 encoding, which dicomweb-client's writer then keeps."""
    buffer = BytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)
    buffer.seek(0)
    return dcmread(buffer)


def _http_error(response: requests.Response | None, what: str, server: str) -> PacsError:
    status = response.status_code if response is not None else 0
    if status == 401:
        advice = (
            "the credentials were rejected; check --pacs-credentials or SVE_PACS_TOKEN / SVE_PACS_USERNAME"
        )
    elif status == 403:
        advice = (
            "the account may not do this; ask the PACS administrator for DICOMweb read (and store) rights"
        )
    elif status == 404:
        advice = "not found; check that --pacs is the DICOMweb root (e.g. .../dicom-web)"
    else:
        advice = "the server failed; check its logs"
    return PacsError(f"cannot {what}: {server} answered HTTP {status}: {advice}")


def _json_list(answer: object) -> list[dict[str, Any]]:
    if not isinstance(answer, list) or not all(isinstance(item, dict) for item in answer):
        raise PacsError(
            "the PACS answered with JSON that is not a list of DICOM JSON objects; check that --pacs is the "
            "server's DICOMweb root"
        )
    return answer
