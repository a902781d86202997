"""`TrainConfig`: everything one `sve train` run needs, typed, read from YAML, overridable from the CLI.

A typo in a YAML key or a string where a number belongs must stop the run before a model is built, with a
message naming the file and the field, so every field is checked against its type annotation (nested sections
included) and unknown keys are rejected with the closest known name. `resolved_yaml` writes the final values
back (into the output folder) so a run can be repeated from its own record.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from sve_core.config import SVEConfig, SVEConfigError
from sve_core.tiny import TinySpec

Trainable = Literal["full", "vision", "sve", "lora"]
Precision = Literal["auto", "bf16", "fp32"]
Scheduler = Literal["cosine", "linear", "constant_with_warmup"]


class TrainConfigError(ValueError):
    """A training-config field holds a value we cannot use; the message names the source and the field."""

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields  # dotted names of the offending fields, to tell file from command line


@dataclass
class LoraSettings:
    r: int = field(default=16, metadata={"help": "LoRA rank"})
    alpha: int = field(default=32, metadata={"help": "LoRA scaling numerator (scale = alpha / r)"})
    dropout: float = field(default=0.05, metadata={"help": "dropout on the LoRA branch"})


@dataclass
class TrainConfig:
    model: str = field(default="tiny:qwen2_vl", metadata={
        "help": "hub id, local folder, or tiny:<family> (a tiny random model whose tokenizer learns the data's words)"})
    data: str = field(default="", metadata={"help": "training JSONL (ShareGPT-style, see sve_core/data.py)"})
    eval_data: str | None = field(default=None, metadata={"help": "held-out JSONL for loss and perplexity"})
    output_dir: str = field(default="runs/sve", metadata={"help": "checkpoints, logs and the final model"})
    sve: SVEConfig = field(default_factory=SVEConfig, metadata={"help": "the SVE variant to inject"})
    tiny: TinySpec = field(default_factory=TinySpec, metadata={"help": "sizes of a tiny:<family> model"})
    trainable: Trainable = field(default="full", metadata={
        "help": "full | vision (vision tower + SVE) | sve (SVE only) | lora (LoRA on the LLM + SVE)"})
    lora: LoraSettings = field(default_factory=LoraSettings, metadata={"help": "LoRA settings (trainable: lora)"})
    supervise: Literal["final", "all"] = field(default="final", metadata={
        "help": "final: only the last answer is learned (history masked); all: every assistant turn"})
    learning_rate: float = field(default=1.5e-5, metadata={"help": "peak learning rate (paper: 1.5e-5)"})
    sve_lr: float | None = field(default=None, metadata={
        "help": "peak learning rate of the new SVE weights; null = learning_rate"})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay (not on biases and norms)"})
    warmup_ratio: float = field(default=0.1, metadata={"help": "fraction of steps with linear warmup"})
    lr_scheduler: Scheduler = field(default="cosine", metadata={"help": "learning-rate schedule after warmup"})
    batch_size: int = field(default=1, metadata={"help": "samples per device per forward"})
    eval_batch_size: int | None = field(default=None, metadata={"help": "eval samples per device; null = batch_size"})
    grad_accum: int = field(default=1, metadata={"help": "micro-batches per optimizer step"})
    epochs: float = field(default=1.0, metadata={"help": "passes over the data (ignored when max_steps > 0)"})
    max_steps: int = field(default=-1, metadata={"help": "optimizer steps; -1 = from epochs"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping; 0 = off"})
    precision: Precision = field(default="auto", metadata={
        "help": "auto = bf16 mixed precision on GPUs that support it, fp32 otherwise"})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "recompute activations to save memory"})
    seed: int = field(default=0, metadata={"help": "seed of the SVE init, data order and dropout"})
    save_steps: int = field(default=500, metadata={"help": "write a resumable checkpoint every N steps"})
    save_total_limit: int | None = field(default=3, metadata={"help": "keep the newest N checkpoints; null = all"})
    eval_steps: int = field(default=500, metadata={"help": "evaluate on eval_data every N steps"})
    log_steps: int = field(default=10, metadata={"help": "log the training loss every N steps"})
    num_workers: int = field(default=0, metadata={"help": "data-loader worker processes"})
    skip_bad_records: bool = field(default=False, metadata={
        "help": "leave out records that fail validation (listed on stderr) instead of stopping before step 1"})
    resume: bool | str = field(default=False, metadata={
        "help": "true = continue from the newest checkpoint in output_dir; or a checkpoint folder"})

    def __post_init__(self) -> None:
        checks = {
            "data": (bool(self.data), "a training JSONL path"),
            "learning_rate": (self.learning_rate > 0, "a positive number"),
            "sve_lr": (self.sve_lr is None or self.sve_lr > 0, "a positive number or null"),
            "weight_decay": (self.weight_decay >= 0, "a number >= 0"),
            "warmup_ratio": (0 <= self.warmup_ratio < 1, "a number in [0, 1)"),
            "batch_size": (self.batch_size >= 1, "an integer >= 1"),
            "eval_batch_size": (self.eval_batch_size is None or self.eval_batch_size >= 1, "an integer >= 1"),
            "grad_accum": (self.grad_accum >= 1, "an integer >= 1"),
            "epochs": (self.epochs > 0, "a positive number"),
            "max_steps": (self.max_steps == -1 or self.max_steps >= 1, "-1 or an integer >= 1"),
            "max_grad_norm": (self.max_grad_norm >= 0, "a number >= 0"),
            "save_steps": (self.save_steps >= 1, "an integer >= 1"),
            "save_total_limit": (self.save_total_limit is None or self.save_total_limit >= 1, "an integer >= 1"),
            "eval_steps": (self.eval_steps >= 1, "an integer >= 1"),
            "log_steps": (self.log_steps >= 1, "an integer >= 1"),
            "num_workers": (self.num_workers >= 0, "an integer >= 0"),
            "lora.r": (self.lora.r >= 1, "an integer >= 1"),
        }
        bad = [name for name, (ok, _) in checks.items() if not ok]
        if bad:
            raise TrainConfigError("; ".join(f"field '{name}': expected {checks[name][1]}, got {self._get(name)!r}"
                                             for name in bad), tuple(bad))

    def _get(self, dotted: str) -> Any:
        value: Any = self
        for part in dotted.split("."):
            value = getattr(value, part)
        return value

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def resolved_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def load_train_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """`TrainConfig` from a YAML file (or defaults) with dotted-key `overrides` (``{"sve.variant": "cross"}``)
    applied on top. Raises `TrainConfigError` naming the file (or "command line") and the field."""
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            loaded = yaml.safe_load(Path(path).read_text())
        except FileNotFoundError as error:
            raise TrainConfigError(f"{path}: config file not found") from error
        except yaml.YAMLError as error:
            raise TrainConfigError(f"{path}: invalid YAML ({error})") from error
        if loaded is not None and not isinstance(loaded, dict):
            raise TrainConfigError(f"{path}: expected a mapping of fields, got {type(loaded).__name__}")
        data = loaded or {}
    for dotted, value in (overrides or {}).items():
        *parents, leaf = dotted.split(".")
        section = data
        for parent in parents:
            section = section.setdefault(parent, {})
            if not isinstance(section, dict):
                raise TrainConfigError(f"{source}: field '{parent}': expected a mapping, got {section!r}")
        section[leaf] = value
    try:
        return _build(TrainConfig, data, prefix="")
    except TrainConfigError as error:
        from_flags = bool(error.fields) and all(name in (overrides or {}) for name in error.fields)
        raise TrainConfigError(f"{'command line' if from_flags else source}: {error}", error.fields) from error


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise TrainConfigError(f"field '{prefix.rstrip('.')}': expected a mapping, got {data!r}",
                               (prefix.rstrip("."),))
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    for name in data:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; known fields: {', '.join(known)}"
            raise TrainConfigError(f"unknown field '{prefix}{name}'{hint}", (f"{prefix}{name}",))
    values = {name: _coerce(value, hints[name], f"{prefix}{name}") for name, value in data.items()}
    if cls is SVEConfig:
        try:
            return SVEConfig(**values)
        except SVEConfigError as error:
            section = prefix.rstrip(".")
            raise TrainConfigError(f"section '{section}': {error}", (section,)) from error
    return cls(**values)


def _coerce(value: Any, annotation: Any, name: str) -> Any:
    """`value` checked against (and, for int -> float, converted to) `annotation`."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if dataclasses.is_dataclass(annotation):
        return _build(annotation, value, prefix=f"{name}.")
    if origin is Literal:
        if value in args:
            return value
        raise TrainConfigError(f"field '{name}': expected one of {', '.join(map(str, args))}, got {value!r}",
                               (name,))
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, option, name)
            except TrainConfigError as error:
                errors.append(error)
        if len(errors) == 1:
            raise errors[0]
        raise TrainConfigError(f"field '{name}': expected {annotation}, got {value!r}", (name,))
    if origin is list:
        if not isinstance(value, list):
            raise TrainConfigError(f"field '{name}': expected a list, got {value!r}", (name,))
        return [_coerce(item, args[0], f"{name}[{i}]") for i, item in enumerate(value)]
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is float and isinstance(value, str):  # YAML reads 1e-5 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, annotation) and not (annotation is int and isinstance(value, bool)):
        return value
    raise TrainConfigError(f"field '{name}': expected {annotation.__name__}, got {value!r}", (name,))
