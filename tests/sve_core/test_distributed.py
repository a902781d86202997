"""The same `sve train` command under torchrun and accelerate launch: two CPU processes (gloo) reproduce the
single-process losses on the same global batch, and the shipped accelerate configs are valid."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from accelerate.commands.config.config_args import ClusterConfig

from sve_core.trainer import LOG_FILE
from tests.data.sharegpt.data import write_dataset

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("sharegpt"), train=16, val=3)  # odd: ranks get padded evals


def args(dataset: Path, output_dir: Path, batch_size: int) -> list[str]:
    return ["--data", str(dataset / "train.jsonl"), "--eval-data", str(dataset / "val.jsonl"),
            "--output-dir", str(output_dir), "--max-steps", "3", "--eval-steps", "2",
            "--batch-size", str(batch_size), "--log-steps", "1", "--save-steps", "100", "--lr", "1e-3",
            "--init-std", "0.01", "--seed", "3"]


def records(output_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (output_dir / LOG_FILE).read_text().splitlines()]


def losses(output_dir: Path, key: str = "loss") -> list[float]:
    return [r[key] for r in records(output_dir) if key in r]


def run(command: list[str]) -> None:
    done = subprocess.run(command, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("name", ["ddp", "fsdp"])
def test_shipped_accelerate_configs_parse(name):
    config = ClusterConfig.from_yaml_file(str(ROOT / "configs" / "accelerate" / f"{name}.yaml"))
    assert config.mixed_precision == "bf16"
    if name == "fsdp":
        assert config.distributed_type == "FSDP" and config.fsdp_config["fsdp_reshard_after_forward"] is True
        assert config.fsdp_config["fsdp_state_dict_type"] == "FULL_STATE_DICT"


@pytest.mark.slow
def test_torchrun_two_processes_match_one_process_on_the_same_global_batch(dataset, tmp_path):
    run([sys.executable, "-m", "sve_core.train_cli", *args(dataset, tmp_path / "one", batch_size=4)])
    run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
         "-m", "sve_core.train_cli", *args(dataset, tmp_path / "two", batch_size=2)])
    single, ddp = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert len(single) == len(ddp) == 3  # rank 0 alone writes the log
    assert ddp == pytest.approx(single, rel=1e-5)
    # evaluation gathers every rank's token sums once each (the padded duplicate sample is dropped)
    assert losses(tmp_path / "two", "eval_tokens") == losses(tmp_path / "one", "eval_tokens")
    assert losses(tmp_path / "two", "eval_loss") == pytest.approx(losses(tmp_path / "one", "eval_loss"), rel=1e-5)
    assert (tmp_path / "two" / "model.safetensors").is_file()


@pytest.mark.slow
def test_accelerate_launch_runs_the_same_command(dataset, tmp_path):
    """On CPU, accelerate starts several processes only through MPI, so this checks the launcher path with one
    process (the two-process comparison above uses torchrun, which accelerate wraps on GPUs)."""
    run([sys.executable, "-m", "sve_core.train_cli", *args(dataset, tmp_path / "plain", batch_size=2)])
    run([sys.executable, "-m", "accelerate.commands.launch", "--config_file", "configs/accelerate/ddp.yaml", "--cpu",
         "--num_processes", "1", "--mixed_precision", "no", "-m", "sve_core.train_cli",
         *args(dataset, tmp_path / "launched", batch_size=2)])
    assert losses(tmp_path / "launched") == pytest.approx(losses(tmp_path / "plain"), rel=1e-6)
