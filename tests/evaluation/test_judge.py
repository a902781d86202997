"""The pairwise judge: verdict parsing, position-bias cancelling, and the OpenAI-compatible client against a fake
endpoint served on 127.0.0.1 by this test (a fixed number of requests, then the server stops)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from apps.cli import main
from evaluation.errors import JudgeError
from evaluation.judge import JudgeItem, judge_item, parse_verdict, tally
from evaluation.openai_judge import OpenAIJudge, chat_url

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("A", "A"),
        ("b", "B"),
        (" Tie.", "tie"),
        ("**B**", "B"),
        ("Verdict: A", "A"),
        ("[[B]]", "B"),
        ("The answer is A", "A"),
        ("Description B is better.", "B"),
        ("A is more accurate than B", "A"),
        ("Both are equally good.", "tie"),
        ("Reasoning: A misses the road, B names it.\nB", "B"),
        ("Description A and Description B", None),
        ("", None),
    ],
)
def test_parse_verdict(reply: str, verdict: str | None) -> None:
    assert parse_verdict(reply) == verdict


def _item(group: str = "all") -> JudgeItem:
    return JudgeItem(
        "x", [], a="a road was built", b="nothing changed", references=["a road was built"], group=group
    )


def _first_description(prompt: str) -> str:
    return re.search(r"Description A: (.*)", prompt).group(1)


def test_consistent_preference_wins_and_position_bias_ties() -> None:
    prefers_road = lambda images, prompt: "A" if "road" in _first_description(prompt) else "B"  # noqa: E731
    always_first = lambda images, prompt: "A"  # noqa: E731
    half_sure = iter(["A", "tie"])
    assert judge_item(prefers_road, _item()).result == "win"
    assert judge_item(always_first, _item()).result == "tie"
    assert judge_item(lambda images, prompt: next(half_sure), _item()).result == "win"
    outcomes = [judge_item(prefers_road, _item("add")), judge_item(lambda i, p: "hmm", _item("remove"))]
    counts = tally(outcomes)
    assert counts["all"] == {"win": 1, "tie": 1, "loss": 0, "unparsed": 2}
    assert counts["add"]["win"] == 1 and counts["remove"]["tie"] == 1


@pytest.fixture
def endpoint() -> Iterator[Callable[..., tuple[str, list[dict]]]]:
    """Starts a fake chat-completions server answering `replies` (status, text) in order, one per request."""
    servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(replies: list[tuple[int, str]] | Callable[[dict], str], count: int) -> tuple[str, list[dict]]:
        seen: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                status, text = replies.pop(0) if isinstance(replies, list) else (200, replies(body))
                answer = (
                    {"choices": [{"message": {"role": "assistant", "content": text}}]}
                    if status == 200
                    else {}
                )
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.timeout = 10
        thread = threading.Thread(target=lambda: [server.handle_request() for _ in range(count)], daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}/v1", seen

    yield start
    for server, thread in servers:
        thread.join(timeout=15)
        server.server_close()


def test_client_sends_images_and_retries(endpoint, tmp_path: Path) -> None:
    url, seen = endpoint([(503, ""), (200, "B")], count=2)
    image = DATA / "imgedit" / "images" / "add_000" / "original.png"
    judge = OpenAIJudge(url, "judge-model", api_key="secret", retry_wait_s=0.0)
    assert judge([str(image)], "Which?") == "B"
    request = seen[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    parts = request["body"]["messages"][0]["content"]
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,") and parts[-1]["text"] == "Which?"
    assert request["body"]["model"] == "judge-model"


def test_client_errors_are_judge_errors(endpoint) -> None:
    url, _ = endpoint([(400, "")], count=1)
    with pytest.raises(JudgeError, match="HTTP 400"):
        OpenAIJudge(url, "m", retries=0)([], "x")
    with pytest.raises(JudgeError, match="could not be reached"):
        OpenAIJudge("http://127.0.0.1:9/v1", "m", retries=0, timeout_s=2)([], "x")


def test_chat_url_forms() -> None:
    assert chat_url("http://h:1/v1") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"


def test_judge_cli_on_imgedit(endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edits = [json.loads(line) for line in (DATA / "imgedit" / "test.jsonl").read_text().splitlines()]
    (tmp_path / "a.json").write_text(json.dumps({e["id"]: e["prompt"] for e in edits}))
    (tmp_path / "b.json").write_text(json.dumps({e["id"]: "nothing changed" for e in edits}))

    def faithful_judge(body: dict) -> str:
        text = body["messages"][0]["content"][-1]["text"]
        reference = re.search(r"written by a person: (.*)", text).group(1)
        return "A" if _first_description(text) == reference.splitlines()[0] else "B"

    url, seen = endpoint(faithful_judge, count=2 * len(edits))
    argv = [
        "eval",
        "judge",
        "--data",
        str(DATA / "imgedit"),
        "--a",
        str(tmp_path / "a.json"),
        "--b",
        str(tmp_path / "b.json"),
        "--endpoint",
        url,
        "--judge-model",
        "fake",
        "--name-a",
        "ours",
        "--json",
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(argv) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts["all"] == {"win": 7, "tie": 0, "loss": 0, "unparsed": 0}
    assert counts["content memory"]["win"] == 1
    assert len(seen) == 14
    assert [sum(p["type"] == "image_url" for p in r["body"]["messages"][0]["content"]) for r in seen][
        6:8
    ] == [3, 3]
    assert "ours wins" in (tmp_path / "out" / "judge.md").read_text()


def test_judge_cli_with_references_and_image_lists(
    endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pair = [str(DATA / "levir_cc" / "images" / "test" / side / "test_000000.png") for side in ("A", "B")]
    files = {
        "refs.json": {"x": ["a road is built"], "y": ["nothing has changed"]},
        "a.json": {"x": "a road is built", "y": "a house appears"},
        "b.json": {"x": "trees are removed", "y": "nothing has changed"},
        "images.json": {"x": pair, "y": pair},
    }
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))
    url, seen = endpoint(lambda body: "tie", count=4)
    argv = [
        "eval",
        "judge",
        "--references",
        str(tmp_path / "refs.json"),
        "--images",
        str(tmp_path / "images.json"),
        "--a",
        str(tmp_path / "a.json"),
        "--b",
        str(tmp_path / "b.json"),
        "--endpoint",
        url,
        "--judge-model",
        "fake",
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(argv) == 0
    assert "images and text" in capsys.readouterr().out
    assert all(len(r["body"]["messages"][0]["content"]) == 3 for r in seen)
    (tmp_path / "b.json").write_text(json.dumps({"x": "trees are removed"}))
    assert main(argv) == 2
    assert "b.json: 1 ids have references but no prediction: 'y'" in capsys.readouterr().err
