"""`PacsError`: the PACS cannot be used for this request (unreachable, refused, no suitable study, bad answer)."""

from __future__ import annotations


class PacsError(ValueError):
    """A `ValueError` so the `sve` CLI prints it without a traceback (exit 2) and the UI shows it as a message.

    Messages say what went wrong and what to change; they never quote a patient ID, a UID, a date or a
    credential, and never echo the server's response body (it may hold any of these).
    """
