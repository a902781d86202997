"""What every app predictor shares: loading the user's model or the app's embedded demo model, and the
facts a UI needs about it (name, demo or not, whether it has heatmaps)."""

from __future__ import annotations

from pathlib import Path

from sve_core.inference import Describer, load_describer

DEMO_RECIPE = "make it with `bash scripts/train_demo_models.sh`"


class DemoModelMissingError(ValueError):
    """No `--model` was given and the embedded demo model has not been trained into this checkout yet."""


def load_app_describer(model: str | None, demo_dir: Path, *, max_new_tokens: int) -> Describer:
    """`model` (hub id, local folder, ``tiny:<family>``), or the embedded demo model in `demo_dir` when None."""
    if model is None and not demo_dir.is_dir():
        raise DemoModelMissingError(
            f"{demo_dir}: the embedded demo model is not there; {DEMO_RECIPE}, or pass --model "
            "(a hub id, a local model folder, or tiny:qwen2_vl for an untrained test model)"
        )
    return load_describer(model, default=demo_dir, max_new_tokens=max_new_tokens)


class RunStopped(Exception):
    """A long run was asked to stop between batches (its `stop` callback said so); nothing is returned."""


def display_name(model: str, demo: bool) -> str:
    """How a model is named to users: "demo model" for the embedded one, a local folder by its base name (where
    the server keeps its models is not the user's business), a hub id or ``tiny:<family>`` as it is."""
    if demo:
        return "demo model"
    path = Path(model)
    return path.name if path.is_absolute() or path.exists() else model


class DescriberBacked:
    """Mixin for predictors holding one `Describer` shared by every request (it serialises generation)."""

    describer: Describer

    @property
    def name(self) -> str:
        return self.describer.name

    @property
    def demo(self) -> bool:
        return self.describer.demo

    @property
    def has_heatmaps(self) -> bool:
        """Only stateful models have the cross-attention that heatmaps are read from."""
        return self.describer.stateful
