"""Where the PACS is and how to authenticate to it: `PacsConfig`, read from the environment or a file.

Secrets never come from the command line (other users see it in `ps`, shells keep it in their history) and are
never printed: `Credentials` has no repr of its values, and error messages name the variable or file, never
its content. Sources, first match wins:
1. `--pacs-credentials FILE` (or `SVE_PACS_CREDENTIALS=FILE`): JSON `{"token": "..."}` for a bearer token or
   `{"username": "...", "password": "..."}` for HTTP basic authentication;
2. `SVE_PACS_TOKEN`: a bearer token;
3. `SVE_PACS_USERNAME` and `SVE_PACS_PASSWORD`: HTTP basic authentication;
4. nothing: anonymous requests (a PACS that needs credentials then answers 401, reported as such).

TLS certificates are verified by default; `SVE_PACS_CA_BUNDLE` (or `--pacs-ca-bundle`) names the CA file of a
hospital's own certificate authority. There is deliberately no switch to turn verification off.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from apps.cxr.pacs.errors import PacsError

MAX_CREDENTIALS_BYTES = 64 * 1024
URL_VARIABLE = "SVE_PACS_URL"


@dataclass(frozen=True)
class Credentials:
    """A bearer token or a basic-auth pair; the values never appear in a repr."""

    token: str | None = field(default=None, repr=False)
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return "token" if self.token else "basic" if self.username else "anonymous"


@dataclass(frozen=True)
class PacsConfig:
    """A DICOMweb server (its root URL, e.g. https://pacs.example.org/dicom-web) and how to reach it."""

    url: str = field(metadata={"help": "DICOMweb root: QIDO-RS, WADO-RS and STOW-RS live under it"})
    credentials: Credentials = field(default_factory=Credentials, repr=False)
    ca_bundle: Path | None = field(default=None, metadata={"help": "CA certificates to verify TLS with"})
    timeout_s: float = field(default=30.0, metadata={"help": "per-request connect and read timeout"})

    def __post_init__(self) -> None:
        parsed = urlparse(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise PacsError(
                "--pacs: expected the DICOMweb root as an http:// or https:// URL, e.g. "
                "https://pacs.example.org/dicom-web"
            )
        if parsed.username or parsed.password:
            raise PacsError(
                "--pacs: the URL holds a user name or password; put credentials in a file "
                "(--pacs-credentials) or in SVE_PACS_TOKEN / SVE_PACS_USERNAME and SVE_PACS_PASSWORD instead"
            )
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            raise PacsError(f"--pacs-ca-bundle {self.ca_bundle.name}: no such file")


def load_config(
    url: str | None,
    *,
    credentials_file: Path | None = None,
    ca_bundle: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> PacsConfig:
    """`PacsConfig` from explicit values, falling back to the SVE_PACS_* environment variables."""
    url = url or environ.get(URL_VARIABLE)
    if not url:
        raise PacsError(f"no PACS configured: pass --pacs URL or set {URL_VARIABLE}")
    credentials_file = credentials_file or _path(environ.get("SVE_PACS_CREDENTIALS"))
    return PacsConfig(
        url=url.rstrip("/"),
        credentials=read_credentials(credentials_file) if credentials_file else _from_environ(environ),
        ca_bundle=ca_bundle or _path(environ.get("SVE_PACS_CA_BUNDLE")),
    )


def read_credentials(path: Path) -> Credentials:
    """A credentials file: JSON with "token", or with "username" and "password"; its content is never quoted."""
    if not path.is_file():
        raise PacsError(f"credentials file {path.name}: no such file")
    if path.stat().st_size > MAX_CREDENTIALS_BYTES:
        raise PacsError(f"credentials file {path.name}: larger than {MAX_CREDENTIALS_BYTES} bytes")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PacsError(
            f'credentials file {path.name}: not JSON; expected {{"token": ...}} or '
            '{"username": ..., "password": ...}'
        ) from None
    if not isinstance(entries, dict) or not all(isinstance(value, str) for value in entries.values()):
        raise PacsError(f"credentials file {path.name}: expected one JSON object of strings")
    if entries.get("token"):
        return Credentials(token=entries["token"])
    if entries.get("username") and "password" in entries:
        return Credentials(username=entries["username"], password=entries["password"])
    raise PacsError(f'credentials file {path.name}: expected a "token", or a "username" and a "password"')


def _from_environ(environ: Mapping[str, str]) -> Credentials:
    if environ.get("SVE_PACS_TOKEN"):
        return Credentials(token=environ["SVE_PACS_TOKEN"])
    if environ.get("SVE_PACS_USERNAME"):
        if "SVE_PACS_PASSWORD" not in environ:
            raise PacsError("SVE_PACS_USERNAME is set but SVE_PACS_PASSWORD is not; set both for basic auth")
        return Credentials(username=environ["SVE_PACS_USERNAME"], password=environ["SVE_PACS_PASSWORD"])
    return Credentials()


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
