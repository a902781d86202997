"""Our caption metrics must equal pycocoevalcap's own pipeline on the same inputs, and must not write into the
installed package. METEOR's JVM takes ~10 s to start, so the module runs ours and the stock pipeline once, side by
side, and every check reads that shared result."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.meteor.meteor import Meteor
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

from evaluation.captions import CaptionScorer, score_captions, validate
from evaluation.coco_java import JavaScorers, pycocoevalcap_dir
from evaluation.errors import EvaluationInputError, JavaNotFoundError

WORDS = ("the", "a", "road", "house", "houses", "tree", "trees", "was", "is", "are", "built", "near")
EXTRAS = [
    " the scene is the same as before .",
    "Two HOUSES appear, replacing trees!",
    'a "new" road -- built along the river; it\'s wide.',
    "no change... (none)",
    "café naïve buildings",
]


def _corpus(seed: int = 7, n: int = 40) -> tuple[dict[str, list[str]], dict[str, str]]:
    rng = random.Random(seed)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 10))) + rng.choice(
            ["", " .", ".", " !"]
        )

    references = {f"test_{i:06d}.png": [sentence() for _ in range(rng.randint(1, 5))] for i in range(n)}
    predictions = {i: sentence() for i in references}
    for i, (key, extra) in enumerate(zip(list(references), EXTRAS, strict=False)):
        references[key].append(extra)
        predictions[key] = EXTRAS[-1 - i]
    predictions["test_000039.png"] = ""  # an empty model output is legal and scores zero
    return references, predictions


def _package_snapshot(root: Path) -> dict[str, float]:
    """Names and mtimes inside pycocoevalcap; `tmp*` files are left out because another process running the stock
    tokenizer may create one meanwhile (that ours never does is test_tokenizer_never_writes_next_to_itself)."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime
        for p in root.rglob("*")
        if "__pycache__" not in p.parts and not p.name.startswith("tmp")
    }


def _stock_scores(
    references: dict[str, list[str]], predictions: dict[str, str], meteor: Meteor
) -> dict[str, float]:
    gts = PTBTokenizer().tokenize({i: [{"caption": r} for r in refs] for i, refs in references.items()})
    res = PTBTokenizer().tokenize({i: [{"caption": predictions[i]}] for i in references})
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    return {
        **dict(zip(["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4"], bleu, strict=True)),
        "METEOR": meteor.compute_score(gts, res)[0],
        "ROUGE-L": Rouge().compute_score(gts, res)[0],
        "CIDEr": Cider().compute_score(gts, res)[0],
    }


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, float] | bool]:
    package = pycocoevalcap_dir()
    if not os.access(package / "tokenizer", os.W_OK):
        pytest.skip("the stock PTBTokenizer writes next to itself, and this pycocoevalcap is read-only")
    references, predictions = _corpus()
    stock_meteor = Meteor()  # its JVM loads while ours runs
    before = _package_snapshot(package)
    with CaptionScorer(meteor=True) as scorer:
        ours = scorer.score(scorer.tokenize(references, predictions))
    untouched = _package_snapshot(package) == before
    stock = _stock_scores(references, predictions, stock_meteor)
    del stock_meteor
    return {"ours": ours, "stock": stock, "untouched": untouched}


@pytest.mark.parametrize("metric", ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr"])
def test_equals_pycocoevalcap(runs: dict, metric: str) -> None:
    assert runs["ours"][metric] == pytest.approx(100.0 * runs["stock"][metric], rel=0, abs=1e-9)


def test_sm_star_is_mean_of_four(runs: dict) -> None:
    ours = runs["ours"]
    assert ours["Sm*"] == pytest.approx(
        (ours["BLEU-4"] + ours["METEOR"] + ours["ROUGE-L"] + ours["CIDEr"]) / 4
    )


def test_nothing_written_into_package(runs: dict) -> None:
    assert runs["untouched"]


def test_tokenizer_never_writes_next_to_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulates a read-only site-packages: any temporary file placed inside pycocoevalcap fails."""
    package = pycocoevalcap_dir()
    original = tempfile.NamedTemporaryFile

    def guarded(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve().is_relative_to(package):
            raise PermissionError(f"read-only: {dir}")
        return original(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", guarded)
    scores = score_captions({"a": ["a road is built"]}, {"a": "a road is built"}, meteor=False)
    assert scores["BLEU-1"] == pytest.approx(100.0)
    assert "METEOR" not in scores and "Sm*" not in scores


def test_line_separators_do_not_shift_ids() -> None:
    with CaptionScorer(meteor=False) as scorer:
        tokens = scorer.tokenize(
            {"a": ["one\rtwo", "x\u2028y"], "b": ["three"]}, {"a": "four\x0cfive", "b": "six"}
        )
    assert tokens.references == {"a": ["one two", "x y"], "b": ["three"]}
    assert tokens.predictions == {"a": ["four five"], "b": ["six"]}


@pytest.mark.parametrize(
    ("references", "predictions", "message"),
    [
        ({"a": ["x"], "b": ["y"]}, {"a": "x"}, "no prediction: 'b'"),
        ({"a": ["x"]}, {"a": "x", "zz": "y"}, "no references: 'zz'"),
        ({"a": ["x"], "b": []}, {"a": "x", "b": "y"}, "not for ids 'b'"),
        ({"a": ["x", "  "]}, {"a": "x"}, "not for ids 'a'"),
        ({"a": ["x"]}, {"a": 3}, "predictions must be strings"),
        ({}, {}, "nothing to score"),
    ],
)
def test_malformed_inputs_name_the_ids(references: dict, predictions: dict, message: str) -> None:
    with pytest.raises(EvaluationInputError, match=message):
        validate(references, predictions)


def test_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("evaluation.coco_java.shutil.which", lambda name: None)
    with pytest.raises(JavaNotFoundError, match="java"):
        score_captions({"a": ["x"]}, {"a": "x"}, meteor=False)


def test_dead_meteor_jvm_is_a_readable_error_and_closes() -> None:
    scorers = JavaScorers(meteor=True)
    scorers.meteor.meteor_p.kill()
    scorers.meteor.meteor_p.wait()
    with pytest.raises(RuntimeError, match="METEOR's Java process exited"):
        scorers.meteor_score({"a": ["x y"]}, {"a": ["x y"]})
    scorers.close()  # must not hang on the lock pycocoevalcap leaves held
