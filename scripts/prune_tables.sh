#!/usr/bin/env bash
# The pruning tables of docs/benchmarks.md: magnitude and channel sweeps of the gesture CNN
# (simulated radar gestures) and of mnist_cnn (the shared MNIST digits), 3 seeds each.
# Long (hours on 2 cores); finished trials are kept in each folder's results.jsonl, so running
# it again resumes. Usage: scripts/prune_tables.sh gesture|mnist
set -euo pipefail
cd "$(dirname "$0")/.."
TP=.venv/bin/tinyprune
case "${1:-gesture}" in
  gesture)
    [ -f build/bench/gestures.h5 ] || $TP data synth --per-class 200 --seed 0 --out build/bench/gestures.h5
    data=build/bench/gestures.h5; out=build/bench/prune-gesture; dense=20 ;;
  mnist)
    data=mnist; out=build/bench/prune-mnist; dense=10 ;;
  *) echo "usage: $0 gesture|mnist" >&2; exit 2 ;;
esac
mkdir -p "$out"
# Seed by seed, so the tables have every point of seed 0 first.
for seed in ${SEEDS:-0 1 2}; do
  $TP prune sweep --data "$data" --methods magnitude --amounts 0.9,0.95 --seeds $seed \
    --retrain-epochs 6 --dense-epochs $dense --out "$out"
  $TP prune sweep --data "$data" --methods l1_filter --amounts 0.5,0.75 --seeds $seed \
    --retrain-epochs 3 --dense-epochs $dense --out "$out"
done
