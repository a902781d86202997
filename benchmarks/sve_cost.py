"""Cost of SVE on a realistic vision tower, measured side by side in one run.

Part 1: forward time and peak memory of each variant relative to `stateless`, next to the analytic FLOP ratio.
Part 2: turn-k latency of incremental inference (`StatefulSession`, encodes image k only) against re-encoding
the whole k-image sequence, k = 1..8.

The tower is a Qwen2-VL-2B-like vision config (1280 wide, 16 heads, MLP ratio 4, patch 14, 2x2 merge) with
random weights; on a CPU the depth is reduced (default 4 of 32 layers): every ratio is per layer, so it does
not depend on depth. Peak memory is measured in a fresh subprocess per variant (RSS on CPU, allocator peak on
CUDA), counting only what the forward adds on top of weights and inputs.
Run: ``python benchmarks/sve_cost.py`` (add ``--device cuda --depth 32`` on a GPU).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import torch
from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

from sve_core import VARIANTS, SVEConfig, image_sequences, make_stateful
from sve_core.session import StatefulSession


def build(args: argparse.Namespace, variant: str) -> torch.nn.Module:
    torch.manual_seed(0)
    config = Qwen2VLConfig(
        text_config=dict(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1,
                         rope_parameters={"rope_type": "default", "rope_theta": 1e4, "mrope_section": [4, 6, 6]}),
        vision_config=dict(depth=args.depth, embed_dim=1280, hidden_size=1536, num_heads=16, mlp_ratio=4,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2),
    )
    model = Qwen2VLForConditionalGeneration(config).to(args.device, dtype=getattr(torch, args.dtype)).eval()
    return make_stateful(model, SVEConfig(variant=variant, init_std=1e-4))


def inputs(args: argparse.Namespace, images: int) -> tuple[torch.Tensor, torch.Tensor]:
    side = args.image_size // 14
    grid = torch.tensor([[1, side, side]] * images, device=args.device)
    pixels = torch.randn(images * side * side, 3 * 2 * 14 * 14, device=args.device, dtype=getattr(torch, args.dtype))
    return pixels, grid


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


@torch.no_grad()
def encode(model: torch.nn.Module, pixels: torch.Tensor, grid: torch.Tensor) -> None:
    with image_sequences(model, [list(range(len(grid)))]):
        model.model.visual(pixels, grid_thw=grid)


def time_call(fn, device: str, repeats: int) -> float:
    """Median wall time in ms over `repeats` calls after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def flop_ratio(variant: str, n: int, d: int, ff: int, depth: int | None = None) -> float:
    """Analytic forward FLOPs of one stateful layer over one host layer (K = N previous-image tokens); with
    `depth`, of the whole tower: the patch embedding (3 x 2 x 14 x 14 -> d per patch) and the 2x2 merger
    (4d -> 4d -> 1536 per merged token) are not duplicated."""
    host = 2 * (4 * n * d * d + 2 * n * n * d + 2 * n * d * ff)
    added = {
        "stateless": 0, "adaln_zero": 0,
        "cross": 2 * (4 * n * d * d + 2 * n * n * d),
        "cross_ffn": 2 * (4 * n * d * d + 2 * n * n * d + 2 * n * d * ff),
        "self_ffn": 2 * (4 * n * d * d + 2 * n * n * d + 2 * n * d * ff),
        "self_ext": 2 * (2 * n * d * d + 2 * n * n * d),
    }[variant]
    if depth is None:
        return (host + added) / host
    outside = 2 * n * 1176 * d + 2 * (n // 4) * (4 * d * 4 * d + 4 * d * 1536)
    return (outside + depth * (host + added)) / (outside + depth * host)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def worker(args: argparse.Namespace) -> None:
    """Measure one variant in this (fresh) process and print JSON. Memory is the peak *added* by the forward
    (activations and temporaries), weights and inputs excluded."""
    model = build(args, args.worker)
    pixels, grid = inputs(args, 2)
    encode(model, pixels, grid)  # warm-up: allocator pools, kernels
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
    else:
        with open("/proc/self/clear_refs", "w") as refs:  # resets the peak-RSS counter (VmHWM)
            refs.write("5")
        base = _status_kib("VmRSS") * 1024
    ms = time_call(lambda: encode(model, pixels, grid), args.device, args.repeats)
    peak = torch.cuda.max_memory_allocated() if args.device.startswith("cuda") else _status_kib("VmHWM") * 1024
    print(json.dumps({"ms": ms, "peak_bytes": peak - base}))


def variant_table(args: argparse.Namespace) -> None:
    results = {}
    for variant in VARIANTS:
        cmd = [sys.executable, __file__, "--worker", variant, *sys.argv[1:]]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        results[variant] = json.loads(out)
        print(f"  measured {variant}", file=sys.stderr)
    base = results["stateless"]
    n = (args.image_size // 14) ** 2
    print(f"\n### Variants: 2 images at {args.image_size}x{args.image_size} ({n} patches each), depth {args.depth}, "
          f"{args.device}, {args.dtype}, median of {args.repeats}\n")
    print("| variant | forward ms | time vs stateless (whole tower, measured) | FLOP ratio per block (analytic) "
          "| FLOP ratio whole tower (analytic) | peak memory MiB | memory vs stateless |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant, r in results.items():
        print(f"| {variant} | {r['ms']:.0f} | {r['ms'] / base['ms']:.2f}x | {flop_ratio(variant, n, 1280, 5120):.2f}x "
              f"| {flop_ratio(variant, n, 1280, 5120, args.depth):.2f}x "
              f"| {r['peak_bytes'] / 2**20:.0f} | {r['peak_bytes'] / base['peak_bytes']:.2f}x |")


def flop_table(args: argparse.Namespace) -> None:
    """The analytic ratios alone (no measurement), for the 2B tower's full depth of 32 and for `--depth`."""
    n = (args.image_size // 14) ** 2
    print(f"\n### Analytic forward FLOPs over stateless, {n} patches per image\n")
    print(f"| variant | per block | whole tower, depth {args.depth} | whole tower, depth 32 |")
    print("|---|---:|---:|---:|")
    for variant in VARIANTS:
        print(f"| {variant} | {flop_ratio(variant, n, 1280, 5120):.2f}x "
              f"| {flop_ratio(variant, n, 1280, 5120, args.depth):.2f}x | {flop_ratio(variant, n, 1280, 5120, 32):.2f}x |")


def turn_table(args: argparse.Namespace) -> None:
    model = build(args, "cross_ffn")
    print(f"\n### Turn-k latency (cross_ffn): encode image k incrementally vs re-encode all k images, "
          f"median of {args.repeats}\n")
    print("| turn k | re-encode k images ms | incremental ms | speed-up |")
    print("|---:|---:|---:|---:|")
    for k in range(1, args.turns + 1):
        pixels, grid = inputs(args, k)
        joint = time_call(lambda: encode(model, pixels, grid), args.device, args.repeats)  # noqa: B023
        one_pixels, one_grid = inputs(args, 1)

        def incremental() -> None:
            session = StatefulSession(model)
            session.cache.tokens = dict(cache_tokens)  # noqa: B023 - state after k-1 turns, for each repeat
            session.cache.rotary = dict(cache_rotary)  # noqa: B023
            session.add_images(one_pixels, image_grid_thw=one_grid)  # noqa: B023

        warm = StatefulSession(model)
        for _ in range(k - 1):
            warm.add_images(one_pixels, image_grid_thw=one_grid)
        cache_tokens, cache_rotary = warm.cache.tokens, warm.cache.rotary
        inc = time_call(incremental, args.device, args.repeats)
        print(f"| {k} | {joint:.0f} | {inc:.0f} | {joint / inc:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depth", type=int, default=4, help="vision layers (the 2B tower has 32)")
    parser.add_argument("--image-size", type=int, default=448, help="image side in pixels")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per measurement (median)")
    parser.add_argument("--turns", type=int, default=8, help="largest k for the turn-k table")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--dtype", default="float32", help="float32 or bfloat16")
    parser.add_argument("--flops-only", action="store_true", help="print the analytic FLOP ratios only (instant)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    if args.worker:
        worker(args)
        return
    if args.flops_only:
        flop_table(args)
        return
    variant_table(args)
    turn_table(args)


if __name__ == "__main__":
    main()
