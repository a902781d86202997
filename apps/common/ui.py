"""Gradio helpers shared by the app UIs, and the only place they live: handlers that never show a traceback, errors
that stay on screen in place of the outputs they would otherwise sit over, the run/Stop wiring (the run button
disabled while its job runs, outputs cleared when an input changes), the demo-model banner, the "tab
unavailable" notice, example manifests, per-session download folders and the one-tab page. Apps layer: imports
`sve_core` and `evaluation`, never another app."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import gradio as gr

from apps.common.predictor import RunStopped

log = logging.getLogger("sve.ui")
_FOLDERS = re.compile(r"(?<![\w.])(?:/[^/\s:'\"]+)+/(?=[^/\s])")  # the folders of an absolute path

DEMO_BANNER = ("**Demo model** — a tiny model trained by our own trainer on synthetic {domain}. It shows how the "
               "suite works; it is not a real {kind} model{suffix}. To run your own, start the suite with "
               "`sve serve {flag} <hub id or folder>`.")
# Input errors are written for the command line too; in the UI, what only a GDAL or DICOM expert reads goes.
PLAIN_WORDS = (
    (re.compile(r" \([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\)"), ""),  # DICOM tag numbers: (0018,5101)
    (re.compile(r" \(no 'DICM' marker at byte 128\)"), ""),
    (re.compile(r"DICOM Part 10 file"), "DICOM file"),
    (re.compile(r"not a readable (?:GTiff|PNG|JPEG) file \([^)]*\)"), "not a readable image file"),  # GDAL's reason
    (re.compile(r"; VRT, GDAL_WMS and other formats are not accepted: convert with gdal_translate -of COG"),
     "; save it as a GeoTIFF first"),
    (re.compile(r"\bGTiff\b"), "GeoTIFF"),
)
GENERIC_ERROR = "Something went wrong while processing this input. Please check the files and try again."
PROBLEM = "⛔ "  # opens every error note, so a reader (and a test) tells it from a result
# Layout fixes for narrow (phone) and wide screens: file names wrap instead of shrinking to their last letters,
# tables scroll sideways inside their block instead of pushing columns off the page.
CSS = """
.file-preview .filename { overflow: visible !important; flex-wrap: wrap; }
.file-preview .filename .stem { white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; overflow-wrap: anywhere; }
.gradio-container { max-width: 1920px !important; }
"""


def demo_banner(demo: bool, *, domain: str, kind: str, flag: str, suffix: str = "") -> str:
    """The demo-model notice; `flag` is the `sve serve` option that loads this tab's own model (--cxr-model)."""
    return DEMO_BANNER.format(domain=domain, kind=kind, suffix=suffix, flag=flag) if demo else ""


def release_sessions_on_close(demo: gr.Blocks) -> None:
    """When a tab closes, drop its queued jobs and stop its running ones at their next yield, and free its state
    (running `gr.State` delete callbacks, e.g. removing its download folder) at once, instead of Gradio's
    default of keeping a closed session for an hour. Gradio calls `unload` handlers when a tab's heartbeat
    connection drops; `_queue.clean_events` is what Gradio itself runs when a job's event stream drops, and
    `state_holder` its per-session store."""

    async def release(request: gr.Request) -> None:
        await demo._queue.clean_events(session_hash=request.session_hash)
        holder = demo.state_holder
        session = holder.session_data.get(request.session_hash)
        if session is not None:
            session.is_closed = True  # states without a time_to_live then count as expired too
            holder.delete_state(request.session_hash)
            holder.session_data.pop(request.session_hash, None)

    demo.unload(release)


def without_folders(message: str) -> str:
    """`message` with every absolute path cut to its base name: an upload lives in a server-side temporary
    folder, which is neither the user's business nor anything they could act on."""
    return _FOLDERS.sub("", message)


