"""`sve train CONFIG.yaml [flags]`: multi-image SFT with SVE. Flags override the YAML's fields.

The same command runs single-process, under ``torchrun --nproc_per_node N -m sve_core.train_cli ...`` and
under ``accelerate launch [--config_file configs/accelerate/fsdp.yaml] -m sve_core.train_cli ...``: the
Trainer reads the launcher's environment, so there is no separate distributed entry point.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sve_core.train_config import load_train_config

# flag -> (TrainConfig field, argparse type, help)
FLAGS: dict[str, tuple[str, Any, str]] = {
    "--model": ("model", str, "hub id, local model folder, or tiny:<family> (e.g. tiny:qwen2_vl)"),
    "--data": ("data", str, "training JSONL (image paths relative to its folder)"),
    "--eval-data": ("eval_data", str, "held-out JSONL: token-weighted eval loss and perplexity"),
    "--output-dir": ("output_dir", str, "folder for checkpoints, log.jsonl, train_config.yaml and the final model"),
    "--variant": ("sve.variant", str, "SVE variant: cross_ffn, cross, self_ext, adaln_zero, self_ffn, stateless"),
    "--init-std": ("sve.init_std", float, "std of the SVE output projections' init (0 = exact zero-init)"),
    "--trainable": ("trainable", str, "what learns: full, vision (tower + SVE), sve (SVE only), lora (LLM LoRA + SVE)"),
    "--supervise": ("supervise", str, "final (last answer only) or all (every assistant turn)"),
    "--lr": ("learning_rate", float, "peak learning rate"),
    "--sve-lr": ("sve_lr", float, "peak learning rate of the SVE weights (default: --lr)"),
    "--batch-size": ("batch_size", int, "samples per device per forward"),
    "--grad-accum": ("grad_accum", int, "micro-batches per optimizer step"),
    "--epochs": ("epochs", float, "passes over the training data (ignored with --max-steps)"),
    "--max-steps": ("max_steps", int, "optimizer steps to run"),
    "--seed": ("seed", int, "seed of the SVE init and the data order"),
    "--save-steps": ("save_steps", int, "write a resumable checkpoint every N steps"),
    "--eval-steps": ("eval_steps", int, "evaluate on --eval-data every N steps"),
    "--log-steps": ("log_steps", int, "log the training loss every N steps"),
    "--precision": ("precision", str, "auto (bf16 on GPUs that support it), bf16 or fp32"),
}


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train", help="multi-image SFT with SVE (single process, torchrun or accelerate)",
        description="Finetune a VLM with a stateful visual encoder on ShareGPT-style JSONL. Flags override "
                    "the config file's fields; the resolved config is written to OUTPUT_DIR/train_config.yaml.",
    )
    parser.add_argument("config", nargs="?", help="YAML training config (see configs/train/); optional if "
                                                  "--data is given")
    for flag, (_, kind, help_text) in FLAGS.items():
        parser.add_argument(flag, type=kind, default=None, help=help_text)
    parser.add_argument("--resume", action="store_const", const=True, default=None,
                        help="continue a stopped run from the newest checkpoint in --output-dir (same data order, "
                             "optimizer and scheduler state)")
    parser.add_argument("--resume-from", default=None, metavar="CHECKPOINT",
                        help="continue from this checkpoint-N folder instead")
    parser.add_argument("--skip-bad-records", action="store_const", const=True, default=None,
                        help="leave out training records that fail validation (each listed with file:line) "
                             "instead of stopping before step 1")
    parser.add_argument("--gradient-checkpointing", action=argparse.BooleanOptionalAction, default=None,
                        help="recompute activations in backward to save memory")
    parser.set_defaults(func=run)
    return parser


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The fields the command line sets, as dotted `TrainConfig` names."""
    given = {name: getattr(args, flag[2:].replace("-", "_")) for flag, (name, _, _) in FLAGS.items()}
    given["resume"] = args.resume_from or args.resume
    given["gradient_checkpointing"] = args.gradient_checkpointing
    given["skip_bad_records"] = args.skip_bad_records
    return {name: value for name, value in given.items() if value is not None}


def run(args: argparse.Namespace) -> int:
    config = load_train_config(args.config, overrides(args))
    from sve_core.trainer import train  # heavy import, after the config is known to be usable

    result = train(config)
    print(f"sve train: wrote {result.output_dir}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m sve_core.train_cli`` (what torchrun and accelerate launch run): the same
    parser and error path as ``sve train``, without the command table (which lives in the apps layer)."""
    from sve_core.errors import run_command

    parser = argparse.ArgumentParser(prog="sve")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["train", *(sys.argv[1:] if argv is None else argv)])
    return run_command("sve train", args.func, args)


if __name__ == "__main__":
    raise SystemExit(main())
