"""A judge behind any OpenAI-compatible chat endpoint (vLLM, SGLang, llama.cpp server, TGI, hosted APIs).

Only the standard library is used (urllib), so judging needs no client package. Images travel inline as base64
`data:` URLs in `image_url` content parts, which every OpenAI-compatible multimodal server accepts; the endpoint
never needs to reach our files.

`endpoint` is the base URL as OpenAI clients take it (`http://127.0.0.1:8000/v1`); a URL already ending in
`/chat/completions` is used as is, and one without a `/v1` gets it appended.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from evaluation.errors import JudgeError

RETRYABLE = {429, 500, 502, 503, 504}


def chat_url(endpoint: str) -> str:
    base = endpoint.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


def image_part(path: str) -> dict:
    mime = mimetypes.guess_type(path)[0] or "image/png"
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}


@dataclass
class OpenAIJudge:
    endpoint: str
    model: str  # the judge model's name on that server
    api_key: str | None = None  # sent as a Bearer token when set
    max_tokens: int = 16  # a verdict is one word; raise it for judges that reason first
    timeout_s: float = 120.0
    retries: int = 2  # for connection errors and 429/5xx answers
    retry_wait_s: float = 2.0  # before the first retry, doubled for each next one

    def _post(self, body: bytes) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url, attempt = chat_url(self.endpoint), 0
        while True:
            try:
                request = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")[:300]
                if exc.code not in RETRYABLE or attempt == self.retries:
                    raise JudgeError(f"judge endpoint {url} answered HTTP {exc.code}: {detail}") from exc
            except (urllib.error.URLError, TimeoutError) as exc:
                if attempt == self.retries:
                    raise JudgeError(f"judge endpoint {url} could not be reached: {exc}") from exc
            except json.JSONDecodeError as exc:
                raise JudgeError(f"judge endpoint {url} did not answer with JSON.") from exc
            time.sleep(self.retry_wait_s * 2**attempt)
            attempt += 1

    def __call__(self, image_paths: list[str], prompt: str) -> str:
        content = [*(image_part(p) for p in image_paths), {"type": "text", "text": prompt}]
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": content}],
            "max_tokens": self.max_tokens,
            "temperature": 0,
        }
        reply = self._post(json.dumps(body).encode("utf-8"))
        try:
            message = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise JudgeError(
                f"judge endpoint {chat_url(self.endpoint)} sent no choices[0].message.content."
            ) from exc
        if isinstance(message, list):  # some servers return content parts
            message = "".join(part.get("text", "") for part in message if isinstance(part, dict))
        return message if isinstance(message, str) else ""
