"""The remote-sensing tab: layout and wiring only; `RsPredictor` (loaded once per tab) does the work.

Scenes are `gr.File` uploads, so a GeoTIFF reaches the ingestion untouched (an image component would decode it
with Pillow and drop its georeference); a file without a CRS, scenes that do not overlap or a text file become
a message naming the file (`safe_handler`), with the app still up. The before/after slider and the tile map
are quicklooks assembled from the tiles the model read (`quicklook.py`), so they show what it saw; the tile map
draws the scene-scale change map, the change polygons and its legend over the after-scene. The threshold slider
starts at the model's calibrated p(change) threshold; the table shows every tile's p(change) and where its
caption disagrees with its flag. The interactive map (`web_map.py`, an offline Leaflet page in an iframe) shows
the same result with pan, zoom, a before/after swipe and a caption per tile.

Files on disk: the GeoJSON and heatmap GeoTIFF downloads are written (with the other `SceneResult` files) into
one `TemporaryDirectory` per session, replaced at the next run and removed when the session ends (`gr.State`
`delete_callback`) or the server exits. Gradio keeps uploads and served files in its own cache; `DELETE_CACHE`
on the page's Blocks drops them once they are an hour old.
"""

from __future__ import annotations

import functools
from pathlib import Path
from tempfile import TemporaryDirectory

import gradio as gr
from PIL import Image

from apps.common.policy.raster import DEFAULT_MAX_TILES, check_scene_tiles
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
    stop_requested,
    unavailable,
    user_message,
)
from apps.rs_change.describe.predictor import RsPredictor, check_series_tiles
from apps.rs_change.errors import SceneError
from apps.rs_change.outputs.scene_result import SceneResult
from apps.rs_change.outputs.tile_map import tile_map
from apps.rs_change.outputs.web_map import map_frame
from apps.rs_change.scene.ingest import open_series
from apps.rs_change.synthetic.make_examples import OUT as EXAMPLES_DIR

TITLE = "Remote sensing — what changed between two acquisitions?"
SCENE_TYPES = [".tif", ".tiff", ".png", ".jpg", ".jpeg"]
TABLE_HEADERS = ["row", "col", "changed", "p(change)", "changed area", "caption", "caption disagrees"]
DOWNLOADS = ("tiles.geojson", "changes.geojson", "heatmap.tif")  # no GeoJSON for plain images
DOWNLOADS_LABEL = ("Downloads: tile and change-polygon GeoJSON (lon/lat; none for plain images, whose coordinates "
                   "are pixels) and the change-map GeoTIFF")
TILE_MAP_LABEL = ("After-scene: red = changed tile (with its change map), grey = no change, cyan = change polygons; "
                  "legend below")
# Gradio cache clean-up, (every N s, files older than M s): an hour leaves time to download the outputs.
DELETE_CACHE = (600, 3600)
SESSION_TTL_S = 3600  # a forgotten tab's downloads are dropped after this long
TQDM_PROGRESS = gr.Progress(track_tqdm=True)  # a marker: Gradio gives each call its own tracker in its place
SUMMARY_LABEL = "Change summary"
TABLE_LABEL = "Tiles"

OVERLAY, AFTER, BEFORE = "After, with the change map", "After only", "Before only"
OPACITY = 0.6

# before/after quicklooks, interactive map (iframe HTML), tile map, summary, tile table, download paths, download
# folder, result
Outputs = tuple[
    tuple[Image.Image, Image.Image],
    str,
    Image.Image,
    str,
    list[list[object]],
    list[str],
    TemporaryDirectory,
    SceneResult,
]
BLANK = (None, "", None, "", None, None, None, None)  # every output of a run, cleared


def example_rows() -> tuple[list[list[str]], list[str]]:
    """`gr.Examples` rows (before, after) and their labels, from examples/examples.json (make_examples.py)."""
    manifest = example_manifest(EXAMPLES_DIR)
    rows = [[str(EXAMPLES_DIR / case["before"]), str(EXAMPLES_DIR / case["after"])] for case in manifest]
    return rows, [f"{case['name']}: {'; '.join(case['events'])}" for case in manifest]


@safe_handler
def run_describe(
    predictor: RsPredictor,
    before: str | None,
    after: str | None,
    tile_size: float,
    batch_size: float,
    threshold: float,
    downloads: TemporaryDirectory | None,
    opacity: float = OPACITY,
    mode: str = OVERLAY,
    progress: gr.Progress = TQDM_PROGRESS,
) -> Outputs:
    """Describe button: the quicklooks, the interactive map, the tile map, the summary, the tile table, the downloads and their
    folder (for clean-up), and the result for redraws. `progress` is never called: Gradio shows the predictor's
    tqdm bar through it. The Stop button ends the run between two batches of tiles (`stop_requested`)."""
    if not before or not after:
        raise SceneError("upload both scenes: the before (older) and the after acquisition")
    result = predictor.describe(
        [before, after],
        tile_size=int(tile_size),
        batch_size=int(batch_size),
        threshold=float(threshold),
        stop=stop_requested,
    )
    if downloads is not None:
        downloads.cleanup()
    folder = TemporaryDirectory(prefix="sve_rs_")
    result.write(folder.name)
    quicklooks = tuple(Image.fromarray(image) for image in result.quicklook.images)
    table = [
        [*tile.tile.index, tile.changed, round(tile.score, 3), f"{100 * tile.area:.1f}%", tile.caption, tile.note]
        for tile in result.steps[0].tiles
    ]
    files = [str(Path(folder.name) / name) for name in DOWNLOADS if (Path(folder.name) / name).is_file()]
    return (quicklooks, map_frame(result), show_tile_map(result, opacity, mode), result.report(), table, files,
            folder, result)


