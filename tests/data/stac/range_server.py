"""A static file server on 127.0.0.1 that honours HTTP Range requests (Python's http.server does not), for the
STAC tests: `python range_server.py ROOT PORT [--delay S] [--log FILE]`.

GDAL reads a Cloud-Optimized GeoTIFF by byte ranges; this server answers `Range: bytes=a-b` with 206 and the
exact slice, so the tests see real partial reads. Paths under `/broken/` answer 503 (HTTP errors, retried by the
client), `--delay` makes every answer slow (a slow catalog), and `--log` appends "path bytes-sent" per request
so a test can check that only the AOI's blocks travelled.
"""

from __future__ import annotations

import argparse
import re
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class RangeHandler(SimpleHTTPRequestHandler):
    delay = 0.0
    log: Path | None = None

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        time.sleep(self.delay)
        path = Path(self.translate_path(self.path.split("?", 1)[0]))
        if self.path.startswith("/broken/"):
            self.send_error(503, "failing on purpose")
            return
        if not path.is_file():
            self.send_error(404, "not found")
            return
        data = path.read_bytes()
        start, end = 0, len(data) - 1
        match = RANGE.match(self.headers.get("Range", ""))
        if match and (match.group(1) or match.group(2)):
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), end) if match.group(2) else end
            else:  # suffix range: the last N bytes
                start = max(0, len(data) - int(match.group(2)))
            if start > end:
                self.send_error(416, "range not satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        if body:
            self.wfile.write(data[start : end + 1])
            if self.log is not None:
                with open(self.log, "a", encoding="utf-8") as file:
                    file.write(f"{self.path} {end - start + 1}\n")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, help="folder to serve")
    parser.add_argument("port", type=int, help="port on 127.0.0.1")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before every answer")
    parser.add_argument("--log", type=Path, help="append 'path bytes' per answered GET")
    args = parser.parse_args()
    RangeHandler.delay, RangeHandler.log = args.delay, args.log
    server = ThreadingHTTPServer(("127.0.0.1", args.port), partial(RangeHandler, directory=str(args.root)))
    server.serve_forever()


if __name__ == "__main__":
    main()
