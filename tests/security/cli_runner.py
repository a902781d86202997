"""Run `sve` command lines in forked children of one warmed-up interpreter and report, per command line, its
exit code, stderr, wall time and peak RSS (from `os.wait4`).

Importing torch, transformers and the apps takes 30-60 s on a loaded CI machine, which would drown what the
hostile-corpus test measures: the time a refusal takes. So the modules every command needs are imported once,
then each case runs in its own `fork()`: isolated like a fresh process, timed from the fork, its peak RSS
including everything the parent had imported. Usage: ``python cli_runner.py < cases.json > results.json``,
cases being ``[["rs", "describe", ...], ...]``.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import tempfile
import time

WARM = ("apps.cli", "apps.rs_change.cli", "apps.rs_change.describe.predictor", "apps.cxr.cli", "apps.cxr.dicom.studies",
        "apps.cxr.report.predictor", "sve_core.train_cli", "sve_core.trainer", "evaluation.cli")
LIMIT_S = 60  # a child still running after this is killed (and reported with its signal)


def run(argv: list[str]) -> dict[str, object]:
    from apps.cli import main

    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(err.fileno(), 2)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            signal.alarm(LIMIT_S)
            try:
                code = main(argv)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:  # noqa: BLE001 - a traceback is what the test must catch
                import traceback

                traceback.print_exc()
                code = 1
            sys.stderr.flush()
            os._exit(code)
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
        err.seek(0)
        return {"code": os.waitstatus_to_exitcode(status), "stderr": err.read().decode("utf-8", "replace"),
                "seconds": seconds, "peak_rss": usage.ru_maxrss * 1024}


if __name__ == "__main__":
    for module in WARM:
        importlib.import_module(module)
    json.dump([run(argv) for argv in json.load(sys.stdin)], sys.stdout)
