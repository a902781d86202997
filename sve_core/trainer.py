"""Multi-image SFT of a stateful VLM on transformers' `Trainer` (single process, torchrun, accelerate, FSDP).

What this adds to the stock `Trainer`, and why:
- trainable sets (`full`, `vision`, `sve`, `lora`) and a separate learning rate for the new SVE weights, which
  start at zero and usually want a larger step than the pretrained host (param groups in the optimizer);
- one token-weighted loss for every family: ``sum of answer-token NLL / answer tokens of the whole optimizer
  step (all micro-batches, all ranks)``. transformers 5.24 counts those tokens (`num_items_in_batch`) and, when
  a `compute_loss_func` is given, treats the loss as already scaled for gradient accumulation, so the 1/accum
  factor is applied once (REFERENCE §2 pitfall). Relying on the model's own loss instead would only be right
  for families whose forward accepts loss kwargs (Qwen2-VL does; Gemma-3 and GLM-4V set
  ``accepts_loss_kwargs = False`` and would get per-micro-batch means divided by accum);
- evaluation loss and perplexity weighted by tokens over the whole eval set (the stock loop averages batch
  means);
- resuming that restores every weight: transformers 5.24 writes checkpoints under the hub's key names
  (``save_pretrained`` reverts its load-time renames, e.g. ``model.visual.`` -> ``visual.``) but its resume path
  loads them with a bare ``load_state_dict`` that silently skips what it cannot match (upstream issue #43701);
- a JSONL log in the output folder that a resumed run continues without duplicate steps;
- a run whose gradient norm turns NaN or infinite stops with `TrainingDivergedError` at the next log step (the
  stock loop logs such steps' loss as 0 and goes on to save a model of NaNs).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn
from transformers import (
    PreTrainedModel,
    ProcessorMixin,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

from sve_core.checkpoint import from_pretrained, save_stateful
from sve_core.collator import IGNORE_INDEX, SFTCollator
from sve_core.compat import enable_activation_checkpointing, revert_weight_conversion
from sve_core.data import Problem, SFTDataset, load_datasets, texts
from sve_core.errors import UserError
from sve_core.inject import make_stateful, remove_stateful
from sve_core.jsonl import append_jsonl, read_jsonl, write_jsonl
from sve_core.policy.checkpoint import verify_checkpoint
from sve_core.tiny import tiny_vlm
from sve_core.train_config import LoraSettings, Trainable, TrainConfig, TrainConfigError

logger = logging.getLogger(__name__)
LOG_FILE = "log.jsonl"
CONFIG_FILE = "train_config.yaml"


def load_backbone(config: TrainConfig, corpus: Sequence[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    """The model to finetune, made stateful with ``config.sve``.

    ``tiny:<family>`` builds a tiny random model whose tokenizer is trained on `corpus` (the data's own words);
    anything else (hub id, base or SVE checkpoint folder) loads through `sve_core.from_pretrained` in fp32
    (the master weights; bf16 is autocast). An SVE checkpoint keeps its own variant and weights; a stateless
    one adds no weights, so it is a base model any variant can be injected into (stage 2 of docs/RECIPE.md)."""
    if config.model.startswith("tiny:"):
        model, processor = tiny_vlm(config.model.removeprefix("tiny:"), config.tiny, corpus=corpus)
    else:
        model, processor = from_pretrained(config.model, dtype=torch.float32)
        if getattr(model, "sve", None) is not None and model.sve.config.variant == "stateless":
            remove_stateful(model)
    if getattr(model, "sve", None) is not None:
        if model.sve.config.variant != config.sve.variant:
            raise TrainConfigError(f"field 'sve.variant': {config.model} already carries variant "
                                   f"{model.sve.config.variant!r}, not {config.sve.variant!r}; start from its base "
                                   "model to train another variant", ("sve.variant",))
        return model, processor
    set_seed(config.seed)  # the SVE init (init_std > 0) draws from the global generator
    return make_stateful(model, config.sve), processor


def stop_token_ids(model: PreTrainedModel, processor: ProcessorMixin) -> frozenset[int]:
    """Every token that ends generation (e.g. Gemma-3's <end_of_turn> besides <eos>, GLM-4V's <|user|>)."""
    configured = model.generation_config.eos_token_id
    configured = [] if configured is None else [configured] if isinstance(configured, int) else configured
    return frozenset([*configured, processor.tokenizer.eos_token_id])


def set_trainable(model: PreTrainedModel, trainable: Trainable, lora: LoraSettings) -> None:
    """Freeze everything outside the chosen set; `lora` also injects LoRA into the language model's linears."""
    sve = {id(p) for p in model.sve.sve_parameters(model).values()}
    tower = {id(p) for p in model.sve.adapter.vision_tower(model).parameters()}
    if trainable == "lora":
        _inject_lora(model, lora)
    for name, parameter in model.named_parameters():
        if trainable == "full":
            parameter.requires_grad_(True)
        elif trainable == "vision":
            parameter.requires_grad_(id(parameter) in tower)  # the SVE modules live inside the tower's blocks
        elif trainable == "sve":
            parameter.requires_grad_(id(parameter) in sve)
        else:
            parameter.requires_grad_(id(parameter) in sve or ".lora_" in name)
    if not any(p.requires_grad for p in model.parameters()):
        raise TrainConfigError(f"field 'trainable': {trainable!r} leaves nothing to train with variant "
                               f"{model.sve.config.variant!r} (it adds no weights)", ("trainable",))


def _name_of(model: nn.Module, module: nn.Module) -> str:
    return next(name for name, m in model.named_modules() if m is module)


def _inject_lora(model: PreTrainedModel, settings: LoraSettings) -> None:
    from peft import LoraConfig, inject_adapter_in_model

    prefix = _name_of(model, model.get_decoder())
    targets = [name for name, m in model.named_modules()
               if isinstance(m, nn.Linear) and name.startswith(prefix + ".")]
    # Injected in place (no PeftModel wrapper): checkpoints then hold the full state (SVE included) and
    # resume through the Trainer's ordinary path; `merge_lora` folds the adapters in before the final save.
    inject_adapter_in_model(LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                                       target_modules=targets), model)


