#!/usr/bin/env bash
# docs/RECIPE.md lesson 5: can the image_diff demo model tell shapes apart with more pixels per object and a
# harder-pushed description stage? The demo recipe at 112 px instead of 84 px (4x4 language-model tokens per
# image instead of 3x3), with two extra description stages and shape recall measured after each, then three
# `cross_ffn` stage-2 runs scored on the test split: as shipped, with descriptions mixed into the pairs, and with
# the edit operations drawn uniformly.
# About 2 h 30 min on 2 CPU cores.
#   bash scripts/image_diff_112px.sh        (run from the repository root, in the project's venv)
set -euo pipefail
export OMP_NUM_THREADS=2
data=runs/data/image_diff112
runs=runs/image_diff_112px
mkdir -p $runs
[ -d $data ] || python -m apps.image_diff.synthetic.make_dataset --out $data --n-train 6000 --n-val 300 --n-test 500 \
    --seed 0 --size 112
cat $data/train.jsonl $data/describe.jsonl > $data/stage1.jsonl
# the demo config with 112 px images in Qwen2-VL's own 14 px patches (as before lesson 6) and this data;
# everything else (model sizes, rates, steps) as shipped
sed -e 's/image_size: 84, patch_size: 7, merge_size: 2}/image_size: 112}/' -e "s#runs/data/image_diff/#$data/#" \
    configs/demo/image_diff.yaml > $runs/config.yaml
grep -q "image_size: 112}" $runs/config.yaml || {
  echo "configs/demo/image_diff.yaml's tiny sizes changed; update this script's sed" >&2; exit 1; }

stage() {  # $1 = output folder name, then `sve train` flags
  local out=$runs/$1
  shift
  [ -f $out/config.json ] || sve train $runs/config.yaml --output-dir $out "$@" > $out.log 2>&1
}
shapes() { python benchmarks/diff_shapes.py --model $runs/$1 --size 112 | sed -n '1p;4p'; }

stage stage1 --data $data/stage1.jsonl --variant stateless --max-steps 1500 && shapes stage1
stage stage1b --model $runs/stage1 --data $data/describe.jsonl --variant stateless --max-steps 2500 && shapes stage1b
stage stage1c --model $runs/stage1b --data $data/describe.jsonl --variant stateless --max-steps 1500 --lr 1e-3 \
    && shapes stage1c
stage stage1d --model $runs/stage1c --data $data/describe.jsonl --variant stateless --max-steps 1500 --lr 2e-3 \
    --trainable vision && shapes stage1d
# stage 2 as shipped (cross_ffn, 4000 steps on the pairs), from the last description stage
stage cross_ffn --model $runs/stage1d --variant cross_ffn
sve diff evaluate --data $data --split test --model $runs/cross_ffn --out $runs/eval_cross_ffn
# stage 2 on the pairs plus every second description, from stage 1c, to keep shapes in training
awk 'NR % 2 == 1' $data/describe.jsonl | cat $data/train.jsonl - > $data/stage2_mixed.jsonl
stage mixed_cross_ffn --model $runs/stage1c --data $data/stage2_mixed.jsonl --variant cross_ffn
sve diff evaluate --data $data --split test --model $runs/mixed_cross_ffn --out $runs/eval_mixed_cross_ffn
# stage 2 with the edit operations drawn uniformly (recolours as frequent as replacements): the first 1500 pairs
# of each of the 7 operations in a 24,000-pair training split of the same generator; val and test unchanged
big=runs/data/image_diff112_24k
[ -d $big ] || python -m apps.image_diff.synthetic.make_dataset --out $big --n-train 24000 --n-val 300 --n-test 500 \
    --seed 0 --size 112
python - $big <<'PY'
import collections, json, sys
taken, kept = collections.Counter(), []
for line in open(f"{sys.argv[1]}/train.jsonl"):
    operation = json.loads(line)["meta"]["edits"][0]["operation"]
    taken[operation] += 1
    kept += [line] if taken[operation] <= 1500 else []
open(f"{sys.argv[1]}/balanced.jsonl", "w").writelines(kept)
PY
stage balanced_cross_ffn --model $runs/stage1d --data $big/balanced.jsonl --variant cross_ffn
sve diff evaluate --data $data --split test --model $runs/balanced_cross_ffn --out $runs/eval_balanced_cross_ffn
