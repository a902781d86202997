"""The PACS flags of `sve cxr report` (`--pacs URL --patient ID [--current UID] [--series N] [--store]`) and
the connection flags the phantom loader shares. Argument parsing only, so `sve --help` imports nothing heavy."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pacs",
        metavar="URL",
        help="DICOMweb root of the PACS (e.g. https://pacs.example.org/dicom-web; default: $SVE_PACS_URL); "
        "with it, --patient picks the studies instead of --prior/--current files",
    )
    parser.add_argument(
        "--pacs-credentials",
        type=Path,
        metavar="FILE",
        help='JSON file with {"token": ...} or {"username": ..., "password": ...} (default: '
        "$SVE_PACS_CREDENTIALS, else $SVE_PACS_TOKEN or $SVE_PACS_USERNAME/$SVE_PACS_PASSWORD)",
    )
    parser.add_argument(
        "--pacs-ca-bundle",
        type=Path,
        metavar="FILE",
        help="CA certificates to verify the PACS's TLS certificate with (default: $SVE_PACS_CA_BUNDLE, else "
        "the system's); verification cannot be turned off",
    )


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags added to `sve cxr report`; its --current doubles as the current StudyInstanceUID with --pacs."""
    add_connection_arguments(parser)
    parser.add_argument("--patient", metavar="ID", help="with --pacs: the PatientID whose studies to compare")
    parser.add_argument(
        "--series",
        type=int,
        default=2,
        metavar="N",
        help="with --pacs: compare the last N usable studies in date order (default 2: current and prior)",
    )
    parser.add_argument(
        "--store",
        action="store_true",
        help="with --pacs: store a DICOM Structured Report and the heatmap (Secondary Capture) back into the "
        "current study, in a new series",
    )
