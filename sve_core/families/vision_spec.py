"""`VisionSpec`: the few facts SVE's generic adapter needs about a VLM, declared by hand where it cannot
discover them (every field left ``None`` is discovered from the model's config and modules).

Register a spec before `make_stateful` for a model type the generic adapter finds ambiguous::

    register_vision_spec("my_vlm", VisionSpec(blocks="encoder.layers", norms=("ln_a", "ln_b")))
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


class VisionSpecError(ValueError):
    """A declared `VisionSpec` has a malformed field."""


@dataclass(frozen=True)
class VisionSpec:
    tower: str | None = None  # dotted path from the model to the vision tower (the module called with pixels)
    blocks: str | None = None  # dotted path from the tower to the ModuleList of its transformer blocks
    attention: str | None = None  # name of a block's attention child (with q/k/v or fused qkv and out projections)
    mlp: str | None = None  # name of a block's MLP child
    norms: tuple[str, str] | None = None  # names of a block's pre-attention and pre-MLP norms
    image_token_id: int | None = None  # the language model's image placeholder token
    tokens_per_image: int | None = None  # placeholder tokens per image row the tower encodes

    def __post_init__(self) -> None:
        for name in ("tower", "blocks", "attention", "mlp"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise VisionSpecError(f"VisionSpec.{name}: expected a non-empty module name, got {value!r}")
        if self.norms is not None:
            if len(self.norms) != 2 or not all(isinstance(n, str) and n for n in self.norms):
                raise VisionSpecError(f"VisionSpec.norms: expected two module names, got {self.norms!r}")
            object.__setattr__(self, "norms", tuple(self.norms))
        for name in ("image_token_id", "tokens_per_image"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise VisionSpecError(f"VisionSpec.{name}: expected a non-negative integer, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VisionSpec:
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise VisionSpecError(f"VisionSpec: unknown field(s) {unknown}; fields: {[f.name for f in fields(cls)]}")
        if isinstance(data.get("norms"), list):
            data = {**data, "norms": tuple(data["norms"])}
        return cls(**data)


SPECS: dict[str, VisionSpec] = {}


def register_vision_spec(model_type: str, spec: VisionSpec) -> None:
    """Use `spec` for every model whose ``config.model_type`` is `model_type` (overrides discovery)."""
    SPECS[model_type] = spec


def spec_for(model_type: str) -> VisionSpec:
    """The registered spec of `model_type`, or an empty one (discover everything)."""
    return SPECS.get(model_type, VisionSpec())


def read_vision_spec(path: str | Path) -> VisionSpec:
    """A `VisionSpec` from a JSON object file, e.g. ``{"blocks": "encoder.layers", "norms": ["ln1", "ln2"]}``."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise VisionSpecError(f"{path}: not a readable JSON VisionSpec ({err})") from err
    if not isinstance(data, dict):
        raise VisionSpecError(f"{path}: expected a JSON object of VisionSpec fields, got {type(data).__name__}")
    return VisionSpec.from_dict(data)
