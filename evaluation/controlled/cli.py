"""`sve bench ...`: the controlled design study and the tiny-model recipe study (logic in this package)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("bench", help="benchmarks: the controlled design study",
                                   description="Benchmarks that train tiny models on CPU and print paper-style tables.")
    commands = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)

    controlled = commands.add_parser(
        "controlled", help="pretrain a tiny stateless VLM, finetune every SVE variant, print the design-study table",
        description="The paper's design study in miniature: dots (MAE/RMSE x10^-2) and multi-object change "
                    "(Acc, CIDEr, PPL), mean ± std over seeds. Writes results.json and controlled.png to --out.")
    controlled.add_argument("--quick", action="store_true",
                            help="the <= 15 minute preset (2 CPU cores) instead of the full study")
    controlled.add_argument("--out", default=None,
                            help="folder for results.json and controlled.png (default: benchmarks/controlled/quick "
                                 "or .../full)")
    controlled.add_argument("--work-dir", default=None,
                            help="generated data, models and per-run logs (default: runs/controlled/quick or .../full)")
    controlled.add_argument("--variants", nargs="+", default=None, help="variants to compare (default: all six)")
    controlled.add_argument("--seeds", nargs="+", type=int, default=None, help="finetuning seeds (default: 0 1 2)")
    controlled.add_argument("--jobs", type=int, default=None, help="finetuning runs in parallel (default: 2)")
    controlled.add_argument("--only", nargs="+", default=None, metavar="VARIANT:SEED",
                            help="finetune only these runs in this sitting (e.g. cross_ffn:0 stateless:0); the table "
                                 "reports every run kept in --out, so a study can be spread over several sittings")
    controlled.add_argument("--report", action="store_true",
                            help="finetune nothing: tables, results.json and the plot from the runs kept in --out")
    controlled.add_argument("--pretrain-steps", type=int, default=None, help="override the preset's pretraining steps")
    controlled.add_argument("--recipe", default=None,
                            help="a recipe YAML replacing the preset's model and stages, e.g. the paper's scale: "
                                 "configs/recipes/controlled_qwen3_vl_4b.yaml")
    controlled.set_defaults(func=run_controlled)

    recipe = commands.add_parser(
        "recipe", help="learning curves of the tiny-model recipe (change-type accuracy vs steps per variant)",
        description="Trains the recipe's two stages on the synthetic change task and scores greedy answers on "
                    "held-out pairs every --every steps. Writes curves.json and curves.png to --out.")
    recipe.add_argument("--recipe", default="configs/recipes/tiny_change.yaml", help="recipe YAML")
    recipe.add_argument("--out", default="benchmarks/controlled/recipe/main",
                        help="folder for curves.json, curves.png and the live <variant>.curve.jsonl")
    recipe.add_argument("--work-dir", default="runs/recipe",
                        help="generated data (shared between studies) and model checkpoints")
    recipe.add_argument("--variants", nargs="+", default=["stateless", "cross_ffn"], help="stage-2 variants")
    recipe.add_argument("--seed", type=int, default=0, help="seed of both stages")
    recipe.add_argument("--every", type=int, default=100, help="score held-out answers every N steps")
    recipe.add_argument("--finetune-steps", type=int, default=None, help="override the recipe's stage-2 steps")
    recipe.add_argument("--pretrain-steps", type=int, default=None,
                        help="override the recipe's stage-1 steps (0 = no pretraining: train from scratch)")
    recipe.add_argument("--lr", type=float, default=None, help="override both stages' learning_rate")
    recipe.add_argument("--sve-lr", type=float, default=None, help="override stage 2's sve_lr")
    recipe.add_argument("--image-size", type=int, default=None, help="override the recipe's image size (px)")
    recipe.add_argument("--grid", type=int, default=2, help="scene grid (cells per side)")
    recipe.add_argument("--objects", type=int, nargs=2, default=(1, 3), metavar=("MIN", "MAX"),
                        help="objects per change scene")
    recipe.add_argument("--describe-objects", type=int, nargs=2, default=None, metavar=("MIN", "MAX"),
                        help="objects per stage-1 scene (default: --objects)")
    recipe.add_argument("--stage1", choices=("describe", "change"), default="describe",
                        help="stage-1 data: single-image descriptions, or the change pairs (stateless)")
    recipe.set_defaults(func=run_recipe)
    return parser


def run_controlled(args: argparse.Namespace) -> int:
    import dataclasses

    from evaluation.controlled.bench import full, quick
    from evaluation.controlled.recipe import load_recipe
    from evaluation.controlled.study import StudyError, run_bench

    settings = quick() if args.quick else full()
    try:
        recipe = load_recipe(args.recipe) if args.recipe else settings.recipe
        if args.pretrain_steps is not None:
            recipe = dataclasses.replace(recipe, pretrain={**recipe.pretrain, "max_steps": args.pretrain_steps})
        changes = {k: v for k, v in {"variants": tuple(args.variants or ()), "seeds": tuple(args.seeds or ()),
                                     "only": tuple(args.only or ()), "jobs": args.jobs}.items() if v}
        settings = dataclasses.replace(settings, recipe=recipe, **changes)
        preset = "quick" if args.quick else "full"
        report = run_bench(settings, args.out or f"benchmarks/controlled/{preset}",
                           args.work_dir or f"runs/controlled/{preset}", report_only=args.report)
    except (StudyError, ValueError) as error:  # RecipeError and the settings' checks are ValueErrors
        print(f"error: {error}")
        return 2
    check = report.pretrained
    if "mae" in check:
        print(f"pretrained model, single-dot location on its validation split: MAE {check['mae']:.2f}, RMSE "
              f"{check['rmse']:.2f} (x10^-2; always the centre: {check['centre_mae']:.2f}, {check['centre_rmse']:.2f})"
              f"; {check['verdict']}")
    if report.stopped:
        print(f"\nstudy stopped before finetuning: {report.stopped}")
        return 1
    print(f"\n{report.table}\n\n{report.paired}\n\n{report.ranking}")
    if report.pending:
        print(f"\nnot done yet ({len(report.pending)}): {' '.join(report.pending)}; run the command again to go on")
    print(f"\n{len(report.runs)} runs kept, this sitting {report.seconds / 60:.1f} min; wrote "
          + ", ".join(str(f) for f in report.files))
    return 0


def run_recipe(args: argparse.Namespace) -> int:
    from evaluation.controlled.recipe import load_recipe
    from evaluation.controlled.recipe_study import StudyTask, run_study

    stage = {"max_steps": args.finetune_steps, "learning_rate": args.lr, "sve_lr": args.sve_lr}
    recipe = load_recipe(args.recipe, stage_overrides={
        "pretrain": {"max_steps": args.pretrain_steps, "learning_rate": args.lr},
        "finetune": stage}, image_size=args.image_size)
    task = StudyTask(grid=args.grid, objects=tuple(args.objects),
                     describe_objects=tuple(args.describe_objects or args.objects), stage1=args.stage1)
    report = run_study(recipe, args.out, args.work_dir, task=task, variants=args.variants, seed=args.seed, every=args.every)
    print(report.table)
    print("\nwrote " + ", ".join(str(f) for f in report.files))
    return 0
