"""A throw-away local Orthanc PACS with its DICOMweb plugin, for the `pacs` tests and the docs' walkthrough.

Debian's `orthanc` has no bind-address setting, so the server is locked down instead: `RemoteAccessAllowed`
false (only 127.0.0.1 may connect), HTTP basic authentication on with a random password, the DICOM (DIMSE)
port off, and configuration, index and storage in one temporary folder that is removed when it stops. The
server is stopped by the PID it was started with, never by name.

    python -m apps.cxr.pacs.orthanc --port 8042 --credentials pacs.json

runs one until Ctrl-C (or SIGTERM), writing the credentials file `sve cxr report --pacs-credentials` reads.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import requests

ORTHANC = Path(os.environ.get("SVE_ORTHANC", "/usr/sbin/Orthanc"))
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
INSTALL_HINT = "install Debian's packages: apt-get install orthanc orthanc-dicomweb"
START_TIMEOUT_S = 60
USERNAME = "sve"


@dataclass(frozen=True)
class LocalOrthanc:
    """A running server: its DICOMweb root and the basic-auth pair it accepts."""

    url: str  # DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web
    username: str
    password: str
    pid: int

    def write_credentials(self, path: Path) -> None:
        """The credentials file format of `apps.cxr.pacs.config`, readable by its owner only."""
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(json.dumps({"username": self.username, "password": self.password}) + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configuration(folder: Path, port: int, password: str) -> dict:
    return {
        "Name": "SVE-TEST",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "storage"),
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "HttpPort": port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USERNAME: password},
        "DicomServerEnabled": False,
        "HttpDescribeErrors": False,
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
    }


@contextmanager
def local_orthanc(port: int | None = None) -> Iterator[LocalOrthanc]:
    """Start Orthanc on 127.0.0.1 (a free port unless given), wait until DICOMweb answers, stop it afterwards."""
    for needed in (ORTHANC, DICOMWEB_PLUGIN):
        if not needed.exists():
            raise FileNotFoundError(f"{needed} is missing; {INSTALL_HINT}")
    port = port or free_port()
    password = secrets.token_urlsafe(18)
    with TemporaryDirectory(prefix="sve_orthanc_") as temporary:
        folder = Path(temporary)
        (folder / "orthanc.json").write_text(json.dumps(configuration(folder, port, password)))
        with (folder / "orthanc.log").open("w") as log:
            process = subprocess.Popen(
                [str(ORTHANC), str(folder / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT
            )
        server = LocalOrthanc(f"http://127.0.0.1:{port}/dicom-web", USERNAME, password, process.pid)
        try:
            _wait_until_up(server, process, folder / "orthanc.log")
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(server: LocalOrthanc, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            answer = requests.get(f"{server.url}/studies", auth=(server.username, server.password), timeout=2)
            if answer.status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"Orthanc did not answer in {START_TIMEOUT_S} s:\n{log.read_text()[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8042, help="HTTP port on 127.0.0.1 (default 8042)")
    parser.add_argument(
        "--credentials", type=Path, required=True, help="file to write the basic-auth pair to (mode 0600)"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM also runs the clean-up below
    with local_orthanc(args.port) as server:
        server.write_credentials(args.credentials)
        print(
            f"Orthanc DICOMweb at {server.url} (credentials in {args.credentials}); Ctrl-C stops it",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            args.credentials.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
