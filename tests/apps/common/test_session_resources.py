"""Server resources against a real Gradio server on 127.0.0.1: a queued job of a tab that went away never runs,
and `release_sessions_on_close` frees a closed tab's state (its delete callback runs) at once, not an hour later."""

from __future__ import annotations

import socket
import threading
import time

import gradio as gr
import pytest
from gradio_client import Client

from apps.common.ui import release_sessions_on_close


def _wait_for(condition, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(monkeypatch):
    """A one-worker queue whose job blocks until released; records which jobs ran and which states were freed."""
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "1")  # notice a closed tab within a second, not 15 s
    release, ran, freed = threading.Event(), [], []

    def work(name: str) -> tuple[str, str]:
        ran.append(name)
        release.wait(timeout=60)
        return name, name

    with gr.Blocks() as demo:
        text = gr.Textbox()
        out = gr.Textbox()
        state = gr.State(None, delete_callback=freed.append)
        gr.Button().click(work, text, [out, state], api_name="work", concurrency_limit=1)
        release_sessions_on_close(demo)
    demo.queue().launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield demo, release, ran, freed
    finally:
        release.set()
        demo.close()


def test_queued_job_of_a_closed_tab_never_runs(server) -> None:
    demo, release, ran, _ = server
    first, second = Client(demo.local_url, verbose=False), Client(demo.local_url, verbose=False)
    running = first.submit("first", api_name="/work")
    assert _wait_for(lambda: ran == ["first"])
    second.submit("second", api_name="/work")  # queued behind the running job
    time.sleep(1)
    second.close()  # the tab goes away: its heartbeat stops
    time.sleep(5)
    release.set()
    assert running.result(timeout=60) == "first"
    time.sleep(3)
    assert ran == ["first"], "a job of a closed session was run"
    first.close()


def test_closed_tab_state_is_freed_at_once(server) -> None:
    demo, release, ran, freed = server
    release.set()
    client = Client(demo.local_url, verbose=False)
    assert client.predict("mine", api_name="/work") == "mine"
    assert freed == []
    client.close()
    assert _wait_for(lambda: freed == ["mine"], timeout_s=60), "the closed session's state was kept"
