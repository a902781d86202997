"""The image-diff tab: layout and wiring only; `DiffPredictor` (loaded once per tab) does the work.

Uploads are `gr.File`s rather than `gr.Image`s because Gradio's image component decodes an upload with Pillow
(any format, no pixel limit) before a handler runs; a file hands the path untouched to `load_images`, whose
checks then turn a wrong type, a corrupt file or a huge image into a message naming the file. The last result
lives in `gr.State`, so switching the step or the heatmap redraws the view without running the model again.
"""

from __future__ import annotations

import functools
from pathlib import Path

import gradio as gr
from PIL import Image

from apps.common.overlay import RELATIVE_CHANGE, colour_bar, heatmap_overlay
from apps.common.predictor import DemoModelMissingError
from apps.common.ui import (
    PROBLEM,
    demo_banner,
    example_manifest,
    reported,
    run_controls,
    safe_handler,
    standalone_page,
    unavailable,
    user_message,
)
from apps.image_diff.describe.predictor import UNREADABLE, DiffPredictor, DiffResult
from apps.image_diff.ingest import load_image
from apps.image_diff.synthetic.make_examples import OUT as EXAMPLES_DIR

TITLE = "Image diff — what edit turns one image into the next?"
UPLOADS = ("Image 1 (oldest)", "Image 2", "Image 3 (optional)")
NO_HEATMAP = "This model has no stateful layers, so there is no change heatmap to show."
VIEW_LABEL = "Before / after (drag the handle)"
SLIDER, BEFORE, AFTER = "Slider: before | after", "Before only", "After only"
START = 5  # the slider's handle, % from the left: the after image (with its heatmap) shows almost whole
OPACITY = 0.6
LEGEND_WIDTH = 520
RAW_LABEL = "What the model wrote (its raw words)"
BLANK = (gr.Markdown(value="", visible=False), "", "", gr.Textbox(value="", visible=False), "", None, None,
         gr.Radio(choices=[], value=None, visible=False), None)  # every output of a run, cleared


def example_rows() -> tuple[list[list[str | None]], list[str]]:
    """Rows for `gr.Examples` (one file per upload slot, None for an empty slot) and their labels, from
    examples/examples.json as `make_examples` writes it."""
    manifest = example_manifest(EXAMPLES_DIR)
    rows = [
        [str(EXAMPLES_DIR / name) for name in case["images"]] + [None] * (len(UPLOADS) - len(case["images"]))
        for case in manifest
    ]
    return rows, [f"{case['name']}: {case['reference']}" for case in manifest]


def step_labels(result: DiffResult) -> list[tuple[str, int]]:
    return [(f"image {index + 1} → {index + 2}", index) for index in range(result.steps)]


Pair = tuple[Image.Image, Image.Image]
# notices, verdict, category, what the model saw, raw words, view, legend, result
Judged = tuple[gr.Markdown, str, str, gr.Textbox, str, Pair | None, Image.Image | None, DiffResult]
Outputs = tuple[gr.Markdown, str, str, gr.Textbox, str, Pair | None, Image.Image | None, gr.Radio, DiffResult]


def notices(result: DiffResult) -> str:
    """What the user reads before any answer: the images are far from the demo model's training data, the
    model's words disagree with its p(edit), the model could not describe the pair."""
    lines = [f"**Unlike the training images.** {result.notice}"] if result.notice else []
    if result.aligned:
        lines.append(f"**Aligned.** {result.aligned}")
    if result.disagreement:
        lines.append(f"**Words and probability disagree.** {result.disagreement}")
    if result.edited and not result.readable:
        lines.append(
            f"**{UNREADABLE[0].upper()}{UNREADABLE[1:]}.** Its answer {result.reading.reason}; what it wrote is below."
        )
    return "\n\n".join(lines)


@safe_handler
def run_diff(
    predictor: DiffPredictor,
    first: str | None,
    second: str | None,
    third: str | None,
    heatmap: bool,
    opacity: float = OPACITY,
    mode: str = SLIDER,
    threshold: float | None = None,
) -> Outputs:
    """Run button: the answer judged at `threshold` (the model's calibrated one when None), see `judged`, with
    the step choice (shown for three images). Empty upload slots are skipped, keeping the order."""
    result = predictor.predict([path for path in (first, second, third) if path])
    if threshold is not None:
        result = result.with_threshold(float(threshold))
    last = result.steps - 1
    *shown, view, legend, result = judged(result, last, heatmap, opacity, mode)
    return (*shown, view, legend, gr.Radio(choices=step_labels(result), value=last, visible=result.steps > 1), result)


@safe_handler
def rejudge(
    result: DiffResult | None, threshold: float, step: int | None, heatmap: bool, opacity: float, mode: str
) -> Judged | tuple[object, ...]:
    """Threshold slider moved: the stored answer judged again (no model run), as `judged`."""
    if result is None or step is None:
        return tuple(gr.skip() for _ in range(8))  # nothing before a run: leave every output as it is
    return judged(result.with_threshold(float(threshold)), step, heatmap, opacity, mode)


def judged(result: DiffResult, step: int, heatmap: bool, opacity: float, mode: str) -> Judged:
    """Notices (shown when there are any), the verdict ("No difference found (p(edit) = 0.03, threshold 0.50)",
    or the instruction with its p(edit)), category and what the model saw (when an edit was found and read),
    the model's raw words (behind a closed disclosure), the step's view and the heatmap's legend, the result."""
    notice = notices(result)
    described = result.edited and result.readable
    return (
        gr.Markdown(value=notice, visible=bool(notice)),
        f"{result.shown[0].upper()}{result.shown[1:]} ({result.verdict})",
        " → ".join(result.categories) if described else "",
        gr.Textbox(value="\n".join(result.observations), visible=described and bool(result.observations)),
        result.raw,
        *show_step(result, step, heatmap, opacity, mode),
        result,
    )


