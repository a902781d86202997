"""Gradio helpers shared by the app UIs: handlers that never show a traceback, and the demo-model banner."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

log = logging.getLogger("sve.ui")

DEMO_BANNER = ("**Demo model** — a tiny model trained by our own trainer on synthetic {domain}. It shows how the "
               "suite works; it is not a real {kind} model{suffix}. Pass `--model` to run your own.")


def demo_banner(demo: bool, *, domain: str, kind: str, suffix: str = "") -> str:
    return DEMO_BANNER.format(domain=domain, kind=kind, suffix=suffix) if demo else ""


def release_sessions_on_close(demo: gr.Blocks) -> None:
    """Free a session's state (running `gr.State` delete callbacks, e.g. removing its download folder) as soon
    as its tab closes, instead of Gradio's default of keeping a closed session for an hour. Gradio calls
    `unload` handlers when a tab's heartbeat connection drops; `state_holder` is Gradio's per-session store."""

    def release(request: gr.Request) -> None:
        holder = demo.state_holder
        session = holder.session_data.get(request.session_hash)
        if session is not None:
            session.is_closed = True  # states without a time_to_live then count as expired too
            holder.delete_state(request.session_hash)
            holder.session_data.pop(request.session_hash, None)

    demo.unload(release)


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
            raise gr.Error(str(err), print_exception=False) from None
        except Exception as err:  # noqa: BLE001 - a UI must survive any single bad request
            log.error("request failed with %s", type(err).__name__, exc_info=False)
            raise gr.Error(f"Something went wrong while processing this input ({type(err).__name__}). "
                           "Please check the files and try again.", print_exception=False) from None

    return wrapper
