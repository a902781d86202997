"""Sharing SVE adapters through the Hugging Face Hub, the way PEFT adapters are shared: a small repo holding
the SVE weights, ``sve_config.json`` (naming the base model) and a model card.

Credentials are huggingface_hub's own (``HF_TOKEN`` or ``hf auth login``), never an argument. Downloads go through
the Hub cache, so with ``HF_HUB_OFFLINE=1`` a repo id loads from a snapshot already in the cache.
"""

from __future__ import annotations

import re
from pathlib import Path

from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class HubError(ValueError):
    """A repo could not be reached, found or written."""


def is_repo_id(name: str) -> bool:
    """``owner/name`` that is not a local path."""
    return bool(REPO_ID.match(name)) and not Path(name).exists()


def push(directory: str | Path, repo_id: str, files: list[str], *, private: bool | None = None,
         commit_message: str = "Upload SVE adapter") -> str:
    """Create `repo_id` if needed and upload `files` of `directory` in one commit; returns the commit URL."""
    api = HfApi()
    try:
        api.create_repo(repo_id, exist_ok=True, private=private)
        commit = api.upload_folder(repo_id=repo_id, folder_path=str(directory), allow_patterns=files,
                                   commit_message=commit_message)
    except HfHubHTTPError as err:
        raise HubError(f"push to {repo_id} failed ({err}); is HF_TOKEN set to a token with write access?") from err
    return commit.commit_url


def download(repo_id: str, files: list[str], *, revision: str | None = None) -> Path:
    """The local snapshot folder of `files` of `repo_id` at `revision` (from the cache when offline)."""
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=files))
    except LocalEntryNotFoundError as err:
        raise HubError(f"{repo_id} (revision {revision or 'main'}) is not in the local Hub cache and the Hub cannot "
                       f"be reached (HF_HUB_OFFLINE={'set' if _offline() else 'unset'}); download it once online "
                       f"(hf download {repo_id})") from err
    except HfHubHTTPError as err:
        raise HubError(f"{repo_id} (revision {revision or 'main'}): {err}") from err


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)
