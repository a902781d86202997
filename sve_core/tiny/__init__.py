"""`tiny_vlm(family)`: a tiny random-initialised model of a REAL transformers VLM family, with its real processor,
an offline tokenizer and a chat template, built in seconds.

A product module, not test scaffolding: ``--model tiny:<family>`` loads one (`sve_core.checkpoint`), the
trainer and the recipes build on it, every test and benchmark uses it, and the embedded demo models start from
it: the classes, processors and code paths are exactly those a hub checkpoint uses, only the sizes are small. One file per family group holds
its builder; `FAMILIES` lists them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import torch
from transformers import PreTrainedModel, ProcessorMixin

from sve_core.tiny import gemma3, generic, glm, internvl, qwen
from sve_core.tiny.spec import TinySpec

Builder = Callable[[TinySpec, Iterable[str]], tuple[PreTrainedModel, ProcessorMixin]]

BUILDERS: dict[str, Builder] = {
    "qwen2_vl": qwen.qwen2_vl,
    "qwen2_5_vl": qwen.qwen2_5_vl,
    "qwen3_vl": qwen.qwen3_vl,
    "qwen3_5": qwen.qwen3_5,
    "qwen3_vl_moe": functools.partial(qwen.qwen3_vl, moe=True),
    "qwen3_5_moe": functools.partial(qwen.qwen3_5, moe=True),
    "glm4v": glm.glm4v,
    "glm4v_moe": glm.glm4v_moe,
    "glm46v": glm.glm46v,
    "internvl": internvl.internvl,
    "gemma3": gemma3.gemma3,
    "idefics3": generic.idefics3,  # these three run through the generic adapter
    "llava_onevision": generic.llava_onevision,
    "paligemma": generic.paligemma,
}
FAMILIES: tuple[str, ...] = tuple(BUILDERS)


def tiny_vlm(family: str = "qwen2_vl", spec: TinySpec | None = None,
             corpus: Iterable[str] = ()) -> tuple[PreTrainedModel, ProcessorMixin]:
    """(model, processor) of a tiny random-initialised `family` model, in eval mode, fp32.

    `corpus` adds domain text to the tokenizer's training text, so domain words become few tokens."""
    if family not in BUILDERS:
        raise ValueError(f"unknown tiny family {family!r}; choose one of {', '.join(BUILDERS)}")
    spec = spec or TinySpec()
    if family != "qwen2_vl" and (spec.patch_size is not None or spec.merge_size != 2):
        raise ValueError(f"patch_size and merge_size can be set for tiny qwen2_vl only, not {family!r}")
    torch.manual_seed(spec.seed)
    model, processor = BUILDERS[family](spec, tuple(corpus))
    model.config.tiny_spec = vars(spec).copy()
    return model.eval(), processor


__all__ = ["BUILDERS", "FAMILIES", "TinySpec", "tiny_vlm"]
