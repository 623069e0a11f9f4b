#!/usr/bin/env bash
# The pruning tables of docs/benchmarks.md: magnitude and channel sweeps of the gesture CNN
# (simulated radar gestures, 800 recordings per class: 2,400 test frames, one point = 24) and
# of mnist_cnn (the shared MNIST digits), 3 seeds each, with a fixed retraining budget.
# Long (hours on 2 cores); finished trials are kept in each folder's results.jsonl, so running
# it again resumes. Usage: scripts/prune_tables.sh gesture|mnist  (SEEDS="0" for one seed)
set -euo pipefail
cd "$(dirname "$0")/.."
TP=.venv/bin/tinyprune
case "${1:-gesture}" in
  gesture)
    [ -f build/bench/g800.h5 ] || $TP data synth --per-class 800 --seed 0 --out build/bench/g800.h5
    data=build/bench/g800.h5; out=build/bench/prune-gesture; dense=20; magnitude=10 ;;
  mnist)
    data=mnist; out=build/bench/prune-mnist; dense=10; magnitude=6 ;;
  *) echo "usage: $0 gesture|mnist" >&2; exit 2 ;;
esac
mkdir -p "$out"
# Seed by seed, so the tables have every point of seed 0 first.
for seed in ${SEEDS:-0 1 2}; do
  $TP prune sweep --data "$data" --methods l1_filter --amounts 0.5,0.75 --seeds $seed \
    --retrain-epochs 3 --dense-epochs $dense --out "$out"
  for amount in 0.9 0.95; do
    $TP prune sweep --data "$data" --methods magnitude --amounts $amount --seeds $seed \
      --retrain-epochs $magnitude --dense-epochs $dense --out "$out"
  done
done
