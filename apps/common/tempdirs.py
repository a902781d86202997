"""One private temporary folder per server process, removed on exit, SIGTERM and SIGINT, and at the next
start-up if the process died without cleaning up (SIGKILL, power loss).

`sve serve` calls `use_private_tempdir()` first: every `tempfile` user in the process (our per-session download
folders, extracted zips) and Gradio's upload cache (``GRADIO_TEMP_DIR``) then write under
``<system tmp>/sve-<pid>/``, so one `rmtree` removes everything the server wrote, and a folder whose PID is no
longer running is known to be stale.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

PREFIX = "sve-"


def use_private_tempdir(base: Path | None = None) -> Path:
    """Create ``<base>/sve-<pid>``, route `tempfile` and Gradio's cache into it, remove stale siblings, and
    arrange for its removal when the process ends (normal exit, SIGTERM, SIGINT)."""
    base = Path(base or tempfile.gettempdir())
    remove_stale(base)
    folder = base / f"{PREFIX}{os.getpid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    tempfile.tempdir = str(folder)
    os.environ["GRADIO_TEMP_DIR"] = str(folder / "gradio")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, _exit_on_signal)
    return folder


def remove_stale(base: Path) -> list[Path]:
    """Remove ``sve-<pid>`` folders under `base` whose process is gone; return what was removed."""
    removed = []
    for folder in base.glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX)
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _exit_on_signal(number: int, _frame: object) -> None:
    sys.exit(128 + number)  # unwinds through `atexit`, which removes the folder
