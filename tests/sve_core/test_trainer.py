"""The SFT trainer on a tiny stateful Qwen2-VL: token-weighted gradient accumulation, crash-and-resume, trainable
sets and the SVE learning rate, token-weighted evaluation, the output folder, and the `sve train` CLI."""

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors import safe_open
from transformers import TrainerCallback

from apps.cli import main as sve
from sve_core import SVEConfig, make_stateful
from sve_core.checkpoint import from_pretrained, load_stateful
from sve_core.collator import SFTCollator
from sve_core.compat import enable_activation_checkpointing
from sve_core.data import SFTDataset, load_jsonl, texts
from sve_core.tiny import FAMILIES, tiny_vlm
from sve_core.train_config import LoraSettings, TrainConfig, load_train_config
from sve_core.trainer import (
    CONFIG_FILE,
    LOG_FILE,
    SVETrainer,
    TrainingDivergedError,
    set_trainable,
    token_nll,
    train,
    training_arguments,
)
from tests.data.sharegpt.data import write_dataset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("sharegpt"), train=16, val=4)


def make_config(dataset: Path, output_dir: Path, **fields) -> TrainConfig:
    base = {"data": str(dataset / "train.jsonl"), "output_dir": str(output_dir), "max_steps": 1, "batch_size": 2,
            "learning_rate": 1e-3, "warmup_ratio": 0.0, "lr_scheduler": "constant_with_warmup", "log_steps": 1,
            "save_steps": 100, "sve.init_std": 1e-2}
    return load_train_config(None, {**base, **fields})


def losses(output_dir: Path) -> dict[int, float]:
    records = [json.loads(line) for line in (output_dir / LOG_FILE).read_text().splitlines()]
    return {r["step"]: r["loss"] for r in records if "loss" in r}


class FirstGradients(TrainerCallback):
    """Gradients of the first optimizer step, as the optimizer will see them."""

    def __init__(self) -> None:
        self.grads: dict[str, torch.Tensor] = {}

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        if not self.grads:
            self.grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.fixture(scope="module")
def accumulation_runs(dataset, tmp_path_factory):
    runs = {}
    for batch, accum in [(4, 1), (2, 2), (1, 4)]:
        grads = FirstGradients()
        out = tmp_path_factory.mktemp(f"accum{accum}")
        config = make_config(dataset, out, batch_size=batch, grad_accum=accum, max_grad_norm=0.0, supervise="all")
        train(config, callbacks=[grads])
        runs[accum] = (grads.grads, losses(out)[1])
    return runs


def test_accumulation_gives_the_same_gradients_as_one_big_batch(accumulation_runs):
    """transformers 5.24 counts the answer tokens of all micro-batches (`num_items_in_batch`) and, with our
    `compute_loss_func`, does not divide by accum again: k x B/k must equal 1 x B, not 1/k of it."""
    reference, reference_loss = accumulation_runs[1]
    assert len(reference) > 50 and any(".sve." in name for name in reference)
    for accum in (2, 4):
        grads, loss = accumulation_runs[accum]
        assert loss == pytest.approx(reference_loss, rel=1e-5)
        for name, grad in reference.items():
            torch.testing.assert_close(grads[name], grad, rtol=1e-4, atol=1e-7, msg=f"{name} (accum {accum})")


def test_micro_batches_differ_in_tokens_so_the_check_has_teeth(dataset):
    """Averaging per-micro-batch means would differ from the token-weighted mean on this data."""
    samples = load_jsonl(dataset / "train.jsonl")[:8]
    model, processor = tiny_vlm("qwen2_vl", corpus=texts(samples))
    batch = SFTCollator(processor, "all")(samples)
    with torch.no_grad():
        nll, count = token_nll(model(**batch).logits, batch["labels"])
    assert len(set(count.tolist())) > 1
    assert not math.isclose((nll / count).mean().item(), (nll.sum() / count.sum()).item(), rel_tol=1e-4)


