"""`SVEConfig`: which stateful variant to inject, where, and how it is initialised (REFERENCE §1)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal, get_args

Variant = Literal["stateless", "cross_ffn", "cross", "self_ext", "adaln_zero", "self_ffn"]
VARIANTS: tuple[str, ...] = get_args(Variant)

# Variants whose added output projections start at zero, so the injected model is an exact no-op at init.
ZERO_INIT_VARIANTS: frozenset[str] = frozenset({"stateless", "cross_ffn", "cross", "adaln_zero", "self_ffn"})
# Variants that read the previous image (self_ffn is the capacity-matched control that cannot).
STATEFUL_VARIANTS: frozenset[str] = frozenset({"cross_ffn", "cross", "self_ext", "adaln_zero"})


class SVEConfigError(ValueError):
    """A field of `SVEConfig` (or of an `sve_config.json`) holds a value we cannot use."""


@dataclass
class SVEConfig:
    variant: Variant = field(
        default="cross_ffn",
        metadata={"help": "cross_ffn (the paper's winner), cross, self_ext, adaln_zero, self_ffn (control), stateless"},
    )
    init_std: float = field(
        default=0.0,
        metadata={"help": "std of the output projections' init: 0.0 = exact zero-init (controlled tasks), "
                  "1e-4 = the real-world recipe"},
    )
    layers: list[int] | None = field(
        default=None, metadata={"help": "vision layer indices to make stateful; None = every layer"}
    )
    stop_gradient: bool = field(
        default=True, metadata={"help": "detach the previous image's hidden states before the KV norm"}
    )

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise SVEConfigError(f"SVEConfig.variant={self.variant!r} is not one of {', '.join(VARIANTS)}")
        if not isinstance(self.init_std, (int, float)) or self.init_std < 0 or self.init_std > 0.1:
            raise SVEConfigError(f"SVEConfig.init_std={self.init_std!r}: expected a float in [0, 0.1] "
                                 "(0.0 = exact zero-init, 1e-4 = the real-world recipe)")
        self.init_std = float(self.init_std)
        if self.layers is not None:
            if not all(isinstance(i, int) for i in self.layers) or len(set(self.layers)) != len(self.layers):
                raise SVEConfigError(f"SVEConfig.layers={self.layers!r}: expected distinct integer layer indices")
            self.layers = sorted(self.layers)
        if not isinstance(self.stop_gradient, bool):
            raise SVEConfigError(f"SVEConfig.stop_gradient={self.stop_gradient!r}: expected true or false")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SVEConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SVEConfigError(f"unknown SVEConfig field(s) {unknown}; expected some of {sorted(known)}")
        return cls(**data)
