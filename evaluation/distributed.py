"""Inference split over the processes of one launch (accelerate or torchrun), resumable, merged in one order.

Every process of a launch gets a contiguous share of the work still to do (`share`), appends each result to
its own JSON-lines file in a shared folder as soon as it has it (`ShardLog`), and the main process merges all
files in the work's own order once everyone is done. Results never depend on how many processes ran, and a run
that was interrupted at item k reads what is on disk and continues from k.

`relaunch` starts N processes of a command through `torch.distributed.run` on 127.0.0.1 (what `accelerate
launch` runs on GPUs); inside, `process_state()` is accelerate's `PartialState`, which joins them (gloo on CPU,
NCCL on GPUs). Run `accelerate launch --num_processes N -m <module> ...` on a GPU machine to the same effect.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tqdm import tqdm

from evaluation.predict import Captioner

if TYPE_CHECKING:
    from accelerate import PartialState

T = TypeVar("T")
LAUNCHED = "WORLD_SIZE"  # set in every process of a torchrun / accelerate launch


def process_state() -> PartialState:
    """This process's place in the launch (a single process when nothing launched it)."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def launched() -> bool:
    return LAUNCHED in os.environ


def relaunch(module: str, argv: Sequence[str], processes: int) -> int:
    """Run `python -m module *argv` as `processes` joined processes on this machine; their exit status."""
    with socket.socket() as probe:  # a free port for the rendezvous, on loopback only
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
               "--master_addr", "127.0.0.1", "--master_port", str(port), "-m", module, *argv]
    return subprocess.run(command, check=False).returncode


def share(items: Sequence[T], rank: int, world: int) -> list[T]:
    """Process `rank`'s contiguous part of `items` (sizes differ by at most one; neighbouring tiles stay on one
    process, so its reads stay sequential)."""
    base, extra = divmod(len(items), world)
    start = rank * base + min(rank, extra)
    return list(items[start : start + base + (1 if rank < extra else 0)])


class ShardLog:
    """`folder`/rank<r>.jsonl per process: one JSON object per finished item, each with its `key`.

    `folder`/run.json holds the settings the results depend on; `prepare` (main process, before the others
    read) empties the folder when they changed, so a resumed run never mixes two configurations.
    """

    def __init__(self, folder: Path, rank: int) -> None:
        self.folder = Path(folder)
        self.rank = rank

    def prepare(self, settings: dict[str, Any]) -> bool:
        """Make the folder ready for a run with `settings`; True when earlier results are kept (a resume)."""
        marker = self.folder / "run.json"
        text = json.dumps(settings, sort_keys=True)
        if marker.is_file() and marker.read_text(encoding="utf-8") == text:
            return any(self.folder.glob("rank*.jsonl"))
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        marker.write_text(text, encoding="utf-8")
        return False

    def done(self) -> dict[str, dict[str, Any]]:
        """key -> record of every finished item, from every process's file (a torn last line is ignored)."""
        records: dict[str, dict[str, Any]] = {}
        for path in sorted(self.folder.glob("rank*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                records[record["key"]] = record
        return records

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        """Add finished items durably (flushed and synced before returning), after a torn line if any."""
        path = self.folder / f"rank{self.rank}.jsonl"
        torn = path.is_file() and path.stat().st_size > 0 and not _ends_with_newline(path)
        with open(path, "a", encoding="utf-8") as file:
            if torn:
                file.write("\n")
            for record in records:
                file.write(json.dumps(record, sort_keys=True) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def predict_distributed(captioner: Captioner, requests: Sequence[tuple[str, list[str], str]], *, desc: str,
                        folder: Path) -> dict[str, str] | None:
    """`evaluation.predict.predict` over the processes of a launch, resumable: id -> text in request order in
    the main process, None in the others. Each item is answered on its own, so the texts do not depend on the
    number of processes."""
    state = process_state()
    log = ShardLog(folder, state.process_index)
    if state.is_main_process:
        log.prepare({"requests": [list(r[:2]) for r in requests], "prompts": sorted({r[2] for r in requests})})
    state.wait_for_everyone()
    done = log.done()
    mine = share([r for r in requests if r[0] not in done], state.process_index, state.num_processes)
    for item_id, images, prompt in tqdm(mine, desc=desc, unit="item", disable=not state.is_main_process):
        log.append([{"key": item_id, "text": captioner.describe(images, prompt)}])
    state.wait_for_everyone()
    if not state.is_main_process:
        return None
    done = log.done()
    log.remove()
    return {item_id: done[item_id]["text"] for item_id, _, _ in requests}
