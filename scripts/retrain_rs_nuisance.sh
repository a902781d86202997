#!/usr/bin/env bash
# Issue 21: teach the rs_change demo model that nuisance and real texture are not change, from stage 2 of
# scripts/train_demo_models.sh (runs/demo/rs_change_<variant>; `APPS=rs_change bash scripts/train_demo_models.sh`):
#   stage 2c (configs/demo/rs_change_nuisance.yaml): synthetic pairs, 30% with nuisance change;
#   stage 2d (configs/demo/rs_change_real.yaml): pairs half drawn on real texture, the later date jittered
#            (the data of commit 78cd666's make-dataset: scikit-learn's two photographs; made here as rs_real_v1);
#   stage 2e (configs/demo/rs_change_real_2e.yaml): pairs half on the wider real texture set (photographs and a
#            real elevation model's shaded relief), either date jittered (apps/rs_change/synthetic/real_texture.py).
# Then the p(change) threshold is calibrated on stage 2e's validation split and the model scored on the real-texture,
# nuisance and plain test splits the README's rows come from.
#   bash scripts/retrain_rs_nuisance.sh                       the shipped model's chain (cross_ffn)
#   VARIANT=stateless bash scripts/retrain_rs_nuisance.sh     its stateless twin, same data, steps and seeds
# Measured here (2 CPU cores shared with other jobs): data 30 min for the v1 splits, 10 min for rs_real (4,600
# pairs); stage 2c 27 min, 2d 11 min, 2e 9 min; calibration and scores ~15 min.
# The shipped model is replaced only by hand, after the scores meet issue 21's targets:
#   cp runs/demo/rs_change_real_2e/{config.json,generation_config.json,model.safetensors,chat_template.jinja,\
#      processor_config.json,tokenizer.json,tokenizer_config.json,train_config.yaml,change_calibration.json} \
#      apps/rs_change/demo_model/
set -euo pipefail
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
variant=${VARIANT:-cross_ffn}
tag=$([ "$variant" = cross_ffn ] && echo "" || echo "_$variant")
data=runs/data/rs_nuisance real_v1=runs/data/rs_real_v1 real=runs/data/rs_real plain=runs/data/rs
out=runs/demo/rs_change_real_2e$tag
mkdir -p runs/eval runs/demo
[ -d $data ] || python -m apps.rs_change.synthetic.make_dataset --out $data --n-train 3000 --n-val 300 \
    --n-test 500 --seed 0 --size 96 --nuisance-rate 0.3 --n-scenes 0
[ -d $plain ] || python -m apps.rs_change.synthetic.make_dataset --out $plain --n-train 0 --n-val 300 \
    --n-test 500 --seed 0 --size 96 --n-scenes 0
if [ ! -d $real_v1 ]; then   # stage 2d's data as it was made: the make-dataset of commit 78cd666
  git worktree add --detach runs/v1_code 78cd666
  (cd runs/v1_code && python -m apps.rs_change.synthetic.make_dataset --out ../../$real_v1 --n-train 2000 \
      --n-val 300 --n-test 300 --seed 1 --size 96 --nuisance-rate 0.3 --real-texture-rate 0.5 --n-scenes 0)
  git worktree remove --force runs/v1_code
fi
[ -d $real ] || python -m apps.rs_change.synthetic.make_dataset --out $real --n-train 4000 --n-val 300 \
    --n-test 300 --seed 1 --size 96 --nuisance-rate 0.3 --real-texture-rate 0.5 --n-scenes 0
train() {  # $1 = config, $2 = start model, $3 = output folder, then extra flags
  local config=$1 model=$2 output=$3
  shift 3
  [ -f $output/config.json ] || sve train $config --model $model --variant $variant --output-dir $output "$@" \
      > $output.log 2>&1
}
train configs/demo/rs_change_nuisance.yaml runs/demo/rs_change_$variant runs/demo/rs_change_nuisance$tag
train configs/demo/rs_change_real.yaml runs/demo/rs_change_nuisance$tag runs/demo/rs_change_real$tag \
    --data $real_v1/train.jsonl --eval-data $real_v1/val.jsonl
train configs/demo/rs_change_real_2e.yaml runs/demo/rs_change_real$tag $out
sve rs calibrate --data $real --split val --model $out
sve rs evaluate --data $real --split test --model $out --out runs/eval/rs_real_test$tag --no-meteor
sve rs evaluate --data $data --split test --model $out --out runs/eval/rs_nuisance_test$tag --no-meteor
sve rs evaluate --data $plain --split test --model $out --out runs/eval/rs_plain_test$tag --no-meteor
