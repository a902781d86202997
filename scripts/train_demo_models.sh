#!/usr/bin/env bash
# Rebuild the embedded demo models: synthetic data -> the staged CPU recipe of docs/RECIPE.md with `sve train`
# -> scores on the synthetic test splits (runs/eval/) -> apps/<app>/demo_model/.
#   stage 1   a stateless model on single-image descriptions plus the pairs (1500 steps)
#   stage 1b  image_diff only: 2500 more steps on the descriptions alone (after stage 1 it named backgrounds but
#             not yet the objects an edit is about)
#   stage 2   cross_ffn injected into the stage-1 model, and a stateless twin trained the same way (2000 steps;
#             4000 for image_diff)
#   stage 2b  image_diff only (configs/demo/image_diff_stage2b.yaml): 3000 more steps on the same pairs whose
#             answers first say what the edited object was and became (`make_dataset --observations`)
# About 4.5 h on 2 CPU cores (image_diff in 7 px patches is the longest: its stages 2 and 2b run at ~0.55 steps/s
# with one thread while its twin trains alongside).
#   bash scripts/train_demo_models.sh            (run from the repository root, in the project's venv)
#   RUNS=runs/demo2 bash scripts/train_demo_models.sh      (another folder for the runs)
#   APPS="image_diff" bash scripts/train_demo_models.sh    (some apps only; the others' demo models stay)
#   then (separately, from the shipped models) scripts/retrain_rs_nuisance.sh and
#   scripts/retrain_image_diff_noedit.sh: stage 2c of issues 21 and 27 (nuisance pairs answered "no change" / "no edit")
set -euo pipefail
export OMP_NUM_THREADS=1   # one thread per run: several small runs in parallel beat one oversubscribed run
data=runs/data
runs=${RUNS:-runs/demo}
apps=${APPS:-cxr rs_change image_diff}
mkdir -p $runs runs/eval
has() { [[ " $apps " == *" $1 "* ]]; }
! has cxr || [ -d $data/cxr ] || python -m apps.cxr.phantoms.make_dataset --out $data/cxr --n-train 4000 \
    --n-val 300 --n-test 500 --seed 0 --size 96 --dicom-size 192
rs_data=$data/rs
! has rs_change || [ -d $rs_data ] || python -m apps.rs_change.synthetic.make_dataset --out $rs_data --n-train 4000 \
    --n-val 300 --n-test 500 --seed 0 --size 96
! has image_diff || [ -d $data/image_diff ] || python -m apps.image_diff.synthetic.make_dataset --out $data/image_diff \
    --n-train 6000 --n-val 300 --n-test 500 --seed 0 --size 96
! has image_diff || [ -d $data/image_diff_observed ] || python -m apps.image_diff.synthetic.make_dataset --observations \
    --out $data/image_diff_observed --n-train 6000 --n-val 300 --n-test 500 --seed 0 --size 96

train_variant() {  # $1 = app, $2 = stage-1 model, $3 = variant; stage 2b where configs/demo/<app>_stage2b.yaml is
  local app=$1 out=$runs/$1_$3 stage2=$runs/$1_$3 stage2b=configs/demo/$1_stage2b.yaml
  [ ! -f $stage2b ] || stage2=${out}_stage2
  [ -f $stage2/config.json ] || sve train configs/demo/$app.yaml --model $2 --variant $3 --output-dir $stage2 \
      > $runs/$app-$3.log 2>&1
  [ ! -f $stage2b ] || [ -f $out/config.json ] || sve train $stage2b --model $stage2 --variant $3 \
      --output-dir $out > $runs/$app-$3-stage2b.log 2>&1
}

train_app() {  # $1 = app, $2 = its data folder, $3 = stage-1b steps (0: none)
  local app=$1 base=$runs/$1_stage1
  cat $2/train.jsonl $2/describe.jsonl > $2/stage1.jsonl   # one file: the tokenizer learns both stages' words
  [ -f $base/config.json ] || sve train configs/demo/$app.yaml --data $2/stage1.jsonl --variant stateless \
      --max-steps 1500 --output-dir $base > $runs/$app-stage1.log 2>&1
  if [ "$3" != 0 ]; then
    [ -f ${base}b/config.json ] || sve train configs/demo/$app.yaml --model $base --data $2/describe.jsonl \
        --variant stateless --max-steps $3 --output-dir ${base}b > $runs/$app-stage1b.log 2>&1
    base=${base}b
  fi
  for variant in cross_ffn stateless; do
    train_variant $app $base $variant &
  done
  wait
}
! has cxr || train_app cxr $data/cxr 0 &
! has rs_change || train_app rs_change $rs_data 0 &
! has image_diff || train_app image_diff $data/image_diff 2500 &
wait

for variant in cross_ffn stateless; do
  if has cxr; then
    sve cxr evaluate --data $data/cxr --split test --model $runs/cxr_$variant --out runs/eval/cxr_$variant
    # the issue-level scorer on the same test split: RATE-style F1 (Medical-Diff-VQA layout)
    [ -d $data/cxr_mdvqa ] || python -m apps.cxr.phantoms.export_mdvqa --data $data/cxr --out $data/cxr_mdvqa
    sve eval cxr-diff --data $data/cxr_mdvqa --split test --model $runs/cxr_$variant --out runs/eval/cxr_diff_$variant
  fi
  if has rs_change; then
    # p(change) and change-map thresholds on the validation split, stored beside the model (change_calibration.json)
    sve rs calibrate --data $rs_data --split val --model $runs/rs_change_$variant
    sve rs evaluate --data $rs_data --split test --model $runs/rs_change_$variant --out runs/eval/rs_$variant
    sve eval levir-cc --data $rs_data --split test --model $runs/rs_change_$variant --out runs/eval/levircc_$variant
  fi
  ! has image_diff || sve diff evaluate --data $data/image_diff --split test --model $runs/image_diff_$variant \
      --out runs/eval/diff_$variant
done

for app in $apps; do
  dest=apps/$app/demo_model
  rm -rf $dest && mkdir -p $dest
  # the inference files only: no optimizer checkpoints, no training state
  cp $runs/${app}_cross_ffn/{config.json,generation_config.json,model.safetensors,chat_template.jinja} $dest/
  cp $runs/${app}_cross_ffn/{processor_config.json,tokenizer.json,tokenizer_config.json,train_config.yaml} $dest/
  [ ! -f $runs/${app}_cross_ffn/change_calibration.json ] || cp $runs/${app}_cross_ffn/change_calibration.json $dest/
  python -m sve_core.model_card $dest --metrics-source \
    "the README's demo-model table and docs/demo_models/ (commands stated there; not measured on this card)"
done
