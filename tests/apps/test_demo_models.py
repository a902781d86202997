"""The shipped demo models were made by the configs that document them (configs/demo/, docs/RECIPE.md)."""

from dataclasses import asdict
from pathlib import Path

import pytest

from sve_core.train_config import load_train_config

ROOT = Path(__file__).resolve().parents[2]
RUN_FIELDS = ("sve", "tiny", "trainable", "learning_rate", "sve_lr", "batch_size", "max_steps", "seed")


@pytest.mark.parametrize(
    ("app", "config"), [("cxr", "cxr"), ("rs_change", "rs_change_real_2e"), ("image_diff", "image_diff_noedit")]
)
def test_shipped_demo_model_matches_its_config(app: str, config: str) -> None:
    """`config`: the last stage's, the run that wrote the shipped weights."""
    shipped = ROOT / "apps" / app / "demo_model" / "train_config.yaml"
    if not shipped.is_file():
        pytest.skip(f"{shipped.parent} not trained into this checkout")
    documented, used = asdict(load_train_config(ROOT / "configs" / "demo" / f"{config}.yaml")), asdict(
        load_train_config(shipped)
    )
    assert {k: documented[k] for k in RUN_FIELDS} == {k: used[k] for k in RUN_FIELDS}
    assert used["sve"]["variant"] == "cross_ffn"
