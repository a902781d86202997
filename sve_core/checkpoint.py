"""Saving and loading stateful models.

- `save_stateful` writes only the SVE weights (``sve_adapter.safetensors``), ``sve_config.json`` (variant,
  init, family, base model id, revision and weight signature) and a model card, optionally pushed to a Hub repo;
  `load_stateful` puts them back on a base model from a folder or a Hub repo id, refusing another base.
- A fully finetuned model saves with transformers' own ``save_pretrained``: host weights keep their usual names
  and ``config.json`` carries the SVE config under ``sve``. `from_pretrained` reloads it (or an adapter folder,
  or a hub id) through `AutoModelForImageTextToText` / `AutoProcessor`, the very code path a hub id takes, and
  re-attaches the SVE weights.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoModelForImageTextToText, AutoProcessor, PreTrainedModel, ProcessorMixin
from transformers.utils import logging as hf_logging

from sve_core import hub, model_card
from sve_core.base_signature import base_signature, same_base
from sve_core.config import SVEConfig
from sve_core.inject import make_stateful, remove_stateful

ADAPTER_WEIGHTS = "sve_adapter.safetensors"
ADAPTER_CONFIG = "sve_config.json"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint folder is missing files or does not match the model it is loaded into."""


def sve_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items() if ".sve." in name}


def save_stateful(model: nn.Module, directory: str | Path, *, base_model: str | None = None,
                  revision: str | None = None, push_to_hub: str | None = None, private: bool | None = None,
                  data: str | None = None, metrics: dict[str, float] | None = None) -> Path:
    """Write the SVE weights, config and model card only (no base weights); with `push_to_hub` (a repo id),
    upload them to that Hub repo too. `data` and `metrics` go on the card."""
    handle = getattr(model, "sve", None)
    if handle is None:
        raise CheckpointError("save_stateful: this model has no SVE; call make_stateful(model, config) first")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    save_file(sve_state_dict(model), str(directory / ADAPTER_WEIGHTS), metadata={"format": "pt"})
    meta = {
        "format_version": FORMAT_VERSION,
        "sve": handle.config.to_dict(),
        "family": handle.family,
        "base_model": base_model or getattr(model.config, "_name_or_path", "") or None,
        "revision": revision,
        "targeted_module_names": handle.targeted_module_names,
        "base_signature": base_signature(model),
        "data": data,
        "metrics": dict(metrics or {}),
    }
    (directory / ADAPTER_CONFIG).write_text(json.dumps(meta, indent=2))
    model_card.write(directory, model_card.adapter_info(meta, location=push_to_hub))
    if push_to_hub:
        hub.push(directory, push_to_hub, [ADAPTER_WEIGHTS, ADAPTER_CONFIG, model_card.CARD], private=private)
    return directory


