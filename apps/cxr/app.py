"""The chest X-ray tab: layout and wiring only; `CxrPredictor` (loaded once per tab) does the work.

Each study is a `gr.File(file_count="multiple")`: one DICOM/PNG/JPEG file, the files of a study folder, or one
zip. Files rather than `gr.Image`s so that every upload reaches the ingestion's checks untouched, and a corrupt
or non-chest file becomes a message naming it (`safe_handler`), with the app still up. Each upload is also
checked on its own as soon as it changes (`upload_status`), so a refusal (a CT, a skull film) shows next to the
upload that caused it; the comparison's warnings and its header (dates, interval, views, limitations) open the
notes above the result. The last result lives in
`gr.State`, so a window preset or the heatmap toggle redraws the side-by-side view without running the model.

Files on disk: Gradio keeps uploads (which carry PHI) and the images it serves in its own cache, under
`GRADIO_TEMP_DIR` (default: the system temp folder's `gradio/`); `DELETE_CACHE` on the Blocks makes it delete
them once they are an hour old, and the whole cache when the server restarts. The only files this tab writes
are the report downloads (de-identified JSON and markdown), in one `TemporaryDirectory` per session, replaced
at the next run and removed when the session ends (`gr.State` `delete_callback`) or the server exits.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import gradio as gr
import pandas as pd
from pandas.io.formats.style import Styler
from PIL import Image

from apps.common.predictor import DemoModelMissingError
from apps.common.ui import (
    PROBLEM,
    demo_banner,
    example_manifest,
    remove_folder,
    reported,
    run_controls,
    safe_handler,
    standalone_page,
    unavailable,
    user_message,
)
from apps.cxr.dicom.validity import ValidityPolicy
from apps.cxr.dicom.windows import WINDOW_PRESETS
from apps.cxr.pacs.panel import build_panel
from apps.cxr.phantoms.make_examples import OUT as EXAMPLES_DIR
from apps.cxr.report.predictor import CxrPredictor, check_study
from apps.cxr.report.result import (
    DEMO_WARNING,
    RESEARCH_NOTE,
    Comparison,
    CxrResult,
    comparison_header,
    write_report,
)
from apps.cxr.viewer import viewer_component, viewer_html

TITLE = "Chest X-ray — what changed since the prior study?"
UPLOAD_HELP = "DICOM, PNG or JPEG files of one study (a folder's files are fine), or one zip"
NO_HEATMAP = "This model has no stateful layers, so there is no change heatmap to show."
# Gradio cache clean-up, (every N s, files older than M s): uploads carry PHI, so they should not outlive a
# session by much; an hour leaves time to download the report. Pass it to the top-level gr.Blocks.
DELETE_CACHE = (600, 3600)
SESSION_TTL_S = 3600  # a forgotten tab's result and downloads are dropped after this long

FINDINGS_LABEL = "Findings (27, Medical-Diff-VQA): changed rows first, highlighted"
FINDINGS_HEADERS = ["change", "finding", "group"]  # the change first, so it stays on a phone's screen
CHANGED_ROW = "background-color: #fff3bf; font-weight: bold"
ANSWER_LABEL = "Model answer (Medical-Diff-VQA wording)"
OPACITY = 0.6

Views = tuple[Image.Image, Image.Image]
# notes, report, answer, table, prior view, current view, their captions, the interactive viewer, download paths,
# result, download folder
Outputs = tuple[
    str, str, str, Styler, Image.Image, Image.Image, str, str, str, list[str], CxrResult, TemporaryDirectory
]
BLANK = ("", "", "", None, None, None, "", "", "", None, None, None)  # every output of a run, cleared


def example_rows() -> tuple[list[list[list[str]]], list[str]]:
    """`gr.Examples` rows (the prior's files, the current's files) from examples/examples.json, once with the
    current study as DICOM files and once as a zip."""
    manifest = example_manifest(EXAMPLES_DIR)
    prior, current = ([str(EXAMPLES_DIR / name) for name in manifest[key]] for key in ("prior", "current"))
    rows = [[prior, current], [prior, [str(EXAMPLES_DIR / manifest["current_zip"])]]]
    return rows, ["Synthetic phantom pair: DICOM files", "Synthetic phantom pair: current study as a zip"]


@contextmanager
def loader_warnings() -> Iterator[list[str]]:
    """Collect what `apps.cxr` logs at WARNING or above in this thread (a view assumed frontal, a multi-frame
    file), so this request's user sees it and other requests' stay apart. The validity verdict's warnings
    (swapped order, unverified input, relaxed rules) come with the result instead."""
    messages: list[str] = []
    thread = threading.get_ident()

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == thread:
                messages.append(record.getMessage())

    handler, logger = Collect(logging.WARNING), logging.getLogger("apps.cxr")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


@safe_handler
def run_compare(
    predictor: CxrPredictor,
    prior: list[str] | None,
    current: list[str] | None,
    allow_patient_mismatch: bool,
    allow_body_part: bool,
    preset: str,
    heatmap: bool,
    opacity: float,
    downloads: TemporaryDirectory | None,
) -> Outputs:
    """Compare button: notes, report, answer, findings table, the two views and their captions (date, view),
    the downloads, and the result and download folder for later redraws and clean-up."""
    if not prior or not current:
        raise ValueError("upload both studies: the prior (older) and the current one")
    if downloads is not None:
        downloads.cleanup()
    policy = ValidityPolicy(allow_body_part=allow_body_part, allow_patient_mismatch=allow_patient_mismatch)
    with loader_warnings() as notes:
        result = predictor.predict(prior, current, policy=policy)
    folder = TemporaryDirectory(prefix="sve_cxr_report_")
    files = [str(path) for path in write_report(result, Path(folder.name), images=False)]
    comparison = result.steps[0].comparison
    warnings = [*result.validity.warnings, *notes]
    return (
        "\n".join([*(f"- ⚠ {note}" for note in warnings), comparison_header(result, result.steps[0])]),
        comparison.report,
        comparison.answer,
        findings_table(comparison),
        *show_views(result, preset, heatmap, opacity),
        *captions(result),
        viewer_html(result),
        files,
        result,
        folder,
    )


def findings_table(comparison: Comparison) -> Styler:
    """The 27 findings in the report's words ("New", "Resolved", ...), changed rows first and highlighted, each
    group in `FINDINGS` order."""
    rows = sorted(comparison.rows, key=lambda row: not row.changed)
    frame = pd.DataFrame(
        [[row.change.capitalize(), row.finding, row.group] for row in rows], columns=FINDINGS_HEADERS
    )
    changed = [row.changed for row in rows]
    return frame.style.apply(lambda line: [CHANGED_ROW if changed[line.name] else ""] * len(line), axis=1)


def captions(result: CxrResult) -> tuple[str, str]:
    """What goes under the prior and the current image: date, view and, under the current, the interval and the
    comparison's limitations (e.g. an AP film compared with a PA one)."""
    header = result.validity.steps[0]
    dates = [when.isoformat() if when else "date not recorded" for when in header.dates]
    interval = f", {header.interval_days} days later" if header.interval_days is not None else ""
    limits = " ".join(f"⚠ {text[0].upper()}{text[1:]}." for text in header.limitations)
    return (
        f"**Prior:** {dates[0]}, view {header.views[0]}",
        f"**Current:** {dates[1]}{interval}, view {header.views[1]}" + (f"\n\n{limits}" if limits else ""),
    )