def show_tile_map(result: SceneResult | None, opacity: float = OPACITY, mode: str = OVERLAY) -> Image.Image | None:
    """The tile map of the last step (verdicts and change maps at `opacity` over the after-scene, with the
    legend), or the after- or before-scene alone; nothing before a run."""
    if result is None:
        return None
    step = result.steps[-1]
    if mode == OVERLAY:
        return tile_map(step, result.quicklook, result.calibration, opacity=opacity)
    return Image.fromarray(result.quicklook.images[step.after if mode == AFTER else step.before])


def scenes_status(before: str | None, after: str | None, tile_size: float) -> str:
    """An upload changed: the ingestion's checks on what is there (one scene's header and tile count; both
    scenes' overlap, bands and contrast), so a refusal shows before the run, next to the uploads."""
    if not before and not after:
        return ""
    try:
        if before and after:
            series = open_series([before, after])
            check_series_tiles(series, int(tile_size), 0, max_tiles=DEFAULT_MAX_TILES)
            return f"✓ The scenes overlap on {series.grid.width} x {series.grid.height} pixels." + "".join(
                f" ⚠ {warning}" for warning in series.warnings
            )
        check_scene_tiles(before or after, int(tile_size), 0, max_tiles=DEFAULT_MAX_TILES)
    except Exception as error:  # noqa: BLE001 - any refusal is shown next to the uploads, in the user's words
        return f"{PROBLEM}{user_message(error)}"
    return "✓ Readable scene; add the " + ("after" if before else "before") + " scene."


def build_tab(model: str | None) -> None:
    """Lay out the tab inside the caller's `gr.Blocks`/`gr.Tab`. Without the embedded demo model the tab says
    how to make it instead, so the rest of `sve serve` still starts."""
    try:
        predictor = RsPredictor.load(model)
    except DemoModelMissingError as error:
        unavailable("Remote sensing", error)
        return
    gr.Markdown(
        demo_banner(
            predictor.demo,
            domain="aerial scenes",
            kind="remote-sensing",
            flag="--rs-model",
            suffix=", so expect rough captions on real imagery",
        )
    )
    with gr.Row():
        before = gr.File(
            label="Before (older): GeoTIFF, or PNG/JPEG", file_types=SCENE_TYPES, type="filepath"
        )
        after = gr.File(
            label="After: GeoTIFF (warped onto the before grid), or PNG/JPEG",
            file_types=SCENE_TYPES,
            type="filepath",
        )
    status = gr.Markdown(label="Scenes check")
    rows, labels = example_rows()
    gr.Examples(rows, [before, after], example_labels=labels, cache_examples=False)
    with gr.Row():
        tile_size = gr.Slider(
            64,
            1024,
            value=256,
            step=32,
            label="Tile size (px)",
            elem_id="rs-tile-size",
            info="LEVIR-CC-style models saw 256 px tiles at 0.5 m",
        )
        batch_size = gr.Slider(1, 32, value=8, step=1, label="Batch size", info="tiles per model call")
        threshold = gr.Slider(
            0.0,
            1.0,
            value=round(predictor.calibration.threshold, 3),
            step=0.01,
            label="Change threshold: p(change)",
            info=predictor.calibration.describe(),
        )
        run = gr.Button("Describe the change", variant="primary")
        stop = gr.Button("Stop", variant="stop")
    problem = gr.Markdown(label="Problem", elem_id="rs-problem")
    view = gr.ImageSlider(
        label="Before / after, overlap of the two scenes (drag the handle)", type="pil", interactive=False
    )
    web_map = gr.HTML(label="Interactive map")  # an iframe of its own height (web_map.MAP_HEIGHT)
    with gr.Row():
        opacity = gr.Slider(0.0, 1.0, value=OPACITY, step=0.05, label="Change map opacity")
        mode = gr.Radio([OVERLAY, AFTER, BEFORE], value=OVERLAY, label="Tile map shows")
    with gr.Row():
        tiles = gr.Image(label=TILE_MAP_LABEL, type="pil", interactive=False, elem_id="rs-tile-map",
                         alt_text="The after-scene with each tile's change verdict, its change map and the legend")
        with gr.Column():
            summary = gr.Markdown(label=SUMMARY_LABEL)
            downloads = gr.File(
                label=DOWNLOADS_LABEL,
                file_count="multiple",
                interactive=False,
            )
    table = gr.Dataframe(
        headers=TABLE_HEADERS,
        datatype=["number", "number", "bool", "number", "str", "str", "str"],
        label=TABLE_LABEL,
        interactive=False,
        wrap=True,
    )
    folder = gr.State(None, time_to_live=SESSION_TTL_S, delete_callback=remove_folder)
    scene = gr.State(None, time_to_live=SESSION_TTL_S)

    outputs = [problem, view, web_map, tiles, summary, table, downloads, folder, scene]
    run_controls(
        run,
        stop,
        reported(functools.partial(run_describe, predictor), BLANK),
        [before, after, tile_size, batch_size, threshold, folder, opacity, mode],
        outputs,
        clear_on=[before, after, tile_size, threshold],
        blank=("", *BLANK),
        api_name="rs_describe",
    )
    gr.on([opacity.release, mode.change], safe_handler(show_tile_map), [scene, opacity, mode], tiles,
          api_visibility="private")
    gr.on([before.change, after.change, tile_size.change], scenes_status, [before, after, tile_size], status,
          api_visibility="private")


def build_demo(model: str | None) -> gr.Blocks:
    """The tab on its own page: `build_demo(None).launch()` (binds 127.0.0.1 unless told otherwise)."""
    return standalone_page(TITLE, build_tab, model, delete_cache=DELETE_CACHE)
