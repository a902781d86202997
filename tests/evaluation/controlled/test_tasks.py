"""Controlled tasks: seeded generators, hand-checked answers, and the metrics' permutation invariance."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from evaluation.controlled.change_text import TEMPLATES, key_of, parse_answer, parse_sentence, sentence
from evaluation.controlled.dots import DotsTask, answer_value, hull_area, normalised_distance, subtask
from evaluation.controlled.export import example_rng, mixture, write_dataset
from evaluation.controlled.metrics import (
    UNPARSEABLE_ERROR,
    aligned_answer,
    change_scores,
    location_scores,
    match_changes,
    parse_point,
    perplexity,
    regression_scores,
)
from evaluation.controlled.multi_change import MultiChangeTask, apply_changes
from evaluation.controlled.scene import Attributes, random_attributes, random_scene
from sve_core.data import load_jsonl

SMALL = MultiChangeTask(image_size=56, grid=4, objects=(3, 6), changes=(1, 2))


# --- generators -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("generate", [DotsTask().aggregate, DotsTask().locate, DotsTask().locate_few, SMALL.change,
                                      SMALL.describe, SMALL.object_at],
                         ids=["dots", "locate", "locate_few", "change", "describe", "object_at"])
def test_generators_are_deterministic(generate):
    a, b = generate(example_rng(3, "train", 7)), generate(example_rng(3, "train", 7))
    other = generate(example_rng(3, "train", 8))
    assert (a.prompt, a.answer, a.meta) == (b.prompt, b.answer, b.meta)
    assert [im.tobytes() for im in a.images] == [im.tobytes() for im in b.images]
    assert [im.tobytes() for im in a.images] != [im.tobytes() for im in other.images]


def test_write_dataset_layout_loads_and_repeats_byte_for_byte(tmp_path):
    generate = mixture([DotsTask().aggregate, SMALL.change])
    first = write_dataset(tmp_path / "one", generate, {"train": 4, "val": 2}, seed=1, progress=False)
    second = write_dataset(tmp_path / "two", generate, {"train": 4, "val": 2}, seed=1, progress=False)
    assert (first / "train.jsonl").read_text() == (second / "train.jsonl").read_text()
    assert (first / "images/train/000000_a.png").read_bytes() == (second / "images/train/000000_a.png").read_bytes()
    samples = load_jsonl(first / "train.jsonl")  # the trainer's own loader accepts it
    assert len(samples) == 4
    assert all(s.messages[0].content.count("<image>") == len(s.images) >= 2 for s in samples)


# --- spatial aggregation ----------------------------------------------------------------------------------

def test_dot_geometry_on_hand_built_points():
    assert normalised_distance((0, 0), (1, 1)) == pytest.approx(1.0)
    assert normalised_distance((0, 0), (1, 0)) == pytest.approx(1 / math.sqrt(2))
    assert hull_area([(0, 0), (1, 0), (0, 1)]) == pytest.approx(0.5)
    assert hull_area([(0, 0), (1, 0), (1, 1), (0, 1), (0.5, 0.5)]) == pytest.approx(1.0)  # inner point
    assert hull_area([(0, 0), (0.5, 0.5), (1, 1)]) == 0.0  # collinear
    assert answer_value([(0.1, 0.1), (0.1, 0.5)]) == pytest.approx(0.4 / math.sqrt(2))
    assert [subtask(n) for n in (2, 3, 4, 5)] == ["distance", "triangle", "hull", "hull"]


def test_dot_answer_matches_the_drawn_dots():
    task = DotsTask(image_size=112)
    example = task.aggregate(random.Random(5))
    points = []
    for image in example.images:
        pixels = np.asarray(image).astype(int)
        red = (pixels[..., 0] > 180) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)
        ys, xs = np.nonzero(red)
        points.append(((xs.mean() + 0.5) / 112, (ys.mean() + 0.5) / 112))
    assert float(example.answer) == pytest.approx(answer_value(points), abs=0.01)
    assert example.answer == f"{example.meta['value']:.4f}"


def test_few_dots_are_answered_left_to_right():
    example = DotsTask(image_size=112).locate_few(random.Random(3))
    points = [parse_point(part + ")") for part in example.answer.split(") ")]
    assert 2 <= len(points) <= 3 and [p[0] for p in points] == sorted(p[0] for p in points)
    assert points == [pytest.approx((round(x, 2), round(y, 2))) for x, y in example.meta["points"]]


# --- multi-object change ----------------------------------------------------------------------------------

def test_object_at_names_what_the_cell_holds():
    task = MultiChangeTask(image_size=56, grid=4, objects=(3, 6), changes=(1, 2))
    answers = [task.object_at(example_rng(0, "train", i)) for i in range(40)]
    assert any(a.answer == "nothing." for a in answers) and sum(a.answer != "nothing." for a in answers) > 20
    rng = example_rng(0, "train", 1)
    scene, example = task.scene(example_rng(0, "train", 1)), task.object_at(rng)
    row, column = example.meta["cell"]
    found = [o for o in scene.objects if o.cell == (row, column)]
    assert example.prompt == f"What is in row {row + 1}, column {column + 1}?"
    assert example.answer == (f"a {found[0].attributes.phrase()}." if found else "nothing.")

@pytest.mark.parametrize("kind", ["move", "add", "delete", "replace"])
def test_each_change_kind_does_what_it_says(kind):
    rng = random.Random(0)
    scene = random_scene(rng, grid=4, objects=5)
    after, [change] = apply_changes(rng, scene, [kind], jitter=0.0)
    before_objects, after_objects = set(scene.objects), set(after.objects)
    if kind == "add":
        assert after_objects - before_objects == {change.new} and change.new.cell in scene.free_cells()
    elif kind == "delete":
        assert before_objects - after_objects == {change.old} and len(after.objects) == 4
    elif kind == "move":
        assert change.new.attributes == change.old.attributes and change.new.cell != change.old.cell
        assert change.new.cell in scene.free_cells()
    else:
        assert change.new.cell == change.old.cell
        assert (change.new.attributes.color, change.new.attributes.shape) != (change.old.attributes.color,
                                                                                change.old.attributes.shape)
    assert len({o.cell for o in after.objects}) == len(after.objects)  # never two objects in one cell


def test_change_answer_parses_back_to_its_ground_truth():
    task = MultiChangeTask(image_size=112, grid=8, objects=(10, 40), changes=(1, 4))
    for index in range(20):
        example = task.change(example_rng(0, "test", index))
        assert [k.fields() for k in parse_answer(example.answer)] == [tuple(c) for c in example.meta["changes"]]


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_template_round_trips(kind):
    rng = random.Random(kind)
    for template in TEMPLATES[kind]:
        old, new = random_attributes(rng), Attributes("small", "gray", "triangle")
        key = key_of(kind, old, new)
        assert parse_sentence(sentence(template, old, new)) == key, template


def test_lexical_variants_are_normalised():
    gold = parse_sentence("the small gray circle was removed.")
    assert parse_sentence("The tiny grey ball disappeared!") == gold
    assert parse_sentence("someone removed the small gray sphere") == gold
    swapped = parse_sentence("a big blue cube replaced the small red triangle")
    assert swapped == parse_sentence("the small red triangle was replaced by a large blue square.")
    assert parse_sentence("nothing to see here") is None


# --- metrics ----------------------------------------------------------------------------------------------

REFERENCE = "the large red circle moved. a small blue square appeared. the small gray triangle is gone."


def test_change_accuracy_is_permutation_invariant():
    shuffled = "someone removed the small gray triangle. a small blue square was added. the large red circle moved."
    assert change_scores([REFERENCE], [shuffled]).acc == 100.0
    assert aligned_answer(REFERENCE, shuffled).split(". ")[0] == "the large red circle moved"


def test_partial_and_spurious_matches():
    two_of_three = "the large red circle moved. a small blue square appeared. the large gray triangle is gone."
    scores = change_scores([REFERENCE], [two_of_three])
    assert scores.acc == pytest.approx(200 / 3) and scores.type_acc == 100.0
    extra = REFERENCE + " a large cyan circle appeared."
    assert change_scores([REFERENCE], [extra]).acc == pytest.approx(75.0)  # 3 of max(3, 4)
    assert change_scores([REFERENCE], ["the red thing changed somehow."]).acc == 0.0
    match = match_changes(REFERENCE, "the small gray triangle disappeared.")
    assert (match.exact, match.references, match.predictions) == (1, 3, 1)
    pooled = change_scores([REFERENCE, "a small blue square appeared."], [two_of_three, "a small blue square appeared."])
    assert pooled.acc == pytest.approx(100 * 3 / 4)  # slots pooled over the set


def test_regression_scores_and_unparseable_penalty():
    scores = regression_scores([0.5, 0.2], ["0.5100", "0.1700"])
    assert scores.mae == pytest.approx(2.0) and scores.rmse == pytest.approx(100 * math.sqrt((0.01 ** 2 + 0.03 ** 2) / 2))
    bad = regression_scores([0.5], ["no idea"])
    assert bad.mae == pytest.approx(100 * UNPARSEABLE_ERROR) and bad.parsed == 0.0
    assert regression_scores([0.25], ["7.5"]).mae == pytest.approx(75.0)  # clipped to [0, 1] first


def test_location_scores_per_coordinate():
    assert parse_point("(0.85, 0.10)") == (0.85, 0.10)
    scores = location_scores([(0.5, 0.2)], ["(0.51, 0.17)"])
    assert scores.mae == pytest.approx(2.0) and scores.parsed == 1.0 and scores.count == 2
    half = location_scores([(0.5, 0.2)], ["(0.5"])  # y missing: the unparseable penalty for that coordinate
    assert half.mae == pytest.approx(100 * UNPARSEABLE_ERROR / 2) and half.parsed == 0.5


def test_perplexity_is_token_weighted():
    assert perplexity(10 * math.log(2.0), 10) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        perplexity(1.0, 0)


# --- the design-study bench (scoring and tables; training itself is covered by test_recipe) ----------------

class _NoCaptions:
    """Stands in for evaluation.captions.CaptionScorer (its Java start is not what these tests check)."""

    def tokenize(self, references, predictions):
        return references, predictions

    def score(self, captions):
        return {"BLEU-4": 0.0, "CIDEr": 0.0}


def test_bench_scores_summary_and_table(tmp_path):
    from evaluation.controlled.bench import constant_baseline, score_run, task_of
    from evaluation.controlled.study_report import format_table, summarise

    generate = mixture([DotsTask(counts=(2, 3)).aggregate, SMALL.change])
    folder = write_dataset(tmp_path / "d", generate, {"train": 12, "test": 12}, progress=False)
    test = load_jsonl(folder / "test.jsonl")
    perfect = [s.messages[-1].content for s in test]
    runs = [score_run(test, {"variant": v, "seed": seed, "train_seconds": 1.0, "ppl": 1.5, "answers": perfect},
                      _NoCaptions()) for v in ("stateless", "cross_ffn") for seed in (0, 1)]
    assert {task_of(s) for s in test} == {"dots", "change"}
    assert all(r["mae"] < 0.01 and r["acc"] == 100.0 and r["type_acc"] == 100.0 for r in runs)
    summary = summarise(runs, ["stateless", "cross_ffn"])
    assert summary["cross_ffn"]["acc"] == [100.0, 0.0] and summary["stateless"]["ppl"] == [1.5, 0.0]
    assert summary["cross_ffn"]["seeds"] == [2.0, 0.0]
    baseline = constant_baseline(load_jsonl(folder / "train.jsonl"), test)
    table = format_table(summary, baseline)
    assert "| cross_ffn | " in table and "constant (train mean)" in table and baseline["mae"] > 0
    changes = len({reference for reference in perfect if not reference[0].isdigit()})
    assert runs[0]["distinct"] == baseline["distinct"] == changes > 1  # perfect answers: as many as the references
    assert table.splitlines()[-1].endswith(f"| {changes} |")


def test_pretrain_check_scores_the_pretrained_model_against_the_centre(tmp_path):
    from evaluation.controlled.bench import pretrain_check
    from sve_core.tiny import tiny_vlm

    folder = write_dataset(tmp_path / "d", mixture([DotsTask().locate, SMALL.describe]), {"val": 8}, progress=False)
    model, processor = tiny_vlm("qwen2_vl")
    model.save_pretrained(tmp_path / "m")
    processor.save_pretrained(tmp_path / "m")
    check = pretrain_check(tmp_path / "m", folder)
    located = [s for s in load_jsonl(folder / "val.jsonl") if s.messages[0].content.endswith("red dot?")]
    assert check["count"] == len(located) > 0
    centre = location_scores([parse_point(s.messages[-1].content) for s in located], ["(0.5, 0.5)"] * len(located))
    assert check["centre_mae"] == pytest.approx(centre.mae) and 0 <= check["parsed"] <= 1
    assert check["mae"] >= 0 and check["rmse"] >= check["mae"]