def merge_lora(model: nn.Module) -> None:
    """Fold every LoRA layer into its base linear, leaving a plain model that `from_pretrained` reloads."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    for name, module in list(model.named_modules()):
        if isinstance(module, BaseTunerLayer):
            module.merge()
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent), child, module.get_base_layer())


def token_nll(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per sample: summed next-token NLL over supervised positions, and how many there are. (B,), (B,)"""
    logits = logits[:, :-1].float()  # (B, T-1, V): position t predicts token t+1
    targets = labels[:, 1:].to(logits.device)  # (B, T-1)
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX,
                          reduction="none").view_as(targets)
    return nll.sum(-1), (targets != IGNORE_INDEX).sum(-1)


def token_weighted_loss(outputs: Any, labels: torch.Tensor,
                        num_items_in_batch: torch.Tensor | int | None = None) -> torch.Tensor:
    """Summed NLL / supervised tokens of the whole optimizer step (`num_items_in_batch`, counted by the Trainer
    over ``labels[..., 1:]``; label 0 is always masked by the collator, so the counts agree)."""
    nll, count = token_nll(outputs.logits, labels)
    return nll.sum() / (count.sum() if num_items_in_batch is None else num_items_in_batch)


class JsonlLog(TrainerCallback):
    """Appends every log record (losses, learning rate, eval metrics) to ``<output_dir>/log.jsonl``; a resumed
    run first drops the records written after its checkpoint by the run that crashed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_begin(self, args: TrainingArguments, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero and self.path.exists():
            write_jsonl(self.path, [row for row in read_jsonl(self.path) if row["step"] <= state.global_step])

    def on_log(self, args: TrainingArguments, state: Any, control: Any, logs: dict[str, float] | None = None,
               **kwargs: Any) -> None:
        if state.is_world_process_zero and logs:
            append_jsonl(self.path, {"step": state.global_step, **logs})


class TrainingDivergedError(UserError, RuntimeError):
    """The run's gradients went NaN or infinite; nothing after that step is worth saving."""


class DivergenceGuard(TrainerCallback):
    """Raises `TrainingDivergedError` when a log record's gradient norm (the same on every rank, as it is taken
    after the gradient all-reduce) is not finite."""

    def on_log(self, args: TrainingArguments, state: Any, control: Any, logs: dict[str, float] | None = None,
               **kwargs: Any) -> None:
        norm = (logs or {}).get("grad_norm")
        if norm is not None and not math.isfinite(norm):
            raise TrainingDivergedError(
                f"training diverged by step {state.global_step}: the gradient norm is {norm}. Nothing was saved "
                f"after the last checkpoint in {args.output_dir}; lower learning_rate or sve_lr, or keep "
                f"max_grad_norm > 0 and precision fp32/bf16, then start again.")


