"""`sve eval captions|levir-cc|cxr-diff|judge`: thin argument parsing over `evaluation.runners`.

Every command prints a markdown table (or the JSON payload with `--json`) and writes both, plus generated
predictions when `--model` was used, to `--out`. Errors a user can act on are printed without a traceback, exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from evaluation.errors import EvaluationInputError
from evaluation.report import Report
from sve_core.errors import group_main


def _captions(args: argparse.Namespace) -> Report:
    from evaluation.runners.captions import run_captions

    return run_captions(args.references, args.predictions, meteor=args.meteor)


def _levir_cc(args: argparse.Namespace) -> Report | int | None:
    from evaluation.distributed import launched, relaunch
    from evaluation.runners.levir_cc import PROMPT, LevirCCRun, run_levir_cc

    if args.num_processes > 1 and not launched():
        argv = sys.argv[1:]
        return relaunch("evaluation.cli", argv[1:] if argv[:1] == ["eval"] else argv, args.num_processes)

    config = LevirCCRun(
        data=args.data,
        split=args.split,
        predictions=args.predictions,
        model=args.model,
        meteor=args.meteor,
        prompt=args.prompt or PROMPT,
        work=args.out / ".sve_run_levir_cc",
    )
    return run_levir_cc(config)


def _cxr_diff(args: argparse.Namespace) -> Report:
    from evaluation.runners.cxr_diff import CxrDiffRun, run_cxr_diff

    config = CxrDiffRun(
        data=args.data,
        split=args.split,
        predictions=args.predictions,
        model=args.model,
        images=args.images,
        meteor=args.meteor,
    )
    return run_cxr_diff(config)


def _judge(args: argparse.Namespace) -> Report:
    from evaluation.openai_judge import OpenAIJudge
    from evaluation.predict import load_captioner
    from evaluation.runners.judge import JudgeRun, run_judge

    config = JudgeRun(
        a=args.a,
        b=args.b,
        references=args.references,
        images=args.images,
        data=args.data,
        split=args.split,
        name_a=args.name_a,
        name_b=args.name_b,
    )
    if args.endpoint is None:
        return run_judge(config, load_captioner(args.judge_local).describe, args.judge_local)
    if not args.judge_model:
        raise EvaluationInputError("--endpoint needs --judge-model (the model's name on that server).")
    judge = OpenAIJudge(
        endpoint=args.endpoint,
        model=args.judge_model,
        api_key=os.environ.get(args.api_key_env),
        max_tokens=args.max_tokens,
        timeout_s=args.timeout,
    )
    return run_judge(config, judge, args.judge_model)


def _handler(build: Callable[[argparse.Namespace], Report | int | None]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        report = build(args)
        if not isinstance(report, Report):  # a relaunch's exit status, or a non-main process of a launch
            return report or 0
        written = report.write(args.out)
        print(json.dumps(report.payload, indent=2) if args.json else report.markdown)
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
        return 0

    return run


def _common(parser: argparse.ArgumentParser, *, meteor: bool = True) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("outputs/eval"), help="folder for the .md and .json results"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the JSON payload instead of the markdown table"
    )
    if meteor:
        parser.add_argument(
            "--no-meteor",
            dest="meteor",
            action="store_false",
            help="skip METEOR (and Sm*), saving a ~10 s Java start",
        )


def _source(parser: argparse.ArgumentParser, predictions_help: str) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", type=Path, help=predictions_help)
    source.add_argument(
        "--model", help="checkpoint to generate predictions with (sve_core.inference.load_describer)"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score captions, LEVIR-CC, CXR change reports, or judge two systems",
        description="Benchmarks and metrics; numbers match pycocoevalcap's scorers exactly.",
    )
    commands = parser.add_subparsers(dest="eval_command", metavar="BENCHMARK", required=True)

    captions = commands.add_parser(
        "captions", help="BLEU-1..4, METEOR, ROUGE-L, CIDEr, Sm* of any caption set"
    )
    captions.add_argument("--references", type=Path, required=True, help='JSON {"<id>": ["reference", ...]}')
    captions.add_argument(
        "--predictions",
        type=Path,
        required=True,
        help='JSON {"<id>": "text"} or [{"id": ..., "caption": ...}]',
    )
    _common(captions)
    captions.set_defaults(func=_handler(_captions))

    levir = commands.add_parser("levir-cc", help="LEVIR-CC change captions, our row under the published ones")
    levir.add_argument(
        "--data", type=Path, required=True,
        help="folder with LevirCCcaptions.json, and images/ (only needed with --model: --predictions are scored "
        "from the JSON alone)",
    )
    levir.add_argument("--split", choices=("train", "val", "test"), default="test", help="split to score")
    _source(levir, 'JSON {"<filename>": "caption"} (ids are the filenames, e.g. test_000000.png)')
    levir.add_argument("--prompt", help="question asked with --model (default: the runner's LEVIR-CC prompt)")
    levir.add_argument("--num-processes", type=int, default=1,
                       help="split --model's generation over N processes (default 1; under accelerate launch "
                       "or torchrun the launch decides); an interrupted run resumes")
    _common(levir)
    levir.set_defaults(func=_handler(_levir_cc))

    cxr = commands.add_parser(
        "cxr-diff", help="Medical-Diff-VQA difference answers: text metrics and RATE-style F1"
    )
    cxr.add_argument("--data", type=Path, required=True, help="folder with mimic_pair_questions.csv")
    cxr.add_argument("--split", default="test", help="split to score (train, val or test)")
    cxr.add_argument(
        "--images",
        type=Path,
        help="MIMIC-CXR-JPG root (metadata CSV and files/) for --model; defaults to --data",
    )
    _source(cxr, 'JSON {"<row index of mimic_pair_questions.csv>": "answer"}')
    _common(cxr)
    cxr.set_defaults(func=_handler(_cxr_diff))

    judge = commands.add_parser("judge", help="pairwise MLLM judge of two systems: win / tie / loss")
    judge.add_argument("--a", type=Path, required=True, help="system A's predictions JSON")
    judge.add_argument("--b", type=Path, required=True, help="system B's predictions JSON")
    items = judge.add_mutually_exclusive_group(required=True)
    items.add_argument("--references", type=Path, help='JSON {"<id>": ["reference", ...]} shown to the judge')
    items.add_argument("--data", type=Path, help="ImgEdit-style folder (<split>.jsonl + images) instead")
    judge.add_argument(
        "--images", type=Path, help='JSON {"<id>": ["image", ...]} for --references (else text only)'
    )
    judge.add_argument("--split", default="test", help="split of --data")
    backend = judge.add_mutually_exclusive_group(required=True)
    backend.add_argument("--endpoint", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    backend.add_argument("--judge-local", help="local checkpoint judged through sve_core.inference instead")
    judge.add_argument("--judge-model", help="the judge model's name on --endpoint")
    judge.add_argument(
        "--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key"
    )
    judge.add_argument("--max-tokens", type=int, default=16, help="reply budget of the judge")
    judge.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one judge reply")
    judge.add_argument("--name-a", default="A", help="label of system A in the table")
    judge.add_argument("--name-b", default="B", help="label of system B in the table")
    _common(judge, meteor=False)
    judge.set_defaults(func=_handler(_judge))


def main(argv: list[str] | None = None) -> int:
    """`python -m evaluation.cli COMMAND ...` (what a multi-process `sve eval` starts in each process)."""
    return group_main("eval", "evaluation.cli", register, argv)


if __name__ == "__main__":
    raise SystemExit(main())
