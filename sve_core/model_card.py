"""Model cards (``README.md``) for SVE adapters and stateful models: what a reader of a Hub page needs to trust
and use it: the base model (id and revision), the SVE variant and where it sits, the data it was trained on,
its metrics where given, and the code that loads it. Metadata goes in the card's YAML header through
huggingface_hub's `ModelCardData`, so the Hub links the base model and lists the adapter under it.

    python -m sve_core.model_card apps/cxr/demo_model   # (re)write the card of a saved model or adapter folder

The demo models' cards were written with ``--metrics-source`` naming the README table and docs/demo_models/.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from huggingface_hub import ModelCard, ModelCardData

CARD = "README.md"


@dataclass
class CardInfo:
    """What a card states; `kind` says whether the folder holds only the SVE weights or a whole model."""

    kind: str  # "adapter" (sve_adapter.safetensors on a base model) or "model" (a full stateful checkpoint)
    family: str
    sve: dict[str, Any]
    base_model: str | None = None
    revision: str | None = None
    location: str | None = None  # the repo id or folder the card's load code names
    data: str | None = None  # what it was trained on
    metrics: dict[str, float] = field(default_factory=dict)
    targeted: int | None = None  # number of stateful vision blocks
    metrics_source: str | None = None  # where measured numbers are reported, when not on the card itself


def _placement(info: CardInfo) -> str:
    layers = info.sve.get("layers")
    where = "every vision block" if layers is None else f"vision blocks {', '.join(map(str, layers))}"
    count = f" ({info.targeted} blocks)" if info.targeted else ""
    return f"{where}{count}; stop-gradient to the previous image: {info.sve.get('stop_gradient', True)}"


def _load_code(info: CardInfo, location: str) -> str:
    if info.kind == "model":
        return (f'from sve_core.checkpoint import from_pretrained\n\n'
                f'model, processor = from_pretrained("{location}")  # re-attaches the SVE weights')
    revision = f', revision="{info.revision}"' if info.revision else ""
    base = info.base_model or "<the base model>"
    return ("from transformers import AutoModelForImageTextToText, AutoProcessor\n"
            "from sve_core.checkpoint import load_stateful\n\n"
            f'base = AutoModelForImageTextToText.from_pretrained("{base}"{revision})\n'
            f'processor = AutoProcessor.from_pretrained("{base}"{revision})\n'
            f'model = load_stateful(base, "{location}")  # refuses a different base model')


def render(info: CardInfo) -> str:
    data = ModelCardData(base_model=info.base_model if info.base_model and "/" in info.base_model else None,
                         library_name="sve", tags=["sve", "stateful-visual-encoder", info.family, info.sve["variant"]],
                         pipeline_tag="image-text-to-text")
    what = "an SVE adapter (only the added weights)" if info.kind == "adapter" else "a stateful VLM (all weights)"
    base = info.base_model or "not recorded"
    rows = [("base model", f"`{base}`" + (f" at revision `{info.revision}`" if info.revision else "")),
            ("family", f"`{info.family}`"), ("SVE variant", f"`{info.sve['variant']}`"),
            ("placement", _placement(info)), ("trained on", info.data or "not recorded")]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    metrics = "\n".join(f"| {k} | {v:.4g} |" for k, v in info.metrics.items())
    metrics = (f"| metric | value |\n|---|---:|\n{metrics}" if metrics else
               f"Measured numbers: {info.metrics_source}." if info.metrics_source else
               "No metrics were given when it was saved.")
    location = info.location or "path/to/this/folder"
    body = (f"# SVE: {info.sve['variant']} on {base}\n\n"
            f"This is {what} of the Stateful Visual Encoder suite: the vision tower of `{base}` encodes each image "
            "while reading the previous image of the same conversation, so the model can describe what changed.\n\n"
            f"| | |\n|---|---|\n{table}\n\n## Metrics\n\n{metrics}\n\n## Load it\n\n"
            f"```python\n{_load_code(info, location)}\n```\n")
    return f"---\n{data.to_yaml()}\n---\n\n{body}"


def write(directory: str | Path, info: CardInfo) -> Path:
    path = Path(directory) / CARD
    ModelCard(render(info)).save(path)
    return path


def adapter_info(meta: dict[str, Any], *, location: str | None = None) -> CardInfo:
    """Card facts of an adapter from its ``sve_config.json`` content."""
    return CardInfo("adapter", meta.get("family") or "unknown", meta["sve"], meta.get("base_model"),
                    meta.get("revision"), location=location, data=meta.get("data"), metrics=meta.get("metrics") or {},
                    targeted=len(meta.get("targeted_module_names") or []) or None)


def info_from_folder(directory: str | Path) -> CardInfo:
    """Card facts of a saved folder: an adapter (``sve_config.json``) or a full stateful model (``config.json``
    with ``sve``; its ``train_config.yaml``, where present, says what it was trained on)."""
    directory = Path(directory)
    if (directory / "sve_config.json").is_file():
        return adapter_info(json.loads((directory / "sve_config.json").read_text()))
    config_path = directory / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    if not config.get("sve"):
        raise ValueError(f"{directory}: neither sve_config.json nor a config.json with an 'sve' entry")
    train_path = directory / "train_config.yaml"
    train = yaml.safe_load(train_path.read_text()) if train_path.is_file() else {}
    base = config.get("_name_or_path") or None
    if not base and config.get("tiny_spec"):
        spec = ", ".join(f"{k}={v}" for k, v in sorted(config["tiny_spec"].items()))
        base = f"tiny:{config['model_type']} ({spec})"
    data = train.get("data")
    if data and train.get("model"):
        data = f"{data} (finetuned from {train['model']})"
    return CardInfo("model", config["model_type"], config["sve"], base, data=data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sve_core.model_card", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="a saved SVE adapter folder or stateful model folder")
    parser.add_argument("--data", help="what it was trained on (default: as recorded in the folder)")
    parser.add_argument("--metrics", help="JSON file of {metric name: value} to list on the card")
    parser.add_argument("--metrics-source", help="where the measured numbers are reported (instead of --metrics)")
    args = parser.parse_args(argv)
    info = info_from_folder(args.folder)
    info.data = args.data or info.data
    info.metrics.update(json.loads(Path(args.metrics).read_text()) if args.metrics else {})
    info.metrics_source = args.metrics_source
    info.location = args.folder
    print(write(args.folder, info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