def read_adapter_config(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / ADAPTER_CONFIG
    if not path.is_file():
        raise CheckpointError(f"{path} not found: not an SVE adapter folder (expected {ADAPTER_CONFIG} and "
                              f"{ADAPTER_WEIGHTS})")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: invalid JSON ({err})") from err
    if "sve" not in meta:
        raise CheckpointError(f"{path}: missing field 'sve' (the SVEConfig)")
    return meta


def _load_sve_weights(model: nn.Module, tensors: dict[str, torch.Tensor], source: str) -> None:
    expected = set(sve_state_dict(model))
    tensors = {_model_key(key, expected): value for key, value in tensors.items()}
    missing, unexpected = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
    if missing or unexpected:
        raise CheckpointError(f"{source}: SVE weights do not match the model (missing {missing[:3]}..., "
                              f"unexpected {unexpected[:3]}...); was it saved from the same family and variant?")
    model.load_state_dict(tensors, strict=False)


def _model_key(saved: str, expected: set[str]) -> str:
    """transformers may save under a converted prefix (e.g. ``visual.`` for ``model.visual.``)."""
    if saved in expected:
        return saved
    matches = [key for key in expected if key.endswith("." + saved)]
    return matches[0] if len(matches) == 1 else saved


def load_stateful(base_model: nn.Module, source: str | Path, *, revision: str | None = None) -> nn.Module:
    """Inject SVE into `base_model` as recorded in `source` (an adapter folder, or a Hub repo id at `revision`)
    and load the saved SVE weights. Refuses a base model other than the one the adapter was trained on."""
    directory = Path(source)
    if isinstance(source, str) and hub.is_repo_id(source):
        directory = hub.download(source, [ADAPTER_WEIGHTS, ADAPTER_CONFIG, model_card.CARD], revision=revision)
    meta = read_adapter_config(directory)
    family = base_model.config.model_type
    trained_on = f"{meta.get('base_model') or 'an unrecorded base'} (revision {meta.get('revision') or 'main'})"
    if meta.get("family") and meta["family"] != family:
        raise CheckpointError(f"{source}: adapter was trained on family {meta['family']!r} ({trained_on}), "
                              f"but the base model is {family!r}")
    weights = directory / ADAPTER_WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"{weights} not found")
    make_stateful(base_model, SVEConfig.from_dict(meta["sve"]))
    if meta.get("base_signature") and not same_base(meta["base_signature"], base_model):
        remove_stateful(base_model)
        name = getattr(base_model.config, "_name_or_path", "") or type(base_model).__name__
        raise CheckpointError(f"{source}: adapter was trained on {trained_on}, but the vision weights of {name} "
                              "differ from that base; load the base model it names")
    _load_sve_weights(base_model, load_file(str(weights)), str(weights))
    return base_model


def _checkpoint_sve_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """SVE tensors stored inside a full ``save_pretrained`` checkpoint (single file or shards)."""
    tensors: dict[str, torch.Tensor] = {}
    for file in sorted(directory.glob("*.safetensors")):
        with safe_open(str(file), framework="pt") as reader:
            for key in reader.keys():  # noqa: SIM118 - safe_open is not iterable
                if ".sve." in key:
                    tensors[key] = reader.get_tensor(key)
    return tensors


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(previous)


def from_pretrained(name_or_path: str, **kwargs: Any) -> tuple[PreTrainedModel, ProcessorMixin]:
    """(model, processor) from a hub id, a local folder (full model or SVE adapter), or ``tiny:<family>``."""
    if name_or_path.startswith("tiny:"):
        from sve_core.tiny import tiny_vlm

        return tiny_vlm(name_or_path.removeprefix("tiny:"))
    path = Path(name_or_path)
    if (path / ADAPTER_CONFIG).is_file() and not (path / "config.json").is_file():
        meta = read_adapter_config(path)
        if not meta.get("base_model"):
            raise CheckpointError(f"{path / ADAPTER_CONFIG}: no base_model recorded; load the base model "
                                  "yourself and call load_stateful(base_model, folder)")
        model, processor = from_pretrained(meta["base_model"], revision=meta.get("revision"), **kwargs)
        return load_stateful(model, path), processor
    if (name_or_path.startswith((".", "/", "~")) or path.exists()) and not (path / "config.json").is_file():
        raise CheckpointError(f"{name_or_path}: not a model folder (expected config.json, or {ADAPTER_CONFIG} "
                              "for an SVE adapter)")
    try:
        with _quiet_transformers():  # the SVE keys are "unexpected" to the stock class; we load them below
            model = AutoModelForImageTextToText.from_pretrained(name_or_path, **kwargs)
        processor = AutoProcessor.from_pretrained(name_or_path, revision=kwargs.get("revision"))
    except OSError as err:
        raise CheckpointError(f"{name_or_path}: could not load the model or its processor ({err})") from err
    sve = getattr(model.config, "sve", None)
    if sve:
        make_stateful(model, SVEConfig.from_dict(dict(sve)))
        if path.is_dir():
            _load_sve_weights(model, _checkpoint_sve_tensors(path), str(path))
        else:
            raise CheckpointError(f"{name_or_path}: stateful checkpoints from a hub id must be downloaded first "
                                  "(huggingface_hub.snapshot_download) so their SVE weights can be read")
    return model.eval(), processor
