#!/usr/bin/env bash
# Binary networks pruned by channels to a size (docs/benchmarks.md, "Pruning binary networks"):
#   gesture: bnn_gesture_cnn on the simulated radar gestures, flip-frequency pruning to 60 % of
#            its binary operations (--to-ops 60%), and to half its packed bytes (--to-bytes 50%)
#            by each criterion (flip_frequency, latent_magnitude, channel_norm);
#   mnist:   bnn_mnist on the shared digits, flip-frequency pruning to 60 % of its binary ops.
# Seeds 0 1 2 (SEEDS to change); EPOCHS epochs of training (default 30 gesture, 20 mnist),
# RETRAIN epochs per prune-and-retrain interval (default 3), ROUNDS rounds (default 3); RUNS
# (space-separated METHOD:OPTION:SIZE) replaces the list of prune runs below.
# Long (hours on 2 cores); a short seeded check: SEEDS=0 EPOCHS=8 RETRAIN=2 scripts/bnn_prune_tables.sh gesture
# Results: one JSON per run in build/bench/bnn-prune-MODEL/ (runs already there are kept), and
# the table of them all printed at the end (scripts/bnn_prune_summary.py).
set -euo pipefail
cd "$(dirname "$0")/.."
TP=.venv/bin/tinyprune
mkdir -p build/bench
export OMP_NUM_THREADS=1
case "${1:-gesture}" in
  gesture)
    [ -f build/bench/gestures.h5 ] || $TP data synth --per-class 200 --seed 0 --out build/bench/gestures.h5
    data=build/bench/gestures.h5; model=bnn_gesture_cnn; epochs=${EPOCHS:-30}
    runs=${RUNS:-flip_frequency:--to-ops:60% flip_frequency:--to-bytes:50% latent_magnitude:--to-bytes:50% channel_norm:--to-bytes:50%} ;;
  mnist)
    data=mnist; model=bnn_mnist; epochs=${EPOCHS:-20}
    runs=${RUNS:-flip_frequency:--to-ops:60%} ;;
  *) echo "usage: $0 gesture|mnist" >&2; exit 2 ;;
esac
out=build/bench/bnn-prune-$model-e$epochs-r${RETRAIN:-3}x${ROUNDS:-3}; mkdir -p "$out"
for seed in ${SEEDS:-0 1 2}; do
  if [ ! -f "$out/seed$seed.json" ]; then
    nice -n 10 $TP train --binary --model "$model" --data "$data" --epochs "$epochs" \
      --patience "$epochs" --seed "$seed" --out "$out/seed$seed.tpm" --force --json > "$out/seed$seed.json.part"
    mv "$out/seed$seed.json.part" "$out/seed$seed.json"
  fi
  for run in $runs; do
    IFS=: read -r method option size <<< "$run"
    name="seed$seed-$method${option#-}-${size%\%}"
    [ -f "$out/$name.json" ] && continue
    nice -n 10 $TP prune "$out/seed$seed.tpm" --method "$method" "$option" "$size" --data "$data" \
      --retrain-epochs "${RETRAIN:-3}" --rounds "${ROUNDS:-3}" --seed "$seed" \
      --out "$out/$name.tpm" --force --json > "$out/$name.json.part"
    mv "$out/$name.json.part" "$out/$name.json"
  done
done
.venv/bin/python scripts/bnn_prune_summary.py "$out"
