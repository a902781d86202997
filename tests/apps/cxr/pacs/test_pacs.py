"""`sve cxr report --pacs` against a real Orthanc (Debian's orthanc + orthanc-dicomweb) started on 127.0.0.1 by
the module fixture and stopped by its PID: query, retrieve, report, store back, read back; the SR and the
Secondary Capture checked by dicom3tools' dciodvfy; one clear message per bad input and nothing stored.

    apt-get install -y orthanc orthanc-dicomweb dicom3tools && python -m pytest -m pacs
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom import Dataset

from apps.cli import main
from apps.cxr.pacs.client import PacsClient
from apps.cxr.pacs.config import Credentials, PacsConfig
from apps.cxr.pacs.orthanc import DICOMWEB_PLUGIN, ORTHANC, LocalOrthanc, free_port, local_orthanc
from apps.cxr.pacs.phantom_studies import PATIENTS, phantom_studies
from apps.cxr.pacs.writeback import CHANGE_CODES, finding_code

pytestmark = pytest.mark.pacs
DCIODVFY = shutil.which("dciodvfy")


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalOrthanc, Path]]:
    """A fresh Orthanc loaded over STOW-RS with the two phantom patients, and its credentials file."""
    if not ORTHANC.exists() or not DICOMWEB_PLUGIN.exists():
        pytest.skip("Orthanc is not installed: apt-get install -y orthanc orthanc-dicomweb")
    with local_orthanc() as server:
        credentials = tmp_path_factory.mktemp("pacs") / "credentials.json"
        server.write_credentials(credentials)
        client = PacsClient(
            PacsConfig(server.url, Credentials(username=server.username, password=server.password))
        )
        for study in phantom_studies():
            client.store(study)
        yield server, credentials


@pytest.fixture(scope="module")
def client(orthanc: tuple[LocalOrthanc, Path]) -> PacsClient:
    server, _ = orthanc
    return PacsClient(PacsConfig(server.url, Credentials(username=server.username, password=server.password)))


def _uid(item: dict, tag: str) -> str:
    return item[tag]["Value"][0]


def _study_uids(client: PacsClient, patient: str) -> list[str]:
    """The patient's study UIDs, oldest first."""
    studies = sorted(client.studies(patient), key=lambda item: _uid(item, "00080020"))
    return [_uid(item, "0020000D") for item in studies]


def _instance_count(client: PacsClient) -> int:
    return sum(len(client.instances(uid)) for patient in PATIENTS for uid in _study_uids(client, patient))


def _report(orthanc: tuple[LocalOrthanc, Path], out: Path, *extra: str, url: str | None = None) -> int:
    server, credentials = orthanc
    argv = ["cxr", "report", "--pacs", url or server.url, "--pacs-credentials", str(credentials)]
    return main([*argv, "--out", str(out), *extra])


def _validate(dataset: Dataset, path: Path) -> str:
    """dciodvfy's report on `dataset`; the test fails on any line starting with 'Error'."""
    if DCIODVFY is None:
        pytest.skip("dciodvfy is not installed: apt-get install -y dicom3tools")
    dataset.save_as(path, enforce_file_format=True)
    checked = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, timeout=60)
    lines = (checked.stdout + checked.stderr).splitlines()
    assert [line for line in lines if line.startswith("Error")] == [], "\n".join(lines)
    return "\n".join(lines)


