"""The chest X-ray tab: layout and wiring only; `CxrPredictor` (loaded once per tab) does the work.

Each study is a `gr.File(file_count="multiple")`: one DICOM/PNG/JPEG file, the files of a study folder, or one
zip. Files rather than `gr.Image`s so that every upload reaches the ingestion's checks untouched, and a corrupt
or non-chest file becomes a message naming it (`safe_handler`), with the app still up. The last result lives in
`gr.State`, so a window preset or the heatmap toggle redraws the side-by-side view without running the model.

Files on disk: Gradio keeps uploads (which carry PHI) and the images it serves in its own cache, under
`GRADIO_TEMP_DIR` (default: the system temp folder's `gradio/`); `DELETE_CACHE` on the Blocks makes it delete
them once they are an hour old, and the whole cache when the server restarts. The only files this tab writes
are the report downloads (de-identified JSON and markdown), in one `TemporaryDirectory` per session, replaced
at the next run and removed when the session ends (`gr.State` `delete_callback`) or the server exits.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import gradio as gr
from PIL import Image

from apps.common.predictor import DemoModelMissingError
from apps.common.ui import demo_banner, safe_handler
from apps.cxr.make_examples import OUT as EXAMPLES_DIR
from apps.cxr.predictor import CxrPredictor, CxrResult
from apps.cxr.report import DEMO_WARNING, RESEARCH_NOTE, write_report
from apps.cxr.windows import WINDOW_PRESETS

TITLE = "Chest X-ray — what changed since the prior study?"
UPLOAD_HELP = "DICOM, PNG or JPEG files of one study (a folder's files are fine), or one zip"
NO_HEATMAP = "This model has no stateful layers, so there is no change heatmap to show."
TABLE_HEADERS = ["group", "finding", "status"]
# Gradio cache clean-up, (every N s, files older than M s): uploads carry PHI, so they should not outlive a
# session by much; an hour leaves time to download the report. Pass it to the top-level gr.Blocks.
DELETE_CACHE = (600, 3600)
SESSION_TTL_S = 3600  # a forgotten tab's result and downloads are dropped after this long

Views = tuple[Image.Image, Image.Image]
# notes, answer, report, table, prior view, current view, download paths, result, download folder
Outputs = tuple[
    str, str, str, list[list[str]], Image.Image, Image.Image, list[str], CxrResult, TemporaryDirectory
]


def example_rows() -> tuple[list[list[list[str]]], list[str]]:
    """`gr.Examples` rows (the prior's files, the current's files) from examples/examples.json, once with the
    current study as DICOM files and once as a zip."""
    manifest = json.loads((EXAMPLES_DIR / "examples.json").read_text(encoding="utf-8"))
    prior, current = ([str(EXAMPLES_DIR / name) for name in manifest[key]] for key in ("prior", "current"))
    rows = [[prior, current], [prior, [str(EXAMPLES_DIR / manifest["current_zip"])]]]
    return rows, ["Synthetic phantom pair: DICOM files", "Synthetic phantom pair: current study as a zip"]


@contextmanager
def loader_warnings() -> Iterator[list[str]]:
    """Collect what `apps.cxr` logs at WARNING or above in this thread (studies swapped into date order, a
    missing PatientID, a view assumed frontal), so this request's user sees it and other requests' stay apart."""
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
    preset: str,
    heatmap: bool,
    downloads: TemporaryDirectory | None,
) -> Outputs:
    """Compare button: notes, answer, report, findings table, the two views, the downloads, and the result and
    download folder for later redraws and clean-up."""
    if not prior or not current:
        raise ValueError("upload both studies: the prior (older) and the current one")
    if downloads is not None:
        downloads.cleanup()
    with loader_warnings() as notes:
        result = predictor.predict(prior, current, allow_patient_mismatch=allow_patient_mismatch)
    folder = TemporaryDirectory(prefix="sve_cxr_report_")
    files = [str(path) for path in write_report(result, Path(folder.name), images=False)]
    comparison = result.steps[0].comparison
    table = [[row.group, row.finding, row.status] for row in comparison.rows]
    return (
        "\n".join(f"- ⚠ {note}" for note in notes),
        comparison.answer,
        comparison.report,
        table,
        *show_views(result, preset, heatmap),
        files,
        result,
        folder,
    )


@safe_handler
def show_views(result: CxrResult | None, preset: str, heatmap: bool) -> Views | tuple[None, None]:
    """Window or heatmap changed: redraw prior and current from the stored result (nothing before a run)."""
    if result is None:
        return None, None
    return result.view(0, preset=preset), result.view(1, preset=preset, heatmap=heatmap)


def _remove(folder: TemporaryDirectory | None) -> None:
    if folder is not None:
        folder.cleanup()


def _banner(predictor: CxrPredictor) -> str:
    if not predictor.demo:
        return RESEARCH_NOTE
    demo = demo_banner(True, domain="chest X-ray phantoms", kind="chest X-ray")
    return f"### ⚠ {DEMO_WARNING}\n{demo}\n\n{RESEARCH_NOTE}"


def build_tab(model: str | None) -> None:
    """Lay out the tab inside the caller's `gr.Blocks`/`gr.Tab`. Without the embedded demo model the tab says
    how to make it instead, so the rest of `sve serve` still starts."""
    try:
        predictor = CxrPredictor.load(model)
    except DemoModelMissingError as error:
        gr.Markdown(f"**Chest X-ray is unavailable:** {error}")
        return
    gr.Markdown(_banner(predictor))
    with gr.Row():
        prior = gr.File(label="Prior study (older)", file_count="multiple", type="filepath")
        current = gr.File(label="Current study", file_count="multiple", type="filepath")
    gr.Markdown(f"Each study: {UPLOAD_HELP}. Studies are put in date order and must be of one patient.")
    rows, labels = example_rows()
    gr.Examples(rows, [prior, current], example_labels=labels, cache_examples=False)
    with gr.Row():
        mismatch = gr.Checkbox(label="Compare even if the PatientIDs differ", value=False)
        run = gr.Button("Compare", variant="primary")
        stop = gr.Button("Stop", variant="stop")  # cancels this run (Gradio drops queued runs of a closed tab)
    notes = gr.Markdown()
    with gr.Row():
        window = gr.Radio(list(WINDOW_PRESETS), value="default", label="Window")
        heatmap = gr.Checkbox(
            label="Show change heatmap on the current study",
            value=predictor.has_heatmaps,
            interactive=predictor.has_heatmaps,
            info=None if predictor.has_heatmaps else NO_HEATMAP,
        )
    with gr.Row():
        prior_view = gr.Image(label="Prior", type="pil", interactive=False)
        current_view = gr.Image(label="Current", type="pil", interactive=False)
    answer = gr.Textbox(label="Model answer (Medical-Diff-VQA wording)", interactive=False)
    report = gr.Textbox(label="Comparison report", interactive=False)
    table = gr.Dataframe(headers=TABLE_HEADERS, label="Findings (27, Medical-Diff-VQA)", interactive=False)
    downloads = gr.File(label="Downloads (report.json, report.md)", file_count="multiple", interactive=False)
    result = gr.State(None, time_to_live=SESSION_TTL_S)
    folder = gr.State(None, time_to_live=SESSION_TTL_S, delete_callback=_remove)

    running = run.click(
        functools.partial(run_compare, predictor),
        [prior, current, mismatch, window, heatmap, folder],
        [notes, answer, report, table, prior_view, current_view, downloads, result, folder],
        api_name="cxr_compare",
    )
    stop.click(None, cancels=[running])
    gr.on(
        [window.change, heatmap.change],
        show_views,
        [result, window, heatmap],
        [prior_view, current_view],
        api_visibility="private",
    )


def build_demo(model: str | None) -> gr.Blocks:
    """The tab on its own page: `build_demo(None).launch()` (binds 127.0.0.1 unless told otherwise)."""
    with gr.Blocks(title=TITLE, delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(f"# {TITLE}")
        build_tab(model)
    return demo
