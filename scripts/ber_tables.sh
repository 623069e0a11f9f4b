#!/usr/bin/env bash
# Bit-error tolerance of binary networks trained with cross-entropy and with the hinge loss
# (docs/bit_errors.md, docs/benchmarks.md "Bit errors"): for every seed, train bnn_mnist (the
# shared digits) or bnn_gesture_cnn (the simulated gestures) with --loss ce and --loss hinge,
# then `ber sweep` each over bit error rates 0..9 % of the weights with TRIALS trials.
# Prints the mean over seeds of the accuracy at every rate, for both losses.
# Usage: scripts/ber_tables.sh mnist|gesture [short]
#   short: seeds 0 1 2, 3 epochs, 3 trials (mnist: about 7 min on 2 busy cores); gesture:
#   2 trials on the first 300 test frames;
#   default (long): 20 epochs (mnist) / 30 (gesture), 10 trials, every test frame.
# SEEDS, EPOCHS, TRIALS, FRAMES, MARGIN, RATES (0:0.09:0.01), LOSSES (ce hinge) override;
# AUGMENT=1 trains with --augment (mnist: digits shifted by up to 2 pixels). Results in
# build/bench/ber-<model>-<mode>/ (ber-<model>-<mode>-aug/ with AUGMENT).
set -euo pipefail
cd "$(dirname "$0")/.."
TP=.venv/bin/tinyprune
export OMP_NUM_THREADS=1
mode=${2:-long}
case "${1:-mnist}" in
  mnist) data=mnist; model=bnn_mnist; margin=${MARGIN:-128}; long_epochs=20; short_trials=3; short_frames=0 ;;
  gesture)
    [ -f build/bench/gestures.h5 ] || $TP data synth --per-class 200 --seed 0 --out build/bench/gestures.h5
    # The head sees 100 binary inputs: a dot product lies in [-100, 100], so the margin is 32.
    data=build/bench/gestures.h5; model=bnn_gesture_cnn; margin=${MARGIN:-32}; long_epochs=30
    short_trials=2; short_frames=300 ;;
  *) echo "usage: $0 mnist|gesture [short]" >&2; exit 2 ;;
esac
if [ "$mode" = short ]; then
  epochs=${EPOCHS:-3}; trials=${TRIALS:-$short_trials}; frames=${FRAMES:-$short_frames}
else
  epochs=${EPOCHS:-$long_epochs}; trials=${TRIALS:-10}; frames=${FRAMES:-0}
fi
aug=(); suffix=""
if [ -n "${AUGMENT:-}" ]; then aug=(--augment); suffix=-aug; fi
out=build/bench/ber-$model-$mode$suffix; mkdir -p "$out"
for seed in ${SEEDS:-0 1 2}; do
  for loss in ${LOSSES:-ce hinge}; do
    name=$loss-seed$seed
    if [ ! -f "$out/$name.json" ]; then
      extra=(); [ "$loss" = hinge ] && extra=(--margin "$margin")
      nice -n 10 $TP train --binary --model "$model" --data "$data" --epochs "$epochs" \
        --patience "$epochs" --seed "$seed" --loss "$loss" "${extra[@]}" "${aug[@]}" \
        --out "$out/$name.tpm" --force --json > "$out/$name.json.part"
      mv "$out/$name.json.part" "$out/$name.json"
    fi
    nice -n 10 $TP ber sweep "$out/$name.tpm" --data "$data" --rates "${RATES:-0:0.09:0.01}" \
      --trials "$trials" --frames "$frames" --seed "$seed" --out "$out/sweep-$name" --json > "$out/sweep-$name.json"
  done
done
.venv/bin/python - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
curves = {}
for f in sorted(out.glob("sweep-*.json")):
    loss = f.stem.split("-")[1]
    for r in json.loads(f.read_text())["rows"]:
        curves.setdefault(loss, {}).setdefault(r["rate"], []).append(r["mean"])
rates = sorted(next(iter(curves.values())))
print("| bit error rate | " + " | ".join(f"{l} (mean of {len(curves[l][rates[0]])} seeds)" for l in curves) + " |")
print("|---" * (len(curves) + 1) + "|")
for rate in rates:
    print(f"| {rate * 100:g} % | " + " | ".join(f"{sum(curves[l][rate]) / len(curves[l][rate]):.4f}" for l in curves) + " |")
PY
