"""Server memory over many browser sessions: does `sve serve` give a closed tab's memory back?

    python benchmarks/serve_sessions.py [--sessions 100] [--port 7871] [--repo PATH]

Starts `sve serve` on 127.0.0.1 (the embedded demo models), then opens `--sessions` sessions one after another
with gradio_client, as a browser tab does (a heartbeat connection and a session id), runs the image-diff tab's
first example in each (so each session holds a result in its `gr.State`), and closes it. Prints the server's
RSS after one warm-up session, after all of them, the growth per session, and whether SIGTERM removed the
server's private temporary folder. The server is stopped by its PID. `--repo` serves another checkout's code (e.g.
the main branch before this change) for a side-by-side comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from gradio_client import Client, handle_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "apps" / "image_diff" / "examples"


def wait_until_up(url: str, server: subprocess.Popen, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"sve serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(2)
    raise SystemExit(f"sve serve did not answer at {url} within {timeout_s:.0f} s")


def one_session(url: str, inputs: list[object]) -> None:
    client = Client(url, verbose=False)
    try:
        client.predict(*inputs, api_name="/diff_describe")
    finally:
        client.close()  # the heartbeat stops: what closing a tab does


def rss_mib(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100, help="sessions to open and close (default 100)")
    parser.add_argument("--port", type=int, default=7871, help="port of the server started here (default 7871)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout whose `sve serve` runs (default: this one)")
    args = parser.parse_args()
    case = json.loads((EXAMPLES / "examples.json").read_text())[0]
    names = case["images"][:2]
    inputs = [handle_file(str(EXAMPLES / name)) for name in names] + [None, True]
    url = f"http://127.0.0.1:{args.port}/"
    tmp = Path(tempfile.gettempdir())
    server = subprocess.Popen([sys.executable, "-m", "apps.cli", "serve", "--port", str(args.port)], cwd=args.repo,
                              env={**os.environ, "PYTHONPATH": str(args.repo)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until_up(url, server)
        process = psutil.Process(server.pid)
        one_session(url, inputs)
        time.sleep(5)
        before = rss_mib(process)
        start = time.perf_counter()
        for _ in range(args.sessions):
            one_session(url, inputs)
        seconds = time.perf_counter() - start
        time.sleep(10)  # unload handlers run once the server notices the closed heartbeats
        after = rss_mib(process)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    private = tmp / f"sve-{server.pid}"
    print(f"server code: {args.repo}")
    print(f"sessions: {args.sessions} (image-diff example each, {seconds / args.sessions:.2f} s per session)")
    print(f"server RSS after 1 warm-up session: {before:.0f} MiB")
    print(f"server RSS after {args.sessions} more sessions, closed: {after:.0f} MiB")
    print(f"growth: {after - before:+.0f} MiB total, {(after - before) / args.sessions:+.2f} MiB per session")
    print(f"after SIGTERM the private temp folder {private} is {'gone' if not private.exists() else 'STILL THERE'}")


if __name__ == "__main__":
    main()
