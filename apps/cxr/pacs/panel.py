"""The PACS panel of the chest X-ray tab: pick a patient, see their studies, compare, optionally store back.

Layout and wiring only: `compare.retrieve_studies` and `writeback.report_objects` do the work, the predictor is
the tab's own. The server comes from configuration (`SVE_PACS_URL`, credentials and CA file from the
`SVE_PACS_*` variables of `apps.cxr.pacs.config`), never from the page; without it the panel says how to set
one. Study UIDs stay in `gr.State`; the page shows dates and modalities, which the clinician needs to choose.
"""

from __future__ import annotations

import functools

import gradio as gr
from PIL import Image

from apps.common.ui import safe_handler
from apps.cxr.pacs.client import PacsClient
from apps.cxr.pacs.compare import retrieve_studies
from apps.cxr.pacs.config import URL_VARIABLE, load_config
from apps.cxr.pacs.errors import PacsError
from apps.cxr.pacs.selection import RADIOGRAPHY
from apps.cxr.pacs.writeback import report_objects
from apps.cxr.report.predictor import CxrPredictor

STUDY_HEADERS = ["date", "modalities", "images"]
LATEST = "latest chest radiograph study"


def _value(item: dict, tag: str) -> str:
    values = item.get(tag, {}).get("Value") or [""]
    return ", ".join(map(str, values))


@safe_handler
def list_studies(client: PacsClient, patient: str) -> tuple[list[list[str]], gr.Dropdown, list[str]]:
    """Studies of `patient` with CR or DX images, newest first: table rows, the current-study choices, UIDs."""
    studies = [
        item
        for item in client.studies(patient.strip())
        if set(_value(item, "00080061").split(", ")) & set(RADIOGRAPHY)
    ]
    if not studies:
        raise PacsError("this patient has no CR or DX study on the PACS")
    studies.sort(key=lambda item: _value(item, "00080020"), reverse=True)
    rows = [
        [f"{date[:4]}-{date[4:6]}-{date[6:]}", _value(item, "00080061"), _value(item, "00201208")]
        for item in studies
        for date in [_value(item, "00080020")]
    ]
    labels = [LATEST, *(f"{row[0]} ({row[1]})" for row in rows)]
    uids = [_value(item, "0020000D") for item in studies]
    return rows, gr.Dropdown(choices=[(label, index) for index, label in enumerate(labels)], value=0), uids


@safe_handler
def compare(
    client: PacsClient,
    predictor: CxrPredictor,
    patient: str,
    choice: int | None,
    uids: list[str] | None,
    count: float,
    store: bool,
) -> tuple[str, str, Image.Image, Image.Image, str]:
    """Report, model answer, prior and current views (heatmap on the current), and what was stored."""
    current = uids[choice - 1] if uids and choice else None
    retrieved = retrieve_studies(client, patient.strip(), current_uid=current, count=int(count))
    result = predictor.predict_studies(retrieved.studies)
    outgoing = report_objects(result, retrieved.headers) if store else []
    if outgoing:
        client.store(outgoing)
    last = result.steps[-1]
    names = result.names
    notes = [f"Skipped {note}" for note in retrieved.skipped]
    if outgoing:
        notes.append(f"Stored {len(outgoing)} object(s) (SR and heatmap) in the current study, new series.")
    return (
        "\n".join(
            f"{names[step.prior]} → {names[step.current]}: {step.comparison.report}" for step in result.steps
        ),
        last.comparison.answer,
        result.view(last.prior),
        result.view(last.current, heatmap=True),
        "\n".join(f"- {note}" for note in notes),
    )


def build_panel(predictor: CxrPredictor) -> None:
    """Lay out the panel inside the caller's container (the chest X-ray tab)."""
    try:
        client = PacsClient(load_config(None))
    except PacsError as error:
        gr.Markdown(f"No PACS configured ({error}). Set `{URL_VARIABLE}` to a DICOMweb root to use one.")
        return
    gr.Markdown(f"DICOMweb server: `{client.server}` (from `{URL_VARIABLE}`)")
    with gr.Row():
        patient = gr.Textbox(label="Patient ID", max_lines=1)
        find = gr.Button("List studies")
    studies = gr.Dataframe(headers=STUDY_HEADERS, label="CR/DX studies (newest first)", interactive=False)
    with gr.Row():
        current = gr.Dropdown(choices=[(LATEST, 0)], value=0, label="Current study")
        count = gr.Slider(2, 5, value=2, step=1, label="Studies to compare (current and priors)")
        store = gr.Checkbox(label="Store the report back to the PACS (DICOM SR + heatmap)", value=False)
    run = gr.Button("Compare from PACS", variant="primary")
    notes = gr.Markdown()
    report = gr.Textbox(label="PACS comparison report", interactive=False)
    answer = gr.Textbox(label="PACS model answer", interactive=False)
    with gr.Row():
        prior_view = gr.Image(label="Prior", type="pil", interactive=False)
        current_view = gr.Image(label="Current, with change heatmap", type="pil", interactive=False)
    uids = gr.State([])
    find.click(
        functools.partial(list_studies, client), [patient], [studies, current, uids], api_visibility="private"
    )
    run.click(
        functools.partial(compare, client, predictor),
        [patient, current, uids, count, store],
        [report, answer, prior_view, current_view, notes],
        api_visibility="private",
    )
