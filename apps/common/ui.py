"""Gradio helpers shared by the app UIs, and the only place they live: handlers that never show a traceback, the
demo-model banner, the "tab unavailable" notice, example manifests, per-session download folders and the
one-tab page. Apps layer: imports `sve_core` and `evaluation`, never another app."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import gradio as gr

log = logging.getLogger("sve.ui")
_FOLDERS = re.compile(r"(?<![\w.])(?:/[^/\s:'\"]+)+/(?=[^/\s])")  # the folders of an absolute path

DEMO_BANNER = ("**Demo model** — a tiny model trained by our own trainer on synthetic {domain}. It shows how the "
               "suite works; it is not a real {kind} model{suffix}. Pass `--model` to run your own.")


def demo_banner(demo: bool, *, domain: str, kind: str, suffix: str = "") -> str:
    return DEMO_BANNER.format(domain=domain, kind=kind, suffix=suffix) if demo else ""


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
        except (ValueError, OSError) as err:
            raise gr.Error(without_folders(str(err)), print_exception=False) from None
        except Exception as err:  # noqa: BLE001 - a UI must survive any single bad request
            log.error("request failed with %s", type(err).__name__, exc_info=False)
            raise gr.Error(f"Something went wrong while processing this input ({type(err).__name__}). "
                           "Please check the files and try again.", print_exception=False) from None

    return wrapper


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
