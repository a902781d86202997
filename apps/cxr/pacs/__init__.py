"""Chest X-ray studies from a PACS over DICOMweb, and the report stored back as DICOM (SR + Secondary Capture).

`config` (server, credentials, TLS) -> `client` (QIDO-RS, WADO-RS, STOW-RS) -> `selection` (which studies,
from query headers) -> `compare` (retrieve and load through the ordinary study loader) -> `writeback` (the
DICOM objects). `run` and `flags` wire it into `sve cxr report`, `panel` into the chest X-ray tab; `orthanc`
and `phantom_studies` give tests and the walkthrough a local PACS with two phantom patients.
"""
