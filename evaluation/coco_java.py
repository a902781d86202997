"""pycocoevalcap's two Java-backed pieces (the Stanford PTB tokenizer and METEOR 1.5), run from a scratch mirror.

Both wrappers find their jar next to their own source file and start Java with that folder as the working
directory; the tokenizer also writes its input there as a temporary file. In a read-only site-packages (system
installs, containers, shared virtual environments) that fails, and in a writable one it litters the package.
We load pycocoevalcap's own modules from a temporary folder that mirrors theirs (the `.py` copied, jars and data
linked), so the code that runs is theirs, unchanged, and nothing is written inside the installed package.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import tempfile
from pathlib import Path
from types import ModuleType

from evaluation.errors import JavaNotFoundError

# (sub-folder of pycocoevalcap, module file, files and folders the module expects beside it)
_TOKENIZER = ("tokenizer", "ptbtokenizer.py", ("stanford-corenlp-3.4.1.jar",))
_METEOR = ("meteor", "meteor.py", ("meteor-1.5.jar", "data"))


def require_java() -> None:
    """A clear error when `java` is missing: without it no caption metric can be computed the standard way."""
    if shutil.which("java") is None:
        raise JavaNotFoundError(
            "`java` was not found on PATH. pycocoevalcap's PTB tokenizer and METEOR 1.5 are Java programs, so "
            "caption metrics cannot be computed the standard way without it; install a Java runtime (for example "
            "`apt-get install default-jre-headless`) and retry."
        )


def pycocoevalcap_dir() -> Path:
    spec = importlib.util.find_spec("pycocoevalcap.bleu.bleu")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("pycocoevalcap is not installed; `pip install pycocoevalcap`.")
    return Path(spec.origin).resolve().parent.parent


def _link_or_copy(source: Path, target: Path) -> None:
    """Links keep the mirror free (the METEOR paraphrase table is 60 MB); copy where links are not allowed."""
    try:
        target.symlink_to(source, target_is_directory=source.is_dir())
    except OSError:
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)


def _load_mirrored(root: Path, spec: tuple[str, str, tuple[str, ...]]) -> ModuleType:
    folder, module_file, companions = spec
    source_dir = pycocoevalcap_dir() / folder
    mirror = root / folder
    mirror.mkdir()
    shutil.copy2(source_dir / module_file, mirror / module_file)
    for name in companions:
        _link_or_copy(source_dir / name, mirror / name)
    module_spec = importlib.util.spec_from_file_location(f"_sve_mirror_{folder}", mirror / module_file)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


class JavaScorers:
    """pycocoevalcap's `PTBTokenizer` and (optionally) `Meteor`, loaded from a temporary mirror.

    METEOR is started in the constructor: its JVM spends ~10 s loading the paraphrase table, which then overlaps
    with tokenisation. Call `close()` (or use `with`) to stop the JVM and remove the mirror.
    """

    def __init__(self, *, meteor: bool) -> None:
        require_java()
        self._tmp = tempfile.TemporaryDirectory(prefix="sve-cocoeval-")
        root = Path(self._tmp.name)
        self.tokenizer = _load_mirrored(root, _TOKENIZER).PTBTokenizer()
        self.meteor = _load_mirrored(root, _METEOR).Meteor() if meteor else None

    def meteor_score(self, gts: dict[str, list[str]], res: dict[str, list[str]]) -> float:
        """Corpus METEOR, with a readable error if the JVM died (pycocoevalcap would fail on a closed pipe)."""
        assert self.meteor is not None
        try:
            return self.meteor.compute_score(gts, res)[0]
        except (ValueError, BrokenPipeError) as exc:
            process = self.meteor.meteor_p
            if process.poll() is None:
                raise
            detail = process.stderr.read().decode("utf-8", "replace")[-500:]
            raise RuntimeError(
                f"METEOR's Java process exited with code {process.returncode}: {detail}"
            ) from exc

    def close(self) -> None:
        if self.meteor is not None:
            # pycocoevalcap stops the JVM only in `Meteor.__del__`; stop it now so no Java outlives the scoring.
            # `compute_score` leaves its lock held when it raises, and `__del__` would then wait on it forever.
            if self.meteor.lock.locked():
                self.meteor.lock.release()
            process = self.meteor.meteor_p
            with contextlib.suppress(BrokenPipeError):  # a JVM that already died
                process.stdin.close()
            process.kill()
            process.wait()
            process.stdout.close()
            process.stderr.close()
            self.meteor = None
        self._tmp.cleanup()
