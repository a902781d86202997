"""What `sve cxr report --patient ID` adds to the report path: the studies read from the PACS, checks of the
flag combination, and with --store the report objects sent back (see `compare` and `writeback`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydicom import Dataset

from apps.cxr.pacs.client import PacsClient
from apps.cxr.pacs.compare import Retrieved, retrieve_studies
from apps.cxr.pacs.config import load_config
from apps.cxr.pacs.errors import PacsError
from apps.cxr.pacs.writeback import report_objects

if TYPE_CHECKING:
    from apps.cxr.report.result import CxrResult


def connect(args: argparse.Namespace) -> PacsClient:
    return PacsClient(
        load_config(args.pacs, credentials_file=args.pacs_credentials, ca_bundle=args.pacs_ca_bundle)
    )


def check_file_mode(args: argparse.Namespace) -> None:
    """Without --patient the studies are files: --prior and --current are needed, the PACS flags are not."""
    if args.pacs or args.store or args.series != 2:
        raise PacsError("--pacs, --series and --store compare studies from a PACS: add --patient ID")
    if args.prior is None or args.current is None:
        raise PacsError("give --prior and --current (files, folders or zips), or --pacs URL --patient ID")


@dataclass
class PacsReport:
    """`sve cxr report --patient`: the studies read from the PACS and, with --store, the objects sent back."""

    client: PacsClient
    retrieved: Retrieved
    store: bool

    @classmethod
    def open(cls, args: argparse.Namespace) -> PacsReport:
        if args.prior is not None or args.more_studies:
            raise PacsError("--patient reads the studies from the PACS; drop --prior and --more-studies")
        client = connect(args)
        retrieved = retrieve_studies(client, args.patient, current_uid=args.current, count=args.series)
        for note in retrieved.skipped:
            print(f"note: skipped {note}", file=sys.stderr)
        return cls(client, retrieved, args.store)

    def outgoing(self, result: CxrResult) -> list[Dataset]:
        """The SR (and heatmap Secondary Capture) to store, built before any output is written: empty
        without --store."""
        return report_objects(result, self.retrieved.headers) if self.store else []

    def send(self, objects: list[Dataset]) -> None:
        if objects:
            self.client.store(objects)
            kinds = ["a Structured Report", "a Secondary Capture of the heatmap"][: len(objects)]
            print(f"stored {' and '.join(kinds)} in the current study (new series)", file=sys.stderr)