def upload_status(files: list[str] | None, allow_body_part: bool) -> str:
    """An upload changed: check that study alone and say what it is, or why it is refused, next to it."""
    if not files:
        return ""
    try:
        study = check_study(files, ValidityPolicy(allow_body_part=allow_body_part))
    except Exception as error:  # noqa: BLE001 - any refusal is shown next to the upload, in the user's words
        return f"{PROBLEM}{user_message(error)}"
    skipped = f" Skipped (not an image of this study): {', '.join(study.skipped)}." if study.skipped else ""
    if study.facts is None:
        return ("⚠ unverified input: a PNG/JPEG has no DICOM header to check (modality, body part, patient, "
                f"date).{skipped}")
    meta = study.image.meta
    warnings = " ".join(f"⚠ {text}" for text in (*study.facts.warnings, *study.facts.limitations))
    view = meta.view_position or "not recorded"
    return f"✓ {meta.modality} chest radiograph, view {view}.{skipped} {warnings}".strip()


@safe_handler
def show_views(
    result: CxrResult | None, preset: str, heatmap: bool, opacity: float = OPACITY
) -> Views | tuple[None, None]:
    """Window, heatmap or opacity changed: redraw prior and current from the stored result (nothing before a
    run); the current one with the heatmap, at `opacity`, above its colour bar."""
    if result is None:
        return None, None
    return result.view(0, preset=preset), result.view(1, preset=preset, heatmap=heatmap, opacity=opacity)


def _banner(predictor: CxrPredictor) -> str:
    if not predictor.demo:
        return RESEARCH_NOTE
    demo = demo_banner(True, domain="chest X-ray phantoms", kind="chest X-ray", flag="--cxr-model")
    return f"### ⚠ {DEMO_WARNING}\n{demo}\n\n{RESEARCH_NOTE}"


