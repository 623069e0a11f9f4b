#!/usr/bin/env bash
# The criteria beside each other on the gesture CNN (docs/benchmarks.md, "Pruning"): channel
# criteria at 50, 62.5 and 75 % of the channels (3 epochs of retraining), unstructured criteria
# at 90 % (6 epochs), 3 seeds, on the smaller data set of the first tables (200 recordings per
# class, 600 test frames), in its own folder.
set -euo pipefail
cd "$(dirname "$0")/.."
TP=.venv/bin/tinyprune
data=build/bench/gestures.h5; out=build/bench/prune-gesture-200
[ -f "$data" ] || $TP data synth --per-class 200 --seed 0 --out "$data"
$TP prune sweep --data "$data" --methods l1_filter,geometric_median,random_channel \
  --amounts 0.5,0.625,0.75 --seeds 0,1,2 --retrain-epochs 3 --dense-epochs 20 --out "$out"
$TP prune sweep --data "$data" --methods global_magnitude,random --amounts 0.9 --seeds 0,1,2 \
  --retrain-epochs 6 --dense-epochs 20 --out "$out"