class SVETrainer(Trainer):
    """`Trainer` with an SVE learning rate and token-weighted evaluation."""

    def __init__(self, *args: Any, sve_lr: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, compute_loss_func=token_weighted_loss, **kwargs)
        self.sve_lr = sve_lr

    def get_optimizer_cls_and_kwargs(self, args: TrainingArguments,
                                     model: nn.Module | None = None) -> tuple[Any, dict[str, Any]]:
        """The stock optimizer, with parameters grouped by (SVE or not) x (decayed or not)."""
        optimizer_cls, kwargs = super().get_optimizer_cls_and_kwargs(args, model)
        model = model if model is not None else self.model
        decay = set(self.get_decay_parameter_names(model))
        groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
        for name, parameter in model.named_parameters():
            if parameter.requires_grad:
                groups.setdefault((".sve." in f".{name}", name in decay), []).append(parameter)
        kwargs["params"] = [
            {"params": params, "weight_decay": args.weight_decay if decayed else 0.0,
             "lr": self.sve_lr if is_sve and self.sve_lr is not None else args.learning_rate}
            for (is_sve, decayed), params in groups.items()
        ]
        return optimizer_cls, kwargs

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: nn.Module | None = None) -> None:
        """Load a checkpoint's weights under the model's own names, failing loudly on anything unmatched."""
        model = model if model is not None else self.model
        files = sorted(Path(resume_from_checkpoint).glob("*.safetensors"))
        if self.is_fsdp_enabled or not files:  # FSDP checkpoints are raw state dicts; the stock path fits
            return super()._load_from_checkpoint(resume_from_checkpoint, model)
        own = model.state_dict()
        name_of = {id(tensor): name for name, tensor in own.items()}
        # save_pretrained's renames, undone: the hub name of each tensor -> its name in this model
        to_model = {hub: name_of[id(t)] for hub, t in revert_weight_conversion(model, dict(own)).items()}
        saved: dict[str, torch.Tensor] = {}
        for file in files:
            saved.update(load_file(str(file)))
        renamed = {to_model.get(k, k): v for k, v in saved.items()}
        result = model.load_state_dict(renamed, strict=False)
        # save_pretrained writes one name of each tied tensor; the others share its storage and are filled too
        filled = {own[name].data_ptr() for name in renamed if name in own}
        missing = [name for name in result.missing_keys if own[name].data_ptr() not in filled]
        if missing or result.unexpected_keys:
            raise RuntimeError(f"{resume_from_checkpoint}: checkpoint does not match the model (missing "
                               f"{missing[:3]}, unexpected {result.unexpected_keys[:3]}); was it written by "
                               "a run with the same model, variant and trainable set?")

    def evaluate(self, eval_dataset: Any = None, ignore_keys: list[str] | None = None,
                 metric_key_prefix: str = "eval") -> dict[str, float]:
        """Loss = all answer-token NLL / all answer tokens of the eval set (every rank, no duplicates)."""
        model = self.model_wrapped
        model.eval()
        total = torch.zeros((), dtype=torch.float64, device=self.args.device)
        tokens = torch.zeros((), dtype=torch.int64, device=self.args.device)
        with torch.no_grad():
            for batch in self.get_eval_dataloader(eval_dataset):
                labels = batch.pop("labels")
                with self.compute_loss_context_manager():
                    logits = model(**batch).logits
                nll, count = self.accelerator.gather_for_metrics(token_nll(logits, labels))
                total += nll.double().sum()
                tokens += count.sum()
                self.control = self.callback_handler.on_prediction_step(self.args, self.state, self.control)
        loss = (total / tokens).item()
        metrics = {f"{metric_key_prefix}_loss": loss, f"{metric_key_prefix}_perplexity": math.exp(loss),
                   f"{metric_key_prefix}_tokens": int(tokens)}
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