class CrashAt(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise RuntimeError("simulated crash")


class PoisonAt(TrainerCallback):
    """Turns one SVE weight into NaN after optimizer step `step`, as a blown-up update would."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step == self.step:
            with torch.no_grad():
                next(iter(model.sve.sve_parameters(model).values())).fill_(float("nan"))


def test_a_diverged_run_stops_with_a_clear_error(dataset, tmp_path, capsys):
    with pytest.raises(TrainingDivergedError, match="diverged by step 3: the gradient norm is nan"):
        train(make_config(dataset, tmp_path / "run", max_steps=6), callbacks=[PoisonAt(2)])
    records = [json.loads(line) for line in (tmp_path / "run" / LOG_FILE).read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3] and math.isnan(records[-1]["grad_norm"])  # kept to diagnose
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_resume_after_a_crash_continues_the_same_run(dataset, tmp_path):
    fields = {"max_steps": 6, "save_steps": 2, "lr_scheduler": "cosine", "warmup_ratio": 0.2, "sve_lr": 1e-2}
    train(make_config(dataset, tmp_path / "whole", **fields))
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(make_config(dataset, tmp_path / "crashed", **fields), callbacks=[CrashAt(5)])
    assert sorted(losses(tmp_path / "crashed")) == [1, 2, 3, 4]
    train(make_config(dataset, tmp_path / "crashed", resume=True, **fields))
    whole, resumed = losses(tmp_path / "whole"), losses(tmp_path / "crashed")
    assert sorted(resumed) == list(range(1, 7))  # the crashed run's records after step 4 were dropped
    for step in (5, 6):  # same batches, weights, optimizer and scheduler state as the uninterrupted run
        assert resumed[step] == pytest.approx(whole[step], rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_trains_and_resumes_exactly(dataset, tmp_path, family):
    """Checkpoints of every family reload completely (tied embeddings included) and continue the same run."""
    supervise = "final" if family == "paligemma" else "all"  # PaliGemma needs an image in every prompt
    fields = {"model": f"tiny:{family}", "max_steps": 4, "save_steps": 2, "supervise": supervise,
              "eval_data": str(dataset / "val.jsonl"), "eval_steps": 2}
    train(make_config(dataset, tmp_path / "whole", **fields))
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(make_config(dataset, tmp_path / "crashed", **fields), callbacks=[CrashAt(3)])
    result = train(make_config(dataset, tmp_path / "crashed", resume=True, **fields))
    whole, resumed = losses(tmp_path / "whole"), losses(tmp_path / "crashed")
    assert resumed == pytest.approx(whole, rel=1e-5) and sorted(resumed) == [1, 2, 3, 4]
    assert math.isfinite(result.metrics["eval_perplexity"])


def test_resume_needs_a_checkpoint(dataset, tmp_path):
    with pytest.raises(ValueError, match="field 'resume': no checkpoint"):
        train(make_config(dataset, tmp_path, resume=True))


def in_tower(name: str) -> bool:
    return name.startswith("model.visual.")


# trainable set -> which parameters learn
TRAINABLE = {
    "full": lambda name: True,
    "vision": lambda name: in_tower(name),
    "sve": lambda name: ".sve." in name,
    "lora": lambda name: ".sve." in name or (".lora_" in name and name.startswith("model.language_model.")),
}


@pytest.mark.parametrize("trainable", list(TRAINABLE))
def test_trainable_sets(trainable):
    model, _ = tiny_vlm("qwen2_vl")
    make_stateful(model, SVEConfig(variant="cross_ffn"))
    set_trainable(model, trainable, LoraSettings(r=4, alpha=8))
    learning = {name for name, p in model.named_parameters() if p.requires_grad}
    expected = {name for name, _ in model.named_parameters() if TRAINABLE[trainable](name)}
    assert learning == expected and any(".sve." in name for name in learning)
    if trainable == "lora":
        assert any(".lora_" in name for name in learning)


def test_sve_only_with_a_stateless_model_is_refused():
    model, _ = tiny_vlm("qwen2_vl")
    make_stateful(model, SVEConfig(variant="stateless"))
    with pytest.raises(ValueError, match="field 'trainable': 'sve' leaves nothing to train"):
        set_trainable(model, "sve", LoraSettings())


class OptimizerGroups(TrainerCallback):
    def on_train_begin(self, args, state, control, optimizer=None, model=None, **kwargs):
        names = {id(p): n for n, p in model.named_parameters()}
        self.groups = [({names[id(p)] for p in g["params"]}, g["initial_lr"]) for g in optimizer.param_groups]


def test_lora_with_an_sve_learning_rate_saves_a_loadable_plain_model(dataset, tmp_path):
    groups = OptimizerGroups()
    config = make_config(dataset, tmp_path, trainable="lora", sve_lr=5e-3, max_steps=2, **{"lora.r": 4})
    result = train(config, callbacks=[groups])
    for names, lr in groups.groups:
        assert all(".sve." in n for n in names) or not any(".sve." in n for n in names)
        assert lr == (5e-3 if ".sve." in next(iter(names)) else 1e-3)
    with safe_open(str(tmp_path / "model.safetensors"), "pt") as saved:
        keys = list(saved.keys())
    assert not any("lora_" in k for k in keys) and any(".sve." in k for k in keys)
    assert yaml.safe_load((tmp_path / CONFIG_FILE).read_text()) == config.to_dict()
    assert load_train_config(tmp_path / CONFIG_FILE) == config
    # the folder reloads as a full model and as base + SVE adapter, both giving the trained model's outputs
    samples = load_jsonl(dataset / "val.jsonl")
    batch = SFTCollator(result.processor)(samples)
    reloaded, _ = from_pretrained(str(tmp_path))
    base, _ = tiny_vlm("qwen2_vl", corpus=texts(load_jsonl(dataset / "train.jsonl") + samples))
    base.load_state_dict(reloaded.state_dict(), strict=False)  # host weights as trained, SVE from the adapter
    adapter_only = load_stateful(base.eval(), tmp_path)
    result.model.eval()
    with torch.no_grad():
        expected = result.model(**batch).logits
        torch.testing.assert_close(reloaded(**batch).logits, expected)
        torch.testing.assert_close(adapter_only(**batch).logits, expected)


def test_evaluation_is_token_weighted_over_the_whole_set(dataset, tmp_path):
    samples = load_jsonl(dataset / "val.jsonl")
    model, processor = tiny_vlm("qwen2_vl", corpus=texts(samples))
    make_stateful(model, SVEConfig(variant="cross_ffn", init_std=1e-2))
    collator = SFTCollator(processor, "all")
    config = make_config(dataset, tmp_path, eval_batch_size=3)  # batches of 3 and 1 samples
    trainer = SVETrainer(model=model, args=training_arguments(config), eval_dataset=SFTDataset(samples),
                         data_collator=collator, processing_class=processor)
    metrics = trainer.evaluate()
    batch = collator(samples)
    with torch.no_grad():
        nll, count = token_nll(model(**batch).logits, batch["labels"])
    assert metrics["eval_tokens"] == count.sum().item()
    assert metrics["eval_loss"] == pytest.approx((nll.sum() / count.sum()).item(), rel=1e-5)
    assert metrics["eval_perplexity"] == pytest.approx(math.exp(metrics["eval_loss"]))


def test_activation_checkpointing_keeps_the_gradients(dataset):
    """Stateful blocks too: their layout travels as a keyword argument into the backward recompute."""
    samples = load_jsonl(dataset / "train.jsonl")[:3]
    model, processor = tiny_vlm("qwen2_vl", corpus=texts(samples))
    make_stateful(model, SVEConfig(variant="cross_ffn", init_std=1e-2))
    batch = SFTCollator(processor)(samples)
    model.train()

    def gradients() -> dict[str, torch.Tensor]:
        model.zero_grad()
        model(**batch).loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain = gradients()
    enable_activation_checkpointing(model)
    checkpointed = gradients()
    assert plain.keys() == checkpointed.keys()
    for name in plain:
        torch.testing.assert_close(checkpointed[name], plain[name], rtol=1e-5, atol=1e-7)


def test_cli_yaml_plus_flags(dataset, tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({
        "model": "tiny:qwen2_vl", "tiny": {"vision_depth": 1, "text_layers": 1}, "data": "overridden.jsonl",
        "eval_data": str(dataset / "val.jsonl"), "sve": {"variant": "cross_ffn"}, "max_steps": 5,
        "batch_size": 2, "log_steps": 1, "eval_steps": 1,
    }))
    out = tmp_path / "out"
    code = sve(["train", str(config), "--data", str(dataset / "train.jsonl"), "--output-dir", str(out),
                "--variant", "cross", "--max-steps", "2", "--lr", "2e-3", "--save-steps", "1"])
    assert code == 0, capsys.readouterr().err
    resolved = load_train_config(out / CONFIG_FILE)
    assert (resolved.sve.variant, resolved.max_steps, resolved.learning_rate) == ("cross", 2, 2e-3)
    assert resolved.data == str(dataset / "train.jsonl") and resolved.tiny.vision_depth == 1
    saved = json.loads((out / "config.json").read_text())
    assert saved["sve"]["variant"] == "cross" and saved["vision_config"]["depth"] == 1
    records = [json.loads(line) for line in (out / LOG_FILE).read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2]
    assert all(r["eval_perplexity"] == pytest.approx(math.exp(r["eval_loss"])) for r in records if "eval_loss" in r)
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]


def test_cli_two_runs_inject_sve_into_a_stateless_checkpoint(dataset, tmp_path, capsys):
    """The demo models' recipe: a stateless run, then SVE injected into its output; an SVE checkpoint refuses."""
    common = ["--data", str(dataset / "train.jsonl"), "--max-steps", "1", "--batch-size", "2", "--save-steps", "9"]
    stage1, stage2 = tmp_path / "stage1", tmp_path / "stage2"
    assert sve(["train", *common, "--variant", "stateless", "--output-dir", str(stage1)]) == 0
    assert sve(["train", *common, "--model", str(stage1), "--variant", "cross_ffn", "--output-dir", str(stage2)]) == 0
    assert json.loads((stage2 / "config.json").read_text())["sve"]["variant"] == "cross_ffn"
    capsys.readouterr()
    code = sve(["train", *common, "--model", str(stage2), "--variant", "cross", "--output-dir", str(tmp_path / "x")])
    assert code == 2 and "already carries variant 'cross_ffn'" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("[dt]*/*.yaml")), ids=lambda p: p.parent.name + "/" + p.name)
