"""Model cards: the shipped demo models' cards are what `python -m sve_core.model_card` writes for them now."""

from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from sve_core import model_card

ROOT = Path(__file__).resolve().parents[2]
DEMOS = sorted(p.relative_to(ROOT) for p in ROOT.glob("apps/*/demo_model") if (p / "config.json").is_file())
SOURCE = "the README's demo-model table and docs/demo_models/ (commands stated there; not measured on this card)"


@pytest.mark.parametrize("folder", DEMOS, ids=str)
def test_demo_model_cards_are_up_to_date(folder, monkeypatch):
    monkeypatch.chdir(ROOT)
    info = model_card.info_from_folder(folder)
    info.metrics_source, info.location = SOURCE, str(folder)
    card = ModelCard.load(folder / model_card.CARD)
    assert card.content == ModelCard(model_card.render(info)).content  # rerun the module on the folder if not
    assert card.data.library_name == "sve" and "cross_ffn" in card.data.tags
    assert f'from_pretrained("{folder}")' in card.text and "trained on | runs/data/" in card.text
