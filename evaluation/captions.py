"""Caption metrics exactly as the COCO caption scorers (pycocoevalcap 1.2) compute them.

Pipeline, unchanged from pycocoevalcap's own `COCOEvalCap`: Stanford PTB tokenisation (lower-cased, punctuation
removed), then `Bleu(4)` with the "closest" reference length, `Meteor` 1.5 (`-l en -norm`), `Rouge` (ROUGE-L)
and `Cider`. Every hypothesis is scored against all of its references.

CIDEr: pycocoevalcap's `Cider` class is CIDEr-D (clipped n-gram counts, Gaussian length penalty with sigma 6,
n = 1..4, IDF from the references of the set being scored, x10). It is the class LEVIR-CC papers report as
"CIDEr", and what we report. Because IDF comes from the scored set, a subset (e.g. "change only") is scored as
its own set, exactly as a paper scoring that subset would.

Scale: all scores are x100 (CIDEr therefore 0-1000), the scale papers print. Sm* = (BLEU-4 + METEOR + ROUGE-L +
CIDEr) / 4 on those x100 scores, so it needs METEOR; with `meteor=False` neither METEOR nor Sm* is reported.

One deliberate difference from calling pycocoevalcap by hand: carriage returns, form feeds and Unicode line
separators inside a caption become spaces before tokenisation. The Java tokenizer splits lines on them, which
would silently shift every later caption onto the wrong id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from evaluation.coco_java import JavaScorers
from evaluation.errors import EvaluationInputError, describe_ids

BLEU_KEYS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4")
SM_PARTS = ("BLEU-4", "METEOR", "ROUGE-L", "CIDEr")
_LINE_BREAKS = str.maketrans({c: " " for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


@dataclass(frozen=True)
class TokenizedCaptions:
    """PTB-tokenised captions in the shape pycocoevalcap's scorers take: id -> list of strings."""

    references: dict[str, list[str]]
    predictions: dict[str, list[str]]  # one hypothesis per id

    def subset(self, ids: Iterable[str]) -> TokenizedCaptions:
        keep = list(ids)
        return TokenizedCaptions(
            {i: self.references[i] for i in keep}, {i: self.predictions[i] for i in keep}
        )


def validate(references: Mapping[str, list[str]], predictions: Mapping[str, str]) -> None:
    """Refuse inputs a scorer would silently mis-score, naming the offending ids."""
    if not references:
        raise EvaluationInputError("references are empty: there is nothing to score.")
    empty = [
        i
        for i, refs in references.items()
        if not isinstance(refs, (list, tuple))
        or not refs
        or not all(isinstance(r, str) and r.strip() for r in refs)
    ]
    if empty:
        raise EvaluationInputError(
            f"references must be non-empty lists of non-empty strings; not for ids {describe_ids(empty)}."
        )
    missing = [i for i in references if i not in predictions]
    if missing:
        raise EvaluationInputError(
            f"{len(missing)} ids have references but no prediction: {describe_ids(missing)}."
        )
    extra = [i for i in predictions if i not in references]
    if extra:
        raise EvaluationInputError(f"{len(extra)} predicted ids have no references: {describe_ids(extra)}.")
    not_text = [i for i, p in predictions.items() if not isinstance(p, str)]
    if not_text:
        raise EvaluationInputError(f"predictions must be strings; not for ids {describe_ids(not_text)}.")


class CaptionScorer:
    """Holds the Java processes, so several subsets of one run share a single METEOR start (~10 s)."""

    def __init__(self, *, meteor: bool = True) -> None:
        self._java = JavaScorers(meteor=meteor)

    def tokenize(
        self, references: Mapping[str, list[str]], predictions: Mapping[str, str]
    ) -> TokenizedCaptions:
        """Validate, then tokenise references and predictions in one Java call (one JVM start, not two)."""
        validate(references, predictions)
        batch = {
            ("ref", i): [{"caption": r.translate(_LINE_BREAKS)} for r in refs]
            for i, refs in references.items()
        }
        batch.update({("pred", i): [{"caption": predictions[i].translate(_LINE_BREAKS)}] for i in references})
        tokens = self._java.tokenizer.tokenize(batch)
        if len(tokens) != len(batch) or any(len(tokens[k]) != len(v) for k, v in batch.items()):
            raise RuntimeError(
                "the PTB tokenizer returned a different number of lines than captions it was given"
            )
        return TokenizedCaptions(
            {i: tokens[("ref", i)] for i in references}, {i: tokens[("pred", i)] for i in references}
        )

    def score(self, captions: TokenizedCaptions) -> dict[str, float]:
        """x100 scores for one set (see the module docstring for what each number is). pycocoevalcap is imported
        here: `sve cxr --help` registers argument parsers that import this module and should not wait for it."""
        from pycocoevalcap.bleu.bleu import Bleu
        from pycocoevalcap.cider.cider import Cider
        from pycocoevalcap.rouge.rouge import Rouge

        gts, res = captions.references, captions.predictions
        bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
        rouge = float(Rouge().compute_score(gts, res)[0])
        cider = float(Cider().compute_score(gts, res)[0])
        scores = {key: 100.0 * value for key, value in zip(BLEU_KEYS, bleu, strict=True)}
        if self._java.meteor is not None:  # last: its JVM has been loading in the background until now
            scores["METEOR"] = 100.0 * self._java.meteor_score(gts, res)
        scores.update({"ROUGE-L": 100.0 * rouge, "CIDEr": 100.0 * cider})
        if "METEOR" in scores:
            scores["Sm*"] = sum(scores[k] for k in SM_PARTS) / len(SM_PARTS)
        return scores

    def close(self) -> None:
        self._java.close()

    def __enter__(self) -> CaptionScorer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def score_captions(
    references: Mapping[str, list[str]], predictions: Mapping[str, str], *, meteor: bool = True
) -> dict[str, float]:
    """BLEU-1..4, METEOR, ROUGE-L, CIDEr(-D) and Sm* (x100) of one prediction per id against its references."""
    with CaptionScorer(meteor=meteor) as scorer:
        return scorer.score(scorer.tokenize(references, predictions))