def test_shipped_train_configs_load(path):  # configs/train (GPU users) and configs/demo (the demo models)
    config = load_train_config(path)
    assert config.sve.variant == "cross_ffn" and config.data.endswith("train.jsonl")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--lerning-rate", "1"], "unrecognized arguments"),
        (["--variant", "crossffn"], "command line: field 'sve.variant': expected one of"),
        (["--batch-size", "0"], "command line: field 'batch_size': expected an integer >= 1"),
        (["--trainable", "everything"], "field 'trainable'"),
    ],
)
def test_cli_bad_flags_name_the_field(dataset, tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit) if "unrecognized" in message else contextlib.nullcontext():
        code = sve(["train", "--data", str(dataset / "train.jsonl"), "--output-dir", str(tmp_path), *arguments])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_bad_yaml_and_bad_data_are_reported_before_training(dataset, tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("data: x.jsonl\nsve:\n  variant: cross_ffn\n  init_sd: 0.0\n")
    assert sve(["train", str(config)]) == 2
    assert f"{config}: unknown field 'sve.init_sd'; did you mean 'sve.init_std'?" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "<image>hi"}], "images": []}\n{oops\n')
    assert sve(["train", "--data", str(bad), "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and f"{bad}:1: images:" in err and f"{bad}:2: invalid JSON" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_killed_cli_run_resumes_to_the_same_losses(dataset, tmp_path):
    """A real crash: the `sve train` process is SIGKILLed after its second checkpoint, then resumed."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    steps = 30  # long enough that the kill lands mid-run
    common = ["--data", str(dataset / "train.jsonl"), "--max-steps", str(steps), "--batch-size", "2", "--save-steps", "2",
              "--log-steps", "1", "--lr", "1e-3", "--init-std", "0.01"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run([sys.executable, "-m", "sve_core.train_cli", *common, "--output-dir", str(whole)], env=env,
                   check=True, capture_output=True)

    process = subprocess.Popen([sys.executable, "-m", "sve_core.train_cli", *common, "--output-dir", str(killed)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (killed / "checkpoint-4" / "trainer_state.json").exists() and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(losses(killed)) < steps and not (killed / "model.safetensors").exists()
    subprocess.run([sys.executable, "-m", "sve_core.train_cli", *common, "--output-dir", str(killed), "--resume"],
                   env=env, check=True, capture_output=True)
    expected, resumed = losses(whole), losses(killed)
    assert sorted(resumed) == list(range(1, steps + 1))
    for step in range(5, steps + 1):
        assert resumed[step] == pytest.approx(expected[step], rel=1e-6)