def build_tab(model: str | None) -> None:
    """Lay out the tab inside the caller's `gr.Blocks`/`gr.Tab`. Without the embedded demo model the tab says
    how to make it instead, so the rest of `sve serve` still starts."""
    try:
        predictor = CxrPredictor.load(model)
    except DemoModelMissingError as error:
        unavailable("Chest X-ray", error)
        return
    gr.Markdown(_banner(predictor))
    with gr.Row():
        with gr.Column():
            prior = gr.File(label="Prior study (older)", file_count="multiple", type="filepath")
            prior_status = gr.Markdown(label="Prior study check")
        with gr.Column():
            current = gr.File(label="Current study", file_count="multiple", type="filepath")
            current_status = gr.Markdown(label="Current study check")
    gr.Markdown(f"Each study: {UPLOAD_HELP}. Studies are put in date order and must be of one patient.")
    rows, labels = example_rows()
    gr.Examples(rows, [prior, current], example_labels=labels, cache_examples=False)
    with gr.Row():
        mismatch = gr.Checkbox(label="Compare even if the PatientIDs differ", value=False)
        body_part = gr.Checkbox(label="Compare even if the body part is not chest (research use)", value=False)
        run = gr.Button("Compare", variant="primary")
        stop = gr.Button("Stop", variant="stop")
    problem = gr.Markdown(label="Problem", elem_id="cxr-problem")
    notes = gr.Markdown(label="Comparison notes")
    report = gr.Textbox(label="Comparison report", interactive=False)
    viewer = viewer_component()  # prior and current with synchronised zoom/pan and free window/level
    window = gr.Radio(list(WINDOW_PRESETS), value="default", label="Window")
    with gr.Row():
        heatmap = gr.Checkbox(
            label="Show change heatmap on the current study",
            value=predictor.has_heatmaps,
            interactive=predictor.has_heatmaps,
            info=None if predictor.has_heatmaps else NO_HEATMAP,
        )
        opacity = gr.Slider(0.0, 1.0, value=OPACITY, step=0.05, label="Heatmap opacity",
                            interactive=predictor.has_heatmaps)
    with gr.Row():
        with gr.Column():
            prior_view = gr.Image(label="Prior", type="pil", interactive=False, elem_id="cxr-prior-view",
                                  alt_text="The prior chest radiograph under the chosen window")
            prior_caption = gr.Markdown(label="Prior image: date and view")
        with gr.Column():
            current_view = gr.Image(label="Current", type="pil", interactive=False, elem_id="cxr-current-view",
                                    alt_text="The current chest radiograph, with the change heatmap and its "
                                    "colour bar when shown")
            current_caption = gr.Markdown(label="Current image: date, view and limitations")
    table = gr.Dataframe(
        headers=FINDINGS_HEADERS, label=FINDINGS_LABEL, interactive=False, max_height=1400, wrap=True
    )
    with gr.Accordion("What the model wrote (its raw answer)", open=False):
        answer = gr.Textbox(label=ANSWER_LABEL, interactive=False)
    downloads = gr.File(label="Downloads (report.json, report.md)", file_count="multiple", interactive=False)
    result = gr.State(None, time_to_live=SESSION_TTL_S)
    folder = gr.State(None, time_to_live=SESSION_TTL_S, delete_callback=remove_folder)

    outputs = [problem, notes, report, answer, table, prior_view, current_view, prior_caption, current_caption,
               viewer, downloads, result, folder]
    run_controls(
        run,
        stop,
        reported(functools.partial(run_compare, predictor), BLANK),
        [prior, current, mismatch, body_part, window, heatmap, opacity, folder],
        outputs,
        clear_on=[prior, current, mismatch, body_part],
        blank=("", *BLANK),
        api_name="cxr_compare",
    )
    for upload, status in ((prior, prior_status), (current, current_status)):
        gr.on(
            [upload.change, body_part.change],
            upload_status,
            [upload, body_part],
            status,
            api_visibility="private",
        )
    gr.on(
        [window.change, heatmap.change, opacity.release],
        show_views,
        [result, window, heatmap, opacity],
        [prior_view, current_view],
        api_visibility="private",
    )
    with gr.Accordion("From a PACS (DICOMweb)", open=False, elem_id="cxr-pacs"):
        build_panel(predictor)


def build_demo(model: str | None) -> gr.Blocks:
    """The tab on its own page: `build_demo(None).launch()` (binds 127.0.0.1 unless told otherwise)."""
    return standalone_page(TITLE, build_tab, model, delete_cache=DELETE_CACHE)
