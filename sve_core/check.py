"""`sve check`: inject every variant into a model and verify the two properties SVE rests on.

1. Exact no-op at init: with zero-initialised outputs the model's logits are unchanged.
2. The cross-image path is live: once the outputs are nonzero, image 2's vision features depend on image 1
   for the stateful variants, and do not for `stateless` and the `self_ffn` control.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from sve_core.checkpoint import from_pretrained
from sve_core.config import STATEFUL_VARIANTS, VARIANTS, ZERO_INIT_VARIANTS, SVEConfig
from sve_core.families import GenericAdapter, adapter_for
from sve_core.families.vision_spec import read_vision_spec, register_vision_spec
from sve_core.inject import image_sequences, make_stateful, remove_stateful


@dataclass
class CheckRow:
    variant: str
    added_params: int
    noop_diff: float | None  # max |logits - base logits| at zero init; None where not zero-init by design
    second_image_shift: float  # max change of image 2's features when image 1 changes (outputs nonzero)

    @property
    def noop_ok(self) -> bool:
        return self.noop_diff is None or self.noop_diff <= 1e-5

    @property
    def path_ok(self) -> bool:
        live = self.second_image_shift > 1e-6
        return live if self.variant in STATEFUL_VARIANTS else not live

    @property
    def passed(self) -> bool:
        return self.noop_ok and self.path_ok


def _two_image_inputs(processor, size: int, seed: int) -> tuple[dict, list[Image.Image]]:
    rng = np.random.default_rng(seed)
    images = [Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)) for _ in range(3)]
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "image"},
                                             {"type": "text", "text": "What changed?"}]}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True)
    return processor(text=[text], images=images[:2], return_tensors="pt"), images


def _image_features(model: nn.Module, processor, images: list[Image.Image]) -> torch.Tensor:
    pixels = processor.image_processor(images=images, return_tensors="pt")
    kwargs = {k: v for k, v in pixels.items() if k != "pixel_values"}
    with torch.no_grad(), image_sequences(model, [[0, 1]]):
        out = model.get_image_features(pixel_values=pixels["pixel_values"].to(model.dtype), return_dict=True,
                                       **kwargs)
    pooled = out.pooler_output
    if isinstance(pooled, (tuple, list)) and len(pooled) == len(images):
        return pooled[-1]
    pooled = torch.cat(list(pooled)) if isinstance(pooled, (tuple, list)) else pooled  # e.g. Idefics3: per sample
    return pooled.reshape(len(images), -1)[-1]


def check_model(model: nn.Module, processor, *, image_size: int = 56, seed: int = 0) -> list[CheckRow]:
    inputs, images = _two_image_inputs(processor, image_size, seed)
    with torch.no_grad():
        base_logits = model(**inputs).logits
    rows = []
    for variant in VARIANTS:
        make_stateful(model, SVEConfig(variant=variant))
        added = sum(p.numel() for p in model.sve.sve_parameters(model).values())
        noop = None
        if variant in ZERO_INIT_VARIANTS:
            with torch.no_grad():
                noop = (model(**inputs).logits - base_logits).abs().max().item()
        remove_stateful(model)
        torch.manual_seed(seed)
        make_stateful(model, SVEConfig(variant=variant, init_std=0.05))
        first = _image_features(model, processor, images[:2])
        second = _image_features(model, processor, [images[2], images[1]])
        remove_stateful(model)
        rows.append(CheckRow(variant, added, noop, (first - second).abs().max().item()))
    return rows


def format_table(rows: list[CheckRow]) -> str:
    lines = ["| variant | added params | no-op at init (max diff) | image 2 depends on image 1 | result |",
             "|---|---:|---|---|---|"]
    for r in rows:
        noop = "n/a (not zero-init by design)" if r.noop_diff is None else f"{r.noop_diff:.1e}"
        expected = "yes" if r.variant in STATEFUL_VARIANTS else "no"
        shift = f"{'yes' if r.second_image_shift > 1e-6 else 'no'} ({r.second_image_shift:.1e}; expected {expected})"
        lines.append(f"| {r.variant} | {r.added_params:,} | {noop} | {shift} | {'PASS' if r.passed else 'FAIL'} |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    name = args.model or f"tiny:{args.family}"
    model, processor = from_pretrained(name)
    model = model.float().eval() if args.fp32 else model.eval()
    if args.spec:
        register_vision_spec(model.config.model_type, read_vision_spec(args.spec))
    adapter = adapter_for(model)  # an unsupported tower stops here, saying what to declare
    print(f"SVE check on {name} ({model.config.model_type})\n")
    if isinstance(adapter, GenericAdapter):
        print(f"generic adapter:\n{adapter.describe()}\n")
    rows = check_model(model, processor, image_size=args.image_size)
    print(format_table(rows))
    failed = [r.variant for r in rows if not r.passed]
    print(f"\n{'FAIL: ' + ', '.join(failed) if failed else 'all variants PASS'}")
    return 1 if failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="inject every SVE variant and print a PASS/FAIL table",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--family", default="qwen2_vl",
                        help="tiny random model of this transformers family (default: qwen2_vl)")
    source.add_argument("--model", help="hub id or local path of a real VLM (loaded with AutoModelForImageTextToText)")
    parser.add_argument("--image-size", type=int, default=56, help="side of the random test images in pixels")
    parser.add_argument("--spec", help="JSON file of a VisionSpec declaring what the generic adapter cannot discover "
                                       "(fields: tower, blocks, attention, mlp, norms, image_token_id, "
                                       "tokens_per_image; see docs/ADD_A_MODEL.md)")
    parser.add_argument("--fp32", action="store_true", help="run in float32 (recommended for the no-op check)")
    parser.set_defaults(func=run)
