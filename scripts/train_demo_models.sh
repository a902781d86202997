#!/usr/bin/env bash
# Rebuild the embedded demo models: synthetic data -> the two-stage CPU recipe of docs/RECIPE.md with `sve train`
# (stage 1 stateless on the pairs; stage 2 cross_ffn injected into it, and a stateless twin trained the same way)
# -> scores on the synthetic test splits (runs/eval/) -> apps/<app>/demo_model/. About 1 h on 2 CPU cores.
#   bash scripts/train_demo_models.sh            (run from the repository root, in the project's venv)
set -euo pipefail
export OMP_NUM_THREADS=1   # one thread per run: several small runs in parallel beat one oversubscribed run
data=runs/data
mkdir -p runs/demo runs/eval
[ -d $data/cxr ] || python -m apps.cxr.make_dataset --out $data/cxr --n-train 4000 --n-val 300 --n-test 500 \
    --seed 0 --size 96 --dicom-size 192
[ -d $data/rs ] || python -m apps.rs_change.make_dataset --out $data/rs --n-train 4000 --n-val 300 --n-test 500 \
    --seed 0 --size 96
[ -d $data/image_diff ] || python -m apps.image_diff.make_dataset --out $data/image_diff --n-train 6000 \
    --n-val 300 --n-test 500 --seed 0 --size 96

two_stage() {  # $1 = app: stage 1, then both stage-2 variants side by side
  local app=$1 stage1=runs/demo/$1_stage1
  [ -f $stage1/config.json ] || sve train configs/demo/$app.yaml --variant stateless --max-steps 1000 \
      --output-dir $stage1 > runs/demo/$app-stage1.log 2>&1
  for variant in cross_ffn stateless; do
    [ -f runs/demo/${app}_$variant/config.json ] || sve train configs/demo/$app.yaml --model $stage1 \
        --variant $variant --output-dir runs/demo/${app}_$variant > runs/demo/$app-$variant.log 2>&1 &
  done
  wait
}
for app in cxr rs_change image_diff; do two_stage $app & done
wait

for variant in cross_ffn stateless; do
  sve cxr evaluate --data $data/cxr --split test --model runs/demo/cxr_$variant --out runs/eval/cxr_$variant
  sve rs evaluate --data $data/rs --split test --model runs/demo/rs_change_$variant --out runs/eval/rs_$variant
  sve diff evaluate --data $data/image_diff --split test --model runs/demo/image_diff_$variant \
      --out runs/eval/diff_$variant
done

for app in cxr rs_change image_diff; do
  dest=apps/$app/demo_model
  rm -rf $dest && mkdir -p $dest
  # the inference files only: no optimizer checkpoints, no training state
  cp runs/demo/${app}_cross_ffn/{config.json,generation_config.json,model.safetensors,chat_template.jinja} $dest/
  cp runs/demo/${app}_cross_ffn/{processor_config.json,tokenizer.json,tokenizer_config.json,train_config.yaml} $dest/
done
