"""Zip uploads: unsafe member paths, bombs, oversized and damaged archives are refused before (or while)
anything is written, and the temporary folder is removed whatever happens."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from apps.common.policy.archive import ArchiveLimits
from apps.cxr import DicomError
from apps.cxr.dicom.archive import extracted_zip


def test_members_are_extracted_into_a_folder_removed_on_exit(files, tmp_path, private_tmp) -> None:
    archive = files.zipped(files.study(tmp_path / "study", ("PA", "LL")), tmp_path / "study.zip")
    with extracted_zip(archive) as root:
        assert root.parent == private_tmp
        assert sorted(p.name for p in root.rglob("*.dcm")) == ["image_1.dcm", "image_2.dcm"]
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize(
    "name", ["../../escaped.dcm", "/etc/escaped.dcm", "a/../../escaped.dcm", "C:/x.dcm", "..\\x.dcm"]
)
def test_zip_slip_is_refused(tmp_path, private_tmp, name) -> None:
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, b"x")
    with pytest.raises(DicomError, match="leaves the archive folder"), extracted_zip(path):
        pass
    assert list(private_tmp.iterdir()) == [] and not (tmp_path.parent / "escaped.dcm").exists()


def test_zip_bomb_is_refused_before_inflating(files, tmp_path, private_tmp) -> None:
    with (
        pytest.raises(DicomError, match="more than 30x"),
        extracted_zip(files.zip_bomb(tmp_path / "b.zip")),
    ):
        pass
    assert list(private_tmp.iterdir()) == []


def test_total_size_limit(files, tmp_path) -> None:
    archive = files.zipped(files.study(tmp_path / "study", ("PA",)), tmp_path / "study.zip")
    limits = ArchiveLimits(max_total_bytes=100)
    with pytest.raises(DicomError, match="over the 100 bytes limit"), extracted_zip(archive, limits=limits):
        pass


def test_damaged_and_fake_zips(files, tmp_path) -> None:
    archive = files.zipped(files.study(tmp_path / "study", ("PA",)), tmp_path / "study.zip")
    data = bytearray(archive.read_bytes())
    data[200:260] = bytes(60)  # inside the first member's compressed data: its CRC no longer matches
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    with pytest.raises(DicomError, match="damaged"), extracted_zip(damaged):
        pass
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK not really")
    with pytest.raises(DicomError, match="not a readable zip"), extracted_zip(Path(fake)):
        pass
