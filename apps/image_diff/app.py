"""The image-diff tab: layout and wiring only; `DiffPredictor` (loaded once per tab) does the work.

Uploads are `gr.File`s rather than `gr.Image`s because Gradio's image component decodes an upload with Pillow
(any format, no pixel limit) before a handler runs; a file hands the path untouched to `load_images`, whose
checks then turn a wrong type, a corrupt file or a huge image into a message naming the file. The last result
lives in `gr.State`, so switching the step or the heatmap redraws the view without running the model again.
"""

from __future__ import annotations

import functools

import gradio as gr
from PIL import Image

from apps.common.predictor import DemoModelMissingError
from apps.common.ui import demo_banner, example_manifest, safe_handler, standalone_page, unavailable
from apps.image_diff.describe.predictor import UNREADABLE, DiffPredictor, DiffResult
from apps.image_diff.synthetic.make_examples import OUT as EXAMPLES_DIR

TITLE = "Image diff — what edit turns one image into the next?"
UPLOADS = ("Image 1 (oldest)", "Image 2", "Image 3 (optional)")
NO_HEATMAP = "This model has no stateful layers, so there is no change heatmap to show."


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
    predictor: DiffPredictor, first: str | None, second: str | None, third: str | None, heatmap: bool
) -> tuple[gr.Markdown, str, str, gr.Textbox, gr.Accordion, str, Pair, gr.Radio, DiffResult]:
    """Run button: notices (shown when there are any), the instruction (or that the model could not describe
    the pair), category, what the model saw (shown when it says), the model's raw words behind a closed
    disclosure (shown when they are unreadable), the last step's before/after, the step choice (shown for three
    images), and the result for later redraws. Empty upload slots are skipped, keeping the order."""
    result = predictor.predict([path for path in (first, second, third) if path])
    last = result.steps - 1
    notice = notices(result)
    described = result.edited and result.readable
    return (
        gr.Markdown(value=notice, visible=bool(notice)),
        f"{result.shown[0].upper()}{result.shown[1:]} ({result.verdict})",
        " → ".join(result.categories) if described else "",
        gr.Textbox(value="\n".join(result.observations), visible=described and bool(result.observations)),
        gr.Accordion(visible=not described, open=False),
        result.raw if not described else "",
        result.step(last, heatmap=heatmap),
        gr.Radio(choices=step_labels(result), value=last, visible=result.steps > 1),
        result,
    )


@safe_handler
def show_step(result: DiffResult | None, step: int | None, heatmap: bool) -> Pair | None:
    """Step or heatmap changed: redraw the before/after view from the stored result (nothing before a run)."""
    if result is None or step is None:
        return None
    return result.step(step, heatmap=heatmap)


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
            suffix=", so expect rough answers on photographs",
        )
    )
    with gr.Row():
        uploads = [gr.File(label=label, file_types=["image"], type="filepath") for label in UPLOADS]
    rows, labels = example_rows()
    gr.Examples(rows, uploads, example_labels=labels, cache_examples=False)
    run = gr.Button("Describe the change", variant="primary")
    stop = gr.Button("Stop", variant="stop")  # cancels this run (Gradio drops queued runs of a closed tab)
    notice = gr.Markdown(visible=False)
    with gr.Row():
        with gr.Column():
            instruction = gr.Textbox(label="Edit instruction", interactive=False)
            category = gr.Textbox(label="Category (ImgEdit)", interactive=False)
            seen = gr.Textbox(label="What the model saw (before -> after)", interactive=False, visible=False)
            with gr.Accordion("What the model wrote (not an instruction)", open=False, visible=False) as wrote:
                raw = gr.Textbox(show_label=False, interactive=False)
            step = gr.Radio(label="Step", choices=[], visible=False)
            heatmap = gr.Checkbox(
                label="Show change heatmap",
                value=predictor.has_heatmaps,
                interactive=predictor.has_heatmaps,
                info=None if predictor.has_heatmaps else NO_HEATMAP,
            )
        view = gr.ImageSlider(label="Before / after (drag the handle)", type="pil", interactive=False)
    state = gr.State(None)

    running = run.click(
        functools.partial(run_diff, predictor),
        [*uploads, heatmap],
        [notice, instruction, category, seen, wrote, raw, view, step, state],
        api_name="diff_describe",
    )
    stop.click(None, cancels=[running])
    gr.on([step.change, heatmap.change], show_step, [state, step, heatmap], view, api_visibility="private")


def build_demo(model: str | None) -> gr.Blocks:
    """The tab on its own page: `build_demo(None).launch()` (binds 127.0.0.1 unless told otherwise)."""
    return standalone_page(TITLE, build_tab, model)
