"""`sve serve`: the whole suite as one Gradio app with a tab per domain, on the embedded demo models unless
`--*-model` says otherwise. Binds 127.0.0.1 unless `--host` is given."""

from __future__ import annotations

import argparse

import gradio as gr

from apps.common.tempdirs import use_private_tempdir
from apps.common.ui import CSS, release_sessions_on_close

MAX_UPLOAD = "512mb"  # one file; the DICOM and archive policies' caps are no larger (docs/SECURITY.md)
MAX_QUEUE = 32  # requests waiting beyond this are refused instead of piling up
TITLE = "SVE suite — see what changed"
INTRO = ("Upload two (or more) images of the same thing at different times. A **Stateful Visual Encoder** lets "
         "the vision model look at the earlier image while it encodes the later one, and says what changed.")


def build_app(*, cxr_model: str | None = None, rs_model: str | None = None,
              diff_model: str | None = None) -> gr.Blocks:
    from apps.cxr.app import DELETE_CACHE
    from apps.cxr.app import build_tab as cxr_tab
    from apps.image_diff.app import build_tab as diff_tab
    from apps.rs_change.app import build_tab as rs_tab

    with gr.Blocks(title=TITLE, delete_cache=DELETE_CACHE) as demo:  # uploads older than 1 h are removed
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Tab("Chest X-ray", id="cxr"):
            cxr_tab(cxr_model)
        with gr.Tab("Remote sensing", id="rs"):
            rs_tab(rs_model)
        with gr.Tab("Image diff", id="diff"):
            diff_tab(diff_model)
        release_sessions_on_close(demo)
    return demo


def run(args: argparse.Namespace) -> int:
    use_private_tempdir()  # before Gradio reads GRADIO_TEMP_DIR; removed on exit, SIGTERM and SIGINT
    demo = build_app(cxr_model=args.cxr_model, rs_model=args.rs_model, diff_model=args.diff_model)
    demo.queue(default_concurrency_limit=2, max_size=MAX_QUEUE).launch(
        server_name=args.host, server_port=args.port, show_error=False, max_file_size=MAX_UPLOAD, css=CSS)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="the whole suite as one Gradio app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; use 0.0.0.0 only on a trusted network)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--cxr-model", help="chest X-ray model: hub id or local folder (default: embedded demo)")
    parser.add_argument("--rs-model", help="remote-sensing model: hub id or local folder (default: embedded demo)")
    parser.add_argument("--diff-model", help="image-diff model: hub id or local folder (default: embedded demo)")
    parser.set_defaults(func=run)
