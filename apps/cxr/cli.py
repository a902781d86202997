"""`sve cxr report|inspect|make-dataset`: thin argument parsing over `CxrPredictor`, the loader and the generator.

`report` compares one patient's studies (prior and current, optionally later ones) and writes `report.json`,
`report.md` and PNGs with neutral names; `inspect` shows what the loader made of one study (de-identified
metadata only) and writes a preview; `make-dataset` writes the synthetic phantom dataset. Errors a user can act
on (an unreadable or non-chest file, another patient's study, a missing model) are printed without a traceback
and exit 2. The loader (MONAI) and the predictor (transformers) are imported by the commands that use them, so
`--help` and `make-dataset` start fast.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from apps.common.policy import archive as archive_policy
from apps.common.policy import dicom as dicom_policy
from apps.cxr import evaluate
from apps.cxr.pacs.flags import add_report_arguments
from apps.cxr.phantoms import make_dataset
from apps.cxr.report.result import DEMO_WARNING, grey_image, write_report

STUDY_HELP = "a DICOM, PNG or JPEG file, a folder or a zip holding one study"


def _require(paths: list[str | Path]) -> None:
    """Refuse a missing input before importing the loader (pydicom, ~0.5 s), so a typo answers at once."""
    for path in map(Path, paths):
        if not path.exists():
            raise ValueError(f"{path.name}: no such file or folder")


def _apply_policy_flags(args: argparse.Namespace) -> None:
    """The input policy's limits for this run, from `--max-dicom-*` and `--max-zip-*`."""
    dicom_policy.apply_flags(args)
    archive_policy.apply_flags(args)


def _report(args: argparse.Namespace) -> int:
    _apply_policy_flags(args)
    if args.out.exists() and any(args.out.iterdir()):
        raise ValueError(
            f"--out {args.out} is not empty; choose a new folder so no file of another report is mixed in"
        )
    from apps.cxr.dicom.validity import ValidityPolicy
    from apps.cxr.pacs.run import PacsReport, check_file_mode

    policy = ValidityPolicy(
        allow_body_part=args.allow_body_part, allow_patient_mismatch=args.allow_patient_mismatch
    )
    pacs = PacsReport.open(args) if args.patient is not None else None
    if pacs is None:
        check_file_mode(args)
        sources = [args.prior, args.current, *args.more_studies]
        _require(sources)
        from apps.cxr.dicom.studies import load_series

        series = load_series(sources, policy)
    else:
        series = pacs.retrieved.studies  # checked again by `predict_studies`
    from apps.cxr.report.predictor import CxrPredictor  # transformers and torch: only once the inputs passed

    predictor = CxrPredictor.load(args.model, size=args.size, max_new_tokens=args.max_new_tokens)
    result = predictor.predict_studies(series)
    for warning in result.validity.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.demo:
        print(f"note: {DEMO_WARNING}", file=sys.stderr)
    if not result.has_heatmaps:
        print(f"note: no heatmap; {result.model} has no stateful layers to read change from", file=sys.stderr)
    for step, header in zip(result.steps, result.validity.steps, strict=True):
        print(f"{result.names[step.prior]} -> {result.names[step.current]}: {step.comparison.report}")
        print(f"  model answer: {step.comparison.answer}")
        for limitation in header.limitations:
            print(f"  limitation: {limitation}")
    outgoing = pacs.outgoing(result) if pacs is not None else []  # built before any file is written
    written = write_report(result, args.out)
    print("wrote " + ", ".join(str(path) for path in written), file=sys.stderr)
    if pacs is not None:
        pacs.send(outgoing)
    return 0


def _inspect(args: argparse.Namespace) -> int:
    _apply_policy_flags(args)
    _require([args.path])
    from apps.cxr.dicom.studies import load_study
    from apps.cxr.dicom.windows import apply_window

    image = load_study(args.path).image
    preview = grey_image(apply_window(image, args.window))  # before printing: a bad --window fails alone
    for field in fields(image.meta):
        if field.name != "study_order":
            value = getattr(image.meta, field.name)
            print(
                f"{field.name:<27} {'–' if value is None else value!s:<28} {field.metadata.get('help', '')}"
            )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        preview.save(args.out / "preview.png")
        print(f"wrote {args.out / 'preview.png'} ({args.window} window)", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cxr",
        help="longitudinal chest X-ray change reports from DICOM",
        description=__doc__.split("\n")[0],
    )
    commands = parser.add_subparsers(dest="cxr_command", metavar="COMMAND", required=True)

    report = commands.add_parser(
        "report", help="compare a patient's prior and current studies: report.json, report.md and PNGs"
    )
    report.add_argument("--prior", type=Path, help=f"the earlier study: {STUDY_HELP}")
    report.add_argument(
        "--current",
        help=f"the later study: {STUDY_HELP}; with --pacs, its StudyInstanceUID (default: the latest)",
    )
    report.add_argument(
        "--more-studies",
        type=Path,
        nargs="+",
        default=[],
        metavar="STUDY",
        help="later studies of the same patient; each is compared with the one before it (ordered by StudyDate)",
    )
    report.add_argument(
        "--model", help="hub id, local model folder, or tiny:<family> (default: the embedded demo model)"
    )
    report.add_argument(
        "--size",
        type=int,
        help="side of the square model input in pixels (default: 96 for the demo model, 512 otherwise); use "
        "the size the model was trained at",
    )
    report.add_argument(
        "--max-new-tokens", type=int, default=64, help="longest answer, in tokens (default 64)"
    )
    report.add_argument(
        "--out", type=Path, required=True, help="folder for report.json, report.md and the PNGs"
    )
    report.add_argument(
        "--allow-patient-mismatch",
        action="store_true",
        help="compare studies whose PatientID differs (e.g. an ID re-issued after a merge); a warning is logged",
    )
    report.add_argument(
        "--allow-body-part",
        action="store_true",
        help="compare radiographs whose BodyPartExamined is not chest (research use); every output then says so",
    )
    add_report_arguments(report)
    dicom_policy.add_flags(report)
    archive_policy.add_flags(report)
    report.set_defaults(func=_report)

    inspect = commands.add_parser("inspect", help="what the loader reads from a study, and a preview PNG")
    inspect.add_argument("path", type=Path, metavar="PATH", help=STUDY_HELP)
    inspect.add_argument("--out", type=Path, help="folder to write preview.png to")
    inspect.add_argument(
        "--window",
        default="default",
        help="display window of the preview: default (the file's own), lung, mediastinum or bone",
    )
    dicom_policy.add_flags(inspect)
    archive_policy.add_flags(inspect)
    inspect.set_defaults(func=_inspect)

    dataset = commands.add_parser(
        "make-dataset", help="write a seeded synthetic phantom dataset (DICOM + the trainer's JSONL)"
    )
    make_dataset.add_arguments(dataset)
    dataset.set_defaults(func=make_dataset.run)
    scores = commands.add_parser("evaluate", help=evaluate.HELP)
    evaluate.add_arguments(scores)
    scores.set_defaults(func=evaluate.run)
