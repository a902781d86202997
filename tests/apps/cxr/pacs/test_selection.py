"""Choosing a patient's studies from QIDO-RS answers (DICOM JSON), and reading PACS credentials: no server
needed. The Orthanc round trip is `test_pacs.py` (marker pacs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.cxr.pacs.config import load_config, read_credentials
from apps.cxr.pacs.errors import PacsError
from apps.cxr.pacs.selection import select_studies

SECRET = "s3cr3t-value"


def _study(uid: str, date: str | None, modalities: list[str]) -> dict:
    item = {"0020000D": {"vr": "UI", "Value": [uid]}, "00080061": {"vr": "CS", "Value": modalities}}
    if date:
        item["00080020"] = {"vr": "DA", "Value": [date]}
    return item


def _instance(
    uid: str, view: str | None, modality: str = "DX", body_part: str = "CHEST", series: int = 1
) -> dict:
    item = {
        "00080018": {"vr": "UI", "Value": [uid]},
        "0020000E": {"vr": "UI", "Value": [f"{uid}.9"]},
        "00080060": {"vr": "CS", "Value": [modality]},
        "00180015": {"vr": "CS", "Value": [body_part]},
        "00200011": {"vr": "IS", "Value": [series]},
    }
    if view:
        item["00185101"] = {"vr": "CS", "Value": [view]}
    return item


# study uid -> (date, modalities, instances)
PACS = {
    "1.1": (
        "21000101",
        ["DX"],
        [_instance("1.1.1", "LL"), _instance("1.1.2", "AP", series=2), _instance("1.1.3", "PA", series=3)],
    ),
    "1.2": ("21000301", ["CT"], [_instance("1.2.1", None, modality="CT")]),
    "1.3": ("21000501", ["CR"], [_instance("1.3.1", "LL", modality="CR")]),
    "1.4": (None, ["DX"], [_instance("1.4.1", "PA")]),
    "1.5": ("21000701", ["DX"], [_instance("1.5.1", "PA", body_part="HAND")]),
    "1.6": ("21000601", ["CR", "DX"], [_instance("1.6.1", "AP", modality="CR")]),
}


def _select(**kwargs):
    answers = [_study(uid, date, modalities) for uid, (date, modalities, _) in PACS.items()]
    return select_studies(answers, lambda uid: PACS[uid][2], **kwargs)


def test_latest_chest_study_and_its_frontal_prior() -> None:
    selection = _select()
    assert [study.sop_uid for study in selection.studies] == ["1.1.3", "1.6.1"]  # PA preferred over AP
    assert len(selection.skipped) == 3 and "no CR or DX chest image" in selection.skipped[0]  # the hand
    assert any("only non-frontal views (LL)" in note for note in selection.skipped)
    assert any("CT, expected CR or DX" in note for note in selection.skipped)
    assert "1.1" not in repr(selection)  # identifiers stay out of reprs


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"current_uid": "9.9"}, "--current: the patient has no study with that StudyInstanceUID"),
        ({"current_uid": "1.3"}, "--current: that study cannot be compared: only non-frontal views (LL)"),
        ({"current_uid": "1.1"}, "no valid prior"),
        ({"count": 3}, "only 2 of the 3 studies --series asks for"),
    ],
)
def test_refusals(kwargs: dict, message: str) -> None:
    with pytest.raises(PacsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _select(**kwargs)


def test_malformed_dicom_json_is_one_message() -> None:
    with pytest.raises(PacsError, match="cannot be parsed"):
        select_studies([{"0020000D": {"vr": "UI", "Value": "not-a-list"}}], lambda uid: [])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"token": SECRET}, "token"),
        ({"username": "reader", "password": SECRET}, "basic"),
    ],
)
def test_credentials_file(tmp_path: Path, content: dict, expected: str) -> None:
    path = tmp_path / "pacs.json"
    path.write_text(json.dumps(content))
    credentials = read_credentials(path)
    assert credentials.kind == expected and SECRET not in repr(credentials)
    config = load_config("https://pacs.example.org/dicom-web/", credentials_file=path, environ={})
    assert config.url == "https://pacs.example.org/dicom-web" and SECRET not in repr(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"token={SECRET}", "not JSON"),
        (json.dumps({"username": SECRET}), 'expected a "token", or a "username" and a "password"'),
        (json.dumps([SECRET]), "expected one JSON object of strings"),
    ],
)
def test_bad_credentials_file_never_quoted(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "pacs.json"
    path.write_text(text)
    with pytest.raises(PacsError, match=message) as caught:
        read_credentials(path)
    assert SECRET not in str(caught.value)


def test_environment_and_url_rules() -> None:
    environ = {"SVE_PACS_URL": "http://127.0.0.1:8042/dicom-web", "SVE_PACS_TOKEN": SECRET}
    assert load_config(None, environ=environ).credentials.kind == "token"
    with pytest.raises(PacsError, match="SVE_PACS_PASSWORD is not"):
        load_config(None, environ={**environ, "SVE_PACS_TOKEN": "", "SVE_PACS_USERNAME": "reader"})
    with pytest.raises(PacsError, match="no PACS configured"):
        load_config(None, environ={})
    with pytest.raises(PacsError, match="holds a user name or password") as caught:
        load_config(f"https://reader:{SECRET}@pacs.example.org/dicom-web", environ={})
    assert SECRET not in str(caught.value)
    with pytest.raises(PacsError, match="http:// or https://"):
        load_config("ftp://pacs.example.org", environ={})


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --prior and --current (files, folders or zips), or --pacs URL --patient ID"),
        (["--pacs", "http://127.0.0.1:9/dicom-web", "--prior", "a", "--current", "b"], "add --patient ID"),
        (["--store", "--prior", "a", "--current", "b"], "add --patient ID"),
        (["--patient", "P", "--prior", "a"], "drop --prior and --more-studies"),
    ],
)
def test_flag_combinations(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from apps.cli import main

    assert main(["cxr", "report", *argv, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
