"""The PACS flags of `sve cxr report` (`--pacs URL --patient ID [--current UID] [--series N] [--store]`) and
the connection flags the phantom loader shares; `report_from_pacs` is what `sve cxr report --pacs` runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from apps.cxr.pacs.client import PacsClient
from apps.cxr.pacs.config import load_config
from apps.cxr.pacs.errors import PacsError


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


def connect(args: argparse.Namespace) -> PacsClient:
    return PacsClient(load_config(args.pacs, credentials_file=args.pacs_credentials, ca_bundle=args.pacs_ca_bundle))
