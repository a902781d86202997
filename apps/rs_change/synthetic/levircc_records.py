"""LEVIR-CC records, byte-faithful to the real `LevirCCcaptions.json` so loaders written for it read ours.

Dataset format: `LevirCCcaptions.json` beside `images/{train,val,test}/{A,B}/<split>_NNNNNN.png` (A before,
B after, 256 x 256 RGB, numbered from 000001 in each split). The JSON is `{"images": [record, ...]}` with
`imgid` counting across splits from 0 and five sentences per image, `sentid = 5 * imgid + k`; a sentence's
`raw` starts with a space and ends with " ." and its `tokens` are the words without the full stop.
"""

from __future__ import annotations

from typing import Any

SENTENCES_PER_IMAGE = 5


def levir_filename(split: str, number: int) -> str:
    return f"{split}_{number:06d}.png"


def sentence_record(text: str, imgid: int, sentid: int) -> dict[str, Any]:
    return {"tokens": text.split(), "raw": f" {text} .", "imgid": imgid, "sentid": sentid}


def image_record(split: str, number: int, imgid: int, changeflag: int, sentences: list[str]) -> dict[str, Any]:
    """One entry of `images`, keys in the real file's order."""
    if len(sentences) != SENTENCES_PER_IMAGE:
        raise ValueError(f"LEVIR-CC pairs have {SENTENCES_PER_IMAGE} sentences, got {len(sentences)}")
    sentids = [SENTENCES_PER_IMAGE * imgid + k for k in range(SENTENCES_PER_IMAGE)]
    return {"filepath": split, "filename": levir_filename(split, number), "imgid": imgid, "split": split,
            "sentids": sentids, "changeflag": changeflag,
            "sentences": [sentence_record(text, imgid, sid) for text, sid in zip(sentences, sentids, strict=True)]}