@safe_handler
def show_step(
    result: DiffResult | None, step: int | None, heatmap: bool, opacity: float = OPACITY, mode: str = SLIDER
) -> tuple[Pair | None, Image.Image | None]:
    """Step, heatmap, opacity or view changed: the view (before | after with the heatmap at `opacity`, or one of
    the two alone) and the heatmap's colour bar (None when no heatmap is drawn), from the stored result."""
    if result is None or step is None:
        return None, None
    before, after = result.images[step], result.images[step + 1]
    change = result.heatmaps[step + 1] if heatmap and result.edited else None  # no edit: no map to read
    after = heatmap_overlay(after, change, alpha=opacity)
    view = {BEFORE: (before, before), AFTER: (after, after)}.get(mode, (before, after))
    return view, None if change is None else colour_bar(LEGEND_WIDTH, RELATIVE_CHANGE)


def upload_status(path: str | None) -> str:
    """An upload changed: the ingestion's checks on that image alone, next to it."""
    if not path:
        return ""
    try:
        image = load_image(path, name=Path(path).name)
    except Exception as error:  # noqa: BLE001 - any refusal is shown next to the upload, in the user's words
        return f"{PROBLEM}{user_message(error)}"
    return f"✓ {image.width} x {image.height} image"


def build_tab(model: str | None) -> None:
    """Lay out the tab inside the caller's `gr.Blocks`/`gr.Tab`. Without the embedded demo model the tab says
    how to make it instead, so the rest of `sve serve` still starts."""
    try:
        predictor = DiffPredictor.load(model)
    except DemoModelMissingError as error:
        unavailable("Image diff", error)
        return
    gr.Markdown(
        demo_banner(
            predictor.demo,
            domain="edits of coloured shapes",
            kind="image-comparison",
            flag="--diff-model",
            suffix=", so expect rough answers on photographs",
        )
    )
    with gr.Row():
        uploads, statuses = [], []
        for label in UPLOADS:
            with gr.Column():
                uploads.append(gr.File(label=label, file_types=["image"], type="filepath"))
                statuses.append(gr.Markdown(label=f"{label}: check"))
    rows, labels = example_rows()
    gr.Examples(rows, uploads, example_labels=labels, cache_examples=False)
    with gr.Row():
        run = gr.Button("Describe the change", variant="primary")
        stop = gr.Button("Stop", variant="stop")
    problem = gr.Markdown(label="Problem", elem_id="diff-problem")
    notice = gr.Markdown(label="Notices", visible=False)
    with gr.Row():
        with gr.Column():
            instruction = gr.Textbox(label="Edit instruction", interactive=False)
            threshold = gr.Slider(
                0.0,
                1.0,
                value=round(predictor.calibration.threshold, 3),
                step=0.01,
                label="Edit threshold: p(edit)",
                info=predictor.calibration.describe(),
            )
            category = gr.Textbox(label="Category (ImgEdit)", interactive=False)
            seen = gr.Textbox(label="What the model saw (before -> after)", interactive=False, visible=False)
            with gr.Accordion(RAW_LABEL, open=False):
                raw = gr.Textbox(label="The model's raw answer", show_label=False, interactive=False)
            step = gr.Radio(label="Step", choices=[], visible=False)
            heatmap = gr.Checkbox(
                label="Show change heatmap on the after image",
                value=predictor.has_heatmaps,
                interactive=predictor.has_heatmaps,
                info=None if predictor.has_heatmaps else NO_HEATMAP,
            )
            opacity = gr.Slider(0.0, 1.0, value=OPACITY, step=0.05, label="Heatmap opacity",
                                interactive=predictor.has_heatmaps)
            mode = gr.Radio([SLIDER, BEFORE, AFTER], value=SLIDER, label="View")
        with gr.Column():
            view = gr.ImageSlider(label=VIEW_LABEL, type="pil", interactive=False, slider_position=START)
            legend = gr.Image(label="Heatmap legend", type="pil", interactive=False, height=60,
                              elem_id="diff-legend", alt_text=f"Colour bar of the {RELATIVE_CHANGE}")
    state = gr.State(None)

    outputs = [problem, notice, instruction, category, seen, raw, view, legend, step, state]
    run_controls(
        run,
        stop,
        reported(functools.partial(run_diff, predictor), BLANK),
        [*uploads, heatmap, opacity, mode, threshold],
        outputs,
        clear_on=uploads,
        blank=("", *BLANK),
        api_name="diff_describe",
    )
    for upload, status in zip(uploads, statuses, strict=True):
        upload.change(upload_status, upload, status, api_visibility="private")
    threshold.release(rejudge, [state, threshold, step, heatmap, opacity, mode],
                      [notice, instruction, category, seen, raw, view, legend, state], api_visibility="private")
    gr.on([step.change, heatmap.change, opacity.release, mode.change], show_step,
          [state, step, heatmap, opacity, mode], [view, legend], api_visibility="private")


def build_demo(model: str | None) -> gr.Blocks:
    """The tab on its own page: `build_demo(None).launch()` (binds 127.0.0.1 unless told otherwise)."""
    return standalone_page(TITLE, build_tab, model)