def safe_handler(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn input errors (ValueError and its subclasses: our ingestion errors) into a readable message in the UI,
    and any other failure into a generic one; the server keeps running either way. Tracebacks go to the server
    log only, without the exception text (it might quote an uploaded file's content)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as err:  # noqa: BLE001 - a UI must survive any single bad request
            raise gr.Error(user_message(err), print_exception=False) from None

    return wrapper


def user_message(error: Exception) -> str:
    """What the user reads about `error`: an input error's own words (ValueError and its subclasses: our
    ingestion errors; OSError) without folders, anything else a generic sentence. The exception's class and, for
    unexpected ones, its text go to the server log only (the text might quote an uploaded file's content)."""
    if isinstance(error, gr.Error):
        return str(error.message)
    if isinstance(error, RunStopped):
        log.warning("job stopped: %s", error)  # the server's record that Stop ended the work, not just the wait
        return f"Stopped: {error}."
    if isinstance(error, ValueError | OSError):
        return plain_words(without_folders(str(error)))
    log.error("request failed with %s", type(error).__name__, exc_info=False)
    return GENERIC_ERROR


def plain_words(message: str) -> str:
    """`message` without the GDAL and DICOM jargon of `PLAIN_WORDS`."""
    for pattern, words in PLAIN_WORDS:
        message = pattern.sub(words, message)
    return message


def problem_note(error: Exception) -> str:
    return f"{PROBLEM}{user_message(error)}"


def reported(fn: Callable[..., tuple[Any, ...]], blank: Sequence[Any]) -> Callable[..., tuple[Any, ...]]:
    """`fn`'s outputs after a problem note ("" on success). On any failure: the problem, in the user's words,
    and `blank` in place of `fn`'s outputs, so the error stays on screen until the next action and never sits
    over an earlier result that no longer answers the inputs. The signature stays `fn`'s (`functools.wraps`),
    so Gradio still finds a `gr.Progress` default argument."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
        try:
            return ("", *fn(*args, **kwargs))
        except Exception as err:  # noqa: BLE001 - shown to the user by `problem_note`
            return (problem_note(err), *blank)

    return wrapper


def run_controls(
    run: gr.Button,
    stop: gr.Button,
    fn: Callable[..., Any],
    inputs: Sequence[gr.components.Component],
    outputs: Sequence[gr.components.Component],
    *,
    api_name: str,
    clear_on: Sequence[gr.components.Component],
    blank: Sequence[Any],
) -> Any:
    """Wire a run button, its Stop button and its inputs: the run button is disabled while its job runs and
    enabled again after success, error or Stop; Stop cancels the job (queued: dropped; running: Gradio stops
    waiting for it, see `stop_requested` for the work itself). When one of `clear_on` changes to a value other
    than the last run's, `blank` goes into `outputs`, so nothing derived from the old input (answers, pictures,
    downloads, the last error) stays on screen looking like the answer to the new one; a change event that
    repeats the last run's values (Gradio sends one when an example or a tab re-renders an input) leaves the
    result. Returns the job's event, the one `api_name` names."""
    last_run = gr.State(None)

    def clear(*values: Any) -> tuple[Any, ...]:
        *current, last = values
        if last is not None and list(current) == list(last):
            return tuple(gr.skip() for _ in outputs)
        return tuple(blank)

    started = run.click(_busy, list(clear_on), [run, last_run], queue=False, api_visibility="private")
    job = started.then(fn, list(inputs), list(outputs), api_name=api_name)
    job.then(_ready, None, run, queue=False, api_visibility="private")
    stop.click(_ready, None, run, cancels=[job], queue=False, api_visibility="private")
    gr.on([component.change for component in clear_on], clear, [*clear_on, last_run], list(outputs),
          queue=False, api_visibility="private")
    return job


def _busy(*values: Any) -> tuple[gr.Button, list[Any]]:
    return gr.Button(interactive=False), list(values)


def _ready() -> gr.Button:
    return gr.Button(interactive=True)


def stop_requested() -> bool:
    """True inside a Gradio job whose event is no longer running (its Stop button or its tab closed it): long
    loops poll it between batches to stop the work itself, which Gradio cannot interrupt in a worker thread.
    Reads `LocalContext` (which Gradio copies into the worker thread) and the queue's active jobs; False
    outside a queued job (a direct call, a test)."""
    from gradio.context import LocalContext

    blocks, event_id = LocalContext.blocks.get(None), LocalContext.event_id.get(None)
    if blocks is None or event_id is None or blocks._queue is None:
        return False
    return not any(event._id == event_id for job in blocks._queue.active_jobs if job for event in job)


def unavailable(app: str, error: Exception) -> None:
    """What a tab shows instead of itself when its model cannot load, so the rest of `sve serve` still starts."""
    gr.Markdown(f"**{app} is unavailable:** {error}")


def example_manifest(folder: Path) -> Any:
    """The app's `examples/examples.json`, as its `make_examples` wrote it: what `gr.Examples` rows are built from."""
    return json.loads((folder / "examples.json").read_text(encoding="utf-8"))


def remove_folder(folder: TemporaryDirectory | None) -> None:
    """`gr.State` delete callback of a session's download folder."""
    if folder is not None:
        folder.cleanup()


def standalone_page(title: str, build_tab: Callable[[str | None], None], model: str | None, *,
                    delete_cache: tuple[int, int] | None = None) -> gr.Blocks:
    """One app's tab on its own page: ``build_demo(None).launch()`` (binds 127.0.0.1 unless told otherwise)."""
    with gr.Blocks(title=title, delete_cache=delete_cache) as demo:
        gr.Markdown(f"# {title}")
        build_tab(model)
    return demo
