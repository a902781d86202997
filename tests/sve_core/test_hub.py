"""SVE adapters on the Hub: push writes the adapter, its config and a model card (HfApi mocked: no hub here);
a repo id loads from the Hub cache offline; loading onto another base model is refused."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from huggingface_hub import HfApi, ModelCard

from sve_core import SVEConfig, make_stateful
from sve_core.checkpoint import ADAPTER_CONFIG, ADAPTER_WEIGHTS, CheckpointError, load_stateful, save_stateful
from sve_core.tiny import TinySpec, tiny_vlm
from tests.sve_core.helpers import chat_inputs, random_images

REPO = "sve-tests/qwen2-vl-cross-ffn"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    model, processor = tiny_vlm("qwen2_vl")
    make_stateful(model, SVEConfig(variant="cross_ffn", init_std=0.05, layers=[1]))
    return model, chat_inputs(processor, [2], random_images(2))


def test_push_uploads_the_adapter_config_and_card(trained, tmp_path, monkeypatch):
    model, _ = trained
    calls = []
    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: calls.append(("create", repo_id, kw)))

    def upload_folder(self, *, repo_id, folder_path, allow_patterns, **kw):
        files = sorted(p.name for p in Path(folder_path).iterdir() if p.name in allow_patterns)
        calls.append(("upload", repo_id, files))
        return type("Commit", (), {"commit_url": f"https://hub.test/{repo_id}/commit/{COMMIT}"})()

    monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
    save_stateful(model, tmp_path, base_model="Qwen/Qwen2-VL-2B-Instruct", revision="abc123", push_to_hub=REPO,
                  data="runs/data/cxr/train.jsonl", metrics={"change_accuracy": 0.8125})
    assert calls[0][:2] == ("create", REPO)
    assert calls[1] == ("upload", REPO, sorted([ADAPTER_CONFIG, ADAPTER_WEIGHTS, "README.md"]))
    card = ModelCard.load(tmp_path / "README.md")
    assert card.data.base_model == "Qwen/Qwen2-VL-2B-Instruct" and "sve" in card.data.tags
    for fact in ("`Qwen/Qwen2-VL-2B-Instruct` at revision `abc123`", "`cross_ffn`", "vision blocks 1 (1 blocks)",
                 "runs/data/cxr/train.jsonl", "| change_accuracy | 0.8125 |", f'load_stateful(base, "{REPO}")',
                 'from_pretrained("Qwen/Qwen2-VL-2B-Instruct", revision="abc123")'):
        assert fact in card.text, fact


def _write_cache_snapshot(adapter: Path, cache: Path, ref: str) -> None:
    """The Hub cache layout (models--owner--name/refs/<ref>, snapshots/<commit>/...), as a download leaves it."""
    repo = cache / ("models--" + REPO.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / ref).write_text(COMMIT)
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    for file in adapter.iterdir():
        (snapshot / file.name).write_bytes(file.read_bytes())


OFFLINE_LOAD = """
import sys, torch
from sve_core.checkpoint import load_stateful
from sve_core.tiny import tiny_vlm
base, _ = tiny_vlm("qwen2_vl")
expected = torch.load(sys.argv[1])
load_stateful(base, sys.argv[2], revision=sys.argv[3] if len(sys.argv) > 3 else None)
with torch.no_grad():
    assert torch.equal(base(**expected["inputs"]).logits, expected["logits"])
print("loaded", base.sve.config.variant)
"""


def _offline(cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", OFFLINE_LOAD, *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_a_repo_id_loads_from_the_hub_cache_offline(trained, tmp_path):
    model, inputs = trained
    with torch.no_grad():
        torch.save({"inputs": dict(inputs), "logits": model(**inputs).logits}, tmp_path / "expected.pt")
    save_stateful(model, tmp_path / "adapter", base_model="tiny:qwen2_vl")
    _write_cache_snapshot(tmp_path / "adapter", tmp_path / "cache", ref="v1")
    done = _offline(tmp_path / "cache", str(tmp_path / "expected.pt"), REPO, "v1")
    assert done.returncode == 0 and "loaded cross_ffn" in done.stdout, done.stderr[-2000:]
    missing = _offline(tmp_path / "cache", str(tmp_path / "expected.pt"), REPO)  # no 'main' ref in the cache
    assert missing.returncode != 0 and "is not in the local Hub cache" in missing.stderr


def test_another_base_model_is_refused(trained, tmp_path):
    model, _ = trained
    save_stateful(model, tmp_path, base_model="tiny:qwen2_vl", revision="abc123")
    other, _ = tiny_vlm("qwen2_vl", TinySpec(seed=1))  # same family and shapes, other weights
    with pytest.raises(CheckpointError, match=r"trained on tiny:qwen2_vl \(revision abc123\), but the vision weights"):
        load_stateful(other, tmp_path)
    assert getattr(other, "sve", None) is None  # nothing left injected
    meta = json.loads((tmp_path / ADAPTER_CONFIG).read_text())
    assert meta["base_signature"]["layer"] == 1
    same, _ = tiny_vlm("qwen2_vl")
    load_stateful(same.to(torch.bfloat16), tmp_path)  # the same base in another dtype is the same base