def test_report_stored_back_and_read_back(orthanc, client: PacsClient, tmp_path: Path, capsys) -> None:
    prior_uid, current_uid = _study_uids(client, PATIENTS[0])[:2]
    before = {uid: len(client.instances(uid)) for uid in (prior_uid, current_uid)}
    assert (
        _report(orthanc, tmp_path / "out", "--patient", PATIENTS[0], "--current", current_uid, "--store") == 0
    )
    printed = capsys.readouterr()
    assert "stored a Structured Report and a Secondary Capture" in printed.err
    assert PATIENTS[0] not in printed.out + printed.err and current_uid not in printed.out + printed.err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    comparison = report["comparisons"][0]

    assert len(client.instances(prior_uid)) == before[prior_uid]  # nothing lands in the prior study
    new = [
        item
        for item in client.instances(current_uid)
        if item.get("00080060", {}).get("Value") in (["SR"], ["OT"])
    ]
    assert len(new) == 2 and len(client.instances(current_uid)) == before[current_uid] + 2
    objects = {
        _uid(item, "00080060"): client.retrieve(current_uid, _uid(item, "0020000E"), _uid(item, "00080018"))
        for item in new
    }
    sr, sc = objects["SR"], objects["OT"]
    originals = {_uid(item, "0020000E") for uid in (current_uid,) for item in client.instances(uid)} - {
        sr.SeriesInstanceUID,
        sc.SeriesInstanceUID,
    }
    assert sr.StudyInstanceUID == sc.StudyInstanceUID == current_uid
    assert (
        sr.SeriesInstanceUID != sc.SeriesInstanceUID
        and not {sr.SeriesInstanceUID, sc.SeriesInstanceUID} & originals
    )
    assert sr.PatientID == PATIENTS[0] and sr.VerificationFlag == "UNVERIFIED"

    findings, impressions = sr.ContentSequence
    images = [item for item in findings.ContentSequence if item.ValueType == "IMAGE"]
    referenced = [item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID for item in images]
    retrieved = [
        _uid(item, "00080018")
        for uid in (prior_uid, current_uid)
        for item in client.instances(uid)
        if item.get("00185101", {}).get("Value") == ["PA"]
    ]
    assert referenced == retrieved  # prior first, then current
    coded = {
        (item.ConceptNameCodeSequence[0].CodeMeaning, item.ConceptCodeSequence[0].CodeValue)
        for item in findings.ContentSequence
        if item.ValueType == "CODE"
    }
    expected = {(finding_code(name).meaning, CHANGE_CODES["added"].value) for name in comparison["added"]}
    expected |= {
        (finding_code(name).meaning, CHANGE_CODES["missing"].value) for name in comparison["missing"]
    }
    assert coded == expected and coded  # the phantom pair has a new and a resolved finding
    texts = [item.TextValue for item in impressions.ContentSequence]
    assert texts[0] == f"prior -> current: {comparison['report']}"

    _validate(sr, tmp_path / "sr.dcm")
    _validate(sc, tmp_path / "sc.dcm")
    # the 160 px current with its heatmap, above the colour bar that says what the colours mean (>= 320 px wide)
    assert sc.PhotometricInterpretation == "RGB" and (sc.Rows, sc.Columns) == (204, 320)


def test_series_of_three(orthanc, client: PacsClient, tmp_path: Path) -> None:
    count = _instance_count(client)
    assert _report(orthanc, tmp_path / "out", "--patient", PATIENTS[0], "--series", "3") == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [(c["prior"], c["current"]) for c in report["comparisons"]] == [
        ("study_1", "study_2"),
        ("study_2", "study_3"),
    ]
    assert _instance_count(client) == count  # no --store: nothing written to the PACS


class _Garbage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"00100020": [not json'
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def garbage_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/dicom-web"
    server.shutdown()
    server.server_close()


def test_bad_inputs_one_message_each_nothing_stored(
    orthanc, client: PacsClient, garbage_server: str, tmp_path: Path, capsys
) -> None:
    server, _ = orthanc
    lateral_uid = _study_uids(client, PATIENTS[1])[0]
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"username": server.username, "password": "not-the-password"}))
    cases = {
        "unreachable": (
            ["--patient", PATIENTS[0]],
            f"http://127.0.0.1:{free_port()}/dicom-web",
            "is unreachable",
        ),
        "wrong credentials": (["--patient", PATIENTS[0], "--pacs-credentials", str(wrong)], None, "HTTP 401"),
        "no valid prior": (["--patient", PATIENTS[1]], None, "no valid prior"),
        "only lateral views": (
            ["--patient", PATIENTS[1], "--current", lateral_uid],
            None,
            "only non-frontal views (LL)",
        ),
        "malformed JSON": (["--patient", PATIENTS[0]], garbage_server, "malformed JSON"),
        "unknown patient": (["--patient", "NOBODY"], None, "no chest radiograph study"),
    }
    count = _instance_count(client)
    for number, (name, (extra, url, expected)) in enumerate(cases.items()):
        out = tmp_path / f"out{number}"
        assert _report(orthanc, out, *extra, "--store", url=url) == 2, name
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0] and "Traceback" not in err, (name, err)
        assert "not-the-password" not in err and server.password not in err and lateral_uid not in err
        assert not out.exists() or not any(out.iterdir()), name
    assert _instance_count(client) == count  # nothing half-stored


def test_panel_handlers(client: PacsClient) -> None:
    """The UI panel's two handlers (the browser test clicks them; this checks what they return)."""
    from apps.cxr.pacs.panel import compare, list_studies
    from apps.cxr.report.predictor import CxrPredictor

    rows, current, uids = list_studies(client, PATIENTS[0])
    assert len(rows) == len(uids) == 4 and [value for _, value in current.choices] == [0, 1, 2, 3, 4]
    assert uids == _study_uids(client, PATIENTS[0])[::-1]  # newest first, as the rows
    count = _instance_count(client)
    report, answer, prior, shown, notes = compare(
        client, CxrPredictor.load(None), PATIENTS[0], 3, uids, 2, False
    )
    assert report.startswith("prior → current: ") and answer and prior.size == (160, 160)
    assert shown.size == (320, 204)  # the current with its heatmap, above its colour bar
    assert notes == "" and _instance_count(client) == count  # phantom study 2, nothing stored
