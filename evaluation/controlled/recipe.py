"""The tiny-model recipe: train a CPU-sized VLM that actually learns what changed between two images.

Two stages, both plain `sve train` runs through `sve_core.trainer.train`:

1. **pretrain** a stateless tiny VLM on single-image descriptions of the domain (its encoder learns to see the
   objects, its language model learns the vocabulary);
2. **finetune** that checkpoint on the two-image change task with an SVE variant injected into its now
   meaningful encoder (the paper's setting: SVE is cloned from a pretrained block, REFERENCE §1), the new
   weights on a larger learning rate.

`Recipe` holds everything except the data; `configs/recipes/*.yaml` are recipes, and docs/RECIPE.md the
measurements that chose their values. Every stage section accepts any `TrainConfig` field except the ones the
recipe sets itself (model, data, eval_data, output_dir, sve, seed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
import yaml
from transformers import TrainerCallback

from sve_core.config import SVEConfig
from sve_core.tiny import TinySpec
from sve_core.train_config import TrainConfig, TrainConfigError, load_train_config

RESERVED = ("model", "data", "eval_data", "output_dir", "sve", "seed", "tiny")
STAGE_DONE = "config.json"  # written last by the trainer's final save


class RecipeError(ValueError):
    """A recipe file or value we cannot use; names the file and the field."""


@dataclass
class Recipe:
    family: str = field(default="qwen2_vl", metadata={"help": "tiny family to build (sve_core.tiny.FAMILIES)"})
    base_model: str | None = field(default=None, metadata={
        "help": "a pretrained VLM (hub id or folder) to start from instead of a tiny model built from `tiny`; "
                "its own tokenizer is kept (configs/recipes/controlled_qwen3_vl_4b.yaml)"})
    tiny: TinySpec = field(default_factory=lambda: TinySpec(
        vision_depth=4, vision_width=128, vision_heads=4, text_layers=4, text_width=128, text_heads=4,
        vocab_size=600, image_size=56), metadata={"help": "sizes of the tiny model"})
    pretrain: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "TrainConfig fields of stage 1 (stateless single-image pretraining); max_steps: 0 skips it"})
    finetune: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "TrainConfig fields of stage 2 (SVE finetuning on the change task)"})
    sve: SVEConfig = field(default_factory=SVEConfig, metadata={"help": "variant injected in stage 2"})
    threads: int = field(default=1, metadata={
        "help": "torch CPU threads; 1 is fastest on a shared machine (thread sync stalls when cores are busy)"})

    def __post_init__(self) -> None:
        for name in ("pretrain", "finetune"):
            section = getattr(self, name)
            reserved = sorted(set(section) & set(RESERVED))
            if reserved:
                raise RecipeError(f"field '{name}': {reserved} are set by the recipe itself; remove them")
            if name == "finetune" or self.pretrain_steps != 0:
                self.stage_config(name, data="x.jsonl", output_dir="x")  # validates the section now

    def stage_config(self, name: str, *, data: str, output_dir: str, model: str | None = None,
                     eval_data: str | None = None, variant: str = "stateless", seed: int = 0) -> TrainConfig:
        fixed = {"model": model or self.base_model or f"tiny:{self.family}", "data": data, "eval_data": eval_data,
                 "output_dir": output_dir, "tiny": vars(self.tiny).copy(), "seed": seed,
                 "sve": {**self.sve.to_dict(), "variant": variant}}
        try:
            return load_train_config(None, {**getattr(self, name), **fixed})
        except TrainConfigError as error:
            raise RecipeError(f"field '{name}': {error.__cause__ or error}") from error

    @property
    def pretrain_steps(self) -> int:
        return int(self.pretrain.get("max_steps", -1))


def load_recipe(path: str | Path, *, stage_overrides: dict[str, dict[str, Any]] | None = None,
                image_size: int | None = None) -> Recipe:
    """A `Recipe` from YAML (`tiny` and `sve` as mappings); `stage_overrides` replace stage fields (None values
    are ignored, so CLI flags that were not given change nothing) and `image_size` the tiny model's."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RecipeError(f"{path}: cannot read the recipe ({error})") from error
    known = {f.name for f in fields(Recipe)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise RecipeError(f"{path}: unknown field(s) {unknown}; expected some of {sorted(known)}")
    for stage, values in (stage_overrides or {}).items():
        data[stage] = {**data.get(stage, {}), **{k: v for k, v in values.items() if v is not None}}
    if image_size is not None:
        data["tiny"] = {**data.get("tiny", {}), "image_size": image_size}
    try:
        tiny = data.pop("tiny", None)
        sve = data.pop("sve", None)
        return Recipe(**data, **({"tiny": TinySpec(**tiny)} if tiny else {}),
                      **({"sve": SVEConfig.from_dict(sve)} if sve else {}))
    except (TypeError, ValueError) as error:
        raise RecipeError(f"{path}: {error}") from error


def _split(data_dir: Path, split: str) -> str | None:
    path = data_dir / f"{split}.jsonl"
    return str(path) if path.is_file() else None


def initial_model(recipe: Recipe, text_files: Sequence[str | Path], out_dir: str | Path, *, seed: int = 0) -> Path:
    """A fresh tiny model saved to `out_dir`, its tokenizer trained on the text of every JSONL in `text_files`.

    Stage 1 would otherwise learn a tokenizer from its own data only, and stage 2's words (the change verbs, the
    dot task's numbers) would arrive as byte fragments the pretrained language model has never produced."""
    from sve_core.data import load_datasets, texts
    from sve_core.tiny import tiny_vlm

    out_dir = Path(out_dir)
    if not (out_dir / STAGE_DONE).is_file():
        samples = [s for loaded in load_datasets(*text_files) for s in loaded]
        model, processor = tiny_vlm(recipe.family, dataclasses.replace(recipe.tiny, seed=seed), corpus=texts(samples))
        processor.save_pretrained(str(out_dir))
        model.save_pretrained(str(out_dir))
    return out_dir


def pretrain(recipe: Recipe, data_dir: str | Path, out_dir: str | Path, *, vocabulary: Sequence[str | Path] = (),
             seed: int = 0, callbacks: Sequence[TrainerCallback] = ()) -> Path:
    """Stage 1: a stateless tiny VLM trained on `data_dir` (reused when `out_dir` already holds one).

    `vocabulary`: further JSONL files (stage 2's) whose words the tokenizer must know. The checkpoint is stateless,
    which the trainer treats as a base model to inject any variant into."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    if (out_dir / STAGE_DONE).is_file():
        return out_dir
    torch.set_num_threads(recipe.threads)
    from sve_core.trainer import train

    train_file = data_dir / "train.jsonl"
    init = recipe.base_model or initial_model(recipe, [train_file, *vocabulary],
                                              out_dir.with_name(out_dir.name + "-init"), seed=seed)
    config = recipe.stage_config("pretrain", data=str(train_file), eval_data=_split(data_dir, "val"),
                                 output_dir=str(out_dir), model=str(init), seed=seed)
    train(config, callbacks)
    return out_dir


def finetune(recipe: Recipe, base: str | Path | None, data_dir: str | Path, out_dir: str | Path, *,
             variant: str | None = None, seed: int = 0, callbacks: Sequence[TrainerCallback] = ()):
    """Stage 2: inject `variant` (default: the recipe's) into `base` (None: a fresh tiny model) and finetune."""
    torch.set_num_threads(recipe.threads)
    from sve_core.trainer import train

    data_dir = Path(data_dir)
    config = recipe.stage_config("finetune", data=str(data_dir / "train.jsonl"), eval_data=_split(data_dir, "val"),
                                 output_dir=str(out_dir), model=str(base) if base else None,
                                 variant=variant or recipe.sve.variant, seed=seed)
    return train(config, callbacks)


def train_two_stage(recipe: Recipe, pretrain_data: str | Path, finetune_data: str | Path, out_dir: str | Path, *,
                    variant: str | None = None, seed: int = 0, callbacks: Sequence[TrainerCallback] = ()):
    """Both stages into `out_dir/pretrain` and `out_dir/<variant>`; returns stage 2's `TrainResult`."""
    out_dir = Path(out_dir)
    finetune_train = Path(finetune_data) / "train.jsonl"
    base = (pretrain(recipe, pretrain_data, out_dir / "pretrain", vocabulary=[finetune_train], seed=seed)
            if recipe.pretrain_steps != 0 else None)
    return finetune(recipe, base, finetune_data, out_dir / (variant or recipe.sve.variant), variant=variant,
                    seed=seed, callbacks=callbacks)