def training_arguments(config: TrainConfig) -> TrainingArguments:
    bf16 = config.precision == "bf16" or (config.precision == "auto" and torch.cuda.is_available()
                                          and torch.cuda.is_bf16_supported())
    return TrainingArguments(
        output_dir=config.output_dir,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.eval_batch_size or config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,  # a float below 1 is a fraction of all steps
        max_grad_norm=config.max_grad_norm,
        bf16=bf16,
        seed=config.seed,
        logging_steps=config.log_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        eval_strategy="steps" if config.eval_data else "no",
        eval_steps=config.eval_steps,
        dataloader_num_workers=config.num_workers,
        dataloader_pin_memory=torch.cuda.is_available(),
        remove_unused_columns=False,  # the collator consumes whole `Sample`s
        report_to="none",
        # without an accelerator, torchrun / accelerate launch processes only join one gloo group when told so
        use_cpu=not torch.accelerator.is_available(),
    )


@dataclass
class TrainResult:
    output_dir: Path
    metrics: dict[str, float]  # final train summary, plus eval_* when eval_data is set
    log_history: list[dict[str, float]]
    model: PreTrainedModel  # the trained model as saved (LoRA merged), for evaluating in the same process
    processor: ProcessorMixin


def train(config: TrainConfig, callbacks: Sequence[TrainerCallback] = ()) -> TrainResult:
    """Run one SFT job; every data problem is reported before a model is built."""
    skipped: list[Problem] | None = [] if config.skip_bad_records else None
    datasets = load_datasets(config.data, *([config.eval_data] if config.eval_data else []), skipped=skipped)
    for problem in skipped or []:
        logger.warning("skipped bad record %s", problem)
    train_samples, eval_samples = datasets[0], (datasets[1] if config.eval_data else None)
    resume = _checkpoint_to_resume(config)
    model, processor = load_backbone(config, texts([*train_samples, *(eval_samples or [])]))
    set_trainable(model, config.trainable, config.lora)
    if config.gradient_checkpointing:
        # stateful blocks receive their layout as a keyword argument, so the backward recompute replays them
        enable_activation_checkpointing(model)
    output_dir = Path(config.output_dir)
    collator = SFTCollator(processor, config.supervise, stop_token_ids=stop_token_ids(model, processor))
    collator(train_samples[:1])  # a template the answers cannot be located in fails now, not mid-epoch
    trainer = SVETrainer(
        model=model,
        args=training_arguments(config),
        train_dataset=SFTDataset(train_samples),
        eval_dataset=SFTDataset(eval_samples) if eval_samples else None,
        data_collator=collator,
        processing_class=processor,
        callbacks=[JsonlLog(output_dir / LOG_FILE), DivergenceGuard(), *callbacks],
        sve_lr=config.sve_lr,
    )
    if trainer.is_world_process_zero():
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / CONFIG_FILE).write_text(config.resolved_yaml())
    metrics = dict(trainer.train(resume_from_checkpoint=resume).metrics)
    if eval_samples:  # evaluate the final weights unless the last step just did
        done = [r for r in trainer.state.log_history if "eval_loss" in r and r["step"] == trainer.state.global_step]
        metrics.update({k: v for k, v in (done[-1] if done else trainer.evaluate()).items() if k.startswith("eval_")})
    if config.trainable == "lora":
        merge_lora(trainer.model)
    trainer.save_model(str(output_dir))  # weights + config.json (with `sve`) + processor: from_pretrained
    if trainer.is_world_process_zero() and not trainer.is_fsdp_enabled:  # FSDP: the full folder only
        save_stateful(trainer.model, output_dir, base_model=config.model)  # SVE alone: load_stateful
    return TrainResult(output_dir=output_dir, metrics=metrics, log_history=trainer.state.log_history,
                       model=trainer.model, processor=processor)


def _checkpoint_to_resume(config: TrainConfig) -> str | None:
    if config.resume is False:
        return None
    if config.resume is True:
        last = get_last_checkpoint(config.output_dir) if Path(config.output_dir).is_dir() else None
        if last is None:
            raise TrainConfigError(f"field 'resume': no checkpoint-* folder in {config.output_dir} to resume from",
                                   ("resume",))
        verify_checkpoint(last)
        return last
    if not Path(config.resume).is_dir():
        raise TrainConfigError(f"field 'resume': checkpoint folder {config.resume} not found", ("resume",))
    verify_checkpoint(config.resume)
    return config.resume

