#!/usr/bin/env bash
# Accuracy of the binary networks beside their float twins (docs/benchmarks.md, "Binary
# networks"): bnn_gesture_msp430 and bnn_gesture_cnn on the simulated radar gestures,
# bnn_mnist on the shared MNIST digits, seeds 0 1 2 (SEEDS to change), EPOCHS epochs each
# (default 30 gesture with approx-sign activations, 20 mnist); gesture data PER_CLASS
# recordings per class (default 200). Long (hours on 2 cores). Results: one JSON per run in
# build/bench/bnn-MODEL/ (bnn-MODEL-PER_CLASS/ for other sizes). Usage: scripts/bnn_tables.sh gesture|mnist
set -euo pipefail
cd "$(dirname "$0")/.."
TP=.venv/bin/tinyprune
case "${1:-gesture}" in
  gesture)
    per_class=${PER_CLASS:-200}
    suffix=$([ "$per_class" = 200 ] || echo "-$per_class")
    data=build/bench/gestures${suffix#-}.h5
    [ -f "$data" ] || $TP data synth --per-class "$per_class" --seed 0 --out "$data"
    models="bnn_gesture_msp430 bnn_gesture_cnn"; epochs=${EPOCHS:-30}
    quant="--quantizer approx_sign" ;;
  mnist)
    data=mnist; models=bnn_mnist; epochs=${EPOCHS:-20}; quant=""; suffix="" ;;
  *) echo "usage: $0 gesture|mnist" >&2; exit 2 ;;
esac
for model in $models; do
  out=build/bench/bnn-$model$suffix; mkdir -p "$out"
  for seed in ${SEEDS:-0 1 2}; do
    [ -f "$out/seed$seed.json" ] && continue
    $TP train --binary --float-twin --model "$model" --data "$data" --epochs "$epochs" $quant \
      --patience "$epochs" --seed "$seed" --out "$out/seed$seed.tpm" --force --json > "$out/seed$seed.json.part"
    mv "$out/seed$seed.json.part" "$out/seed$seed.json"
  done
done
