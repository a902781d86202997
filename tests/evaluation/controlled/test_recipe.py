"""The two-stage tiny-model recipe: validation with named fields, and a real (tiny, few-step) two-stage run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.controlled.export import write_dataset
from evaluation.controlled.multi_change import MultiChangeTask
from evaluation.controlled.recipe import Recipe, RecipeError, load_recipe, train_two_stage
from sve_core.tiny import TinySpec

RECIPES = sorted(Path("configs/recipes").glob("*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_shipped_recipes_load(path):
    recipe = load_recipe(path)
    assert recipe.finetune["max_steps"] > 0 and recipe.sve.variant == "cross_ffn"


def test_reserved_and_invalid_fields_are_named():
    with pytest.raises(RecipeError, match="'finetune'.*'data'"):
        Recipe(finetune={"data": "x.jsonl", "max_steps": 1})
    with pytest.raises(RecipeError, match="'pretrain'.*learning_rate"):
        Recipe(pretrain={"max_steps": 1, "learning_rate": -1.0}, finetune={"max_steps": 1})


def test_load_recipe_names_the_file_and_the_unknown_field(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("finetune: {max_steps: 1}\nlearnig_rate: 0.1\n")
    with pytest.raises(RecipeError, match=r"r\.yaml.*learnig_rate"):
        load_recipe(path)


def test_two_stage_run_pretrains_stateless_then_injects_sve(tmp_path):
    task = MultiChangeTask(image_size=56, grid=4, objects=(1, 2), changes=(1, 1))
    describe = write_dataset(tmp_path / "describe", task.describe, {"train": 4}, progress=False)
    change = write_dataset(tmp_path / "change", task.change, {"train": 4}, progress=False)
    stage = {"max_steps": 2, "batch_size": 2, "learning_rate": 1e-3, "save_steps": 100, "log_steps": 1}
    recipe = Recipe(tiny=TinySpec(), pretrain=stage, finetune={**stage, "sve_lr": 1e-2})
    result = train_two_stage(recipe, describe, change, tmp_path / "out", variant="cross_ffn")
    stage1 = json.loads((tmp_path / "out/pretrain/config.json").read_text())
    assert stage1.get("sve", {}).get("variant", "stateless") == "stateless"  # a base any variant goes into
    assert (tmp_path / "out/pretrain-init/tokenizer.json").is_file()  # tokenizer trained on both stages' text
    assert result.model.sve.config.variant == "cross_ffn"
    outputs = [p for n, p in result.model.named_parameters() if n.endswith("sve.attn.out.weight")]
    assert outputs and all(p.abs().sum() > 0 for p in outputs)  # zero-initialised, then trained
    assert (tmp_path / "out/cross_ffn/config.json").is_file()
