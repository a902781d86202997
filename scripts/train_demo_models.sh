#!/usr/bin/env bash
# Rebuild the embedded demo models from scratch: synthetic data -> `sve train` (SVE and a stateless twin trained
# the same way) -> scores on the synthetic test splits -> apps/<app>/demo_model/. About 1 h on 2 CPU cores.
#   bash scripts/train_demo_models.sh            (run from the repository root, in the project's venv)
set -euo pipefail
export OMP_NUM_THREADS=1   # one thread per run: several small runs in parallel beat one oversubscribed run
data=runs/data
[ -d $data/cxr ] || python -m apps.cxr.make_dataset --out $data/cxr --n-train 4000 --n-val 300 --n-test 500 \
    --seed 0 --size 96 --dicom-size 192
[ -d $data/rs ] || python -m apps.rs_change.make_dataset --out $data/rs --n-train 4000 --n-val 300 --n-test 500 \
    --seed 0 --size 96
[ -d $data/image_diff ] || python -m apps.image_diff.make_dataset --out $data/image_diff --n-train 6000 \
    --n-val 300 --n-test 500 --seed 0 --size 96

for variant in cross_ffn stateless; do
  for app in cxr rs_change image_diff; do
    sve train configs/demo/$app.yaml --variant $variant --output-dir runs/demo/${app}_$variant \
        > runs/demo_${app}_$variant.log 2>&1 &
  done
  wait
done

sve cxr evaluate --data $data/cxr --split test --model runs/demo/cxr_cross_ffn --out runs/eval/cxr_cross_ffn
sve cxr evaluate --data $data/cxr --split test --model runs/demo/cxr_stateless --out runs/eval/cxr_stateless
python -m apps.cxr.export_mdvqa --data $data/cxr --out $data/cxr_mdvqa
sve eval cxr-diff --data $data/cxr_mdvqa --split test --model runs/demo/cxr_cross_ffn --out runs/eval/cxr_diff
sve rs evaluate --data $data/rs --split test --model runs/demo/rs_change_cross_ffn --out runs/eval/rs_cross_ffn
sve rs evaluate --data $data/rs --split test --model runs/demo/rs_change_stateless --out runs/eval/rs_stateless
sve diff evaluate --data $data/image_diff --split test --model runs/demo/image_diff_cross_ffn --out runs/eval/diff_cross_ffn
sve diff evaluate --data $data/image_diff --split test --model runs/demo/image_diff_stateless --out runs/eval/diff_stateless

for app in cxr rs_change image_diff; do
  dest=apps/$app/demo_model
  rm -rf $dest && mkdir -p $dest
  # the inference files only: no optimizer checkpoints, no training state
  cp runs/demo/${app}_cross_ffn/{config.json,generation_config.json,model.safetensors,chat_template.jinja} $dest/
  cp runs/demo/${app}_cross_ffn/{processor_config.json,tokenizer.json,tokenizer_config.json,train_config.yaml} $dest/
done
