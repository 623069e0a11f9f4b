#!/usr/bin/env bash
# The benchmark of the MSP430 gesture loop (docs/gestures.md, "On the MSP430"): a binary
# gesture network (MODEL, default: bnn_gesture_msp430 trained EPOCHS epochs, default 30, with
# approx-sign on 200 simulated recordings per class: the recipe of scripts/bnn_tables.sh)
# streamed a whole continuous recording (STREAM_S, default 36: 648 sweeps at 18 Hz) through
# the msp430fr6989 gesture firmware in one mspdebug session.
# Minutes on 2 cores. Result: build/bench/msp430-stream.json (every sweep's MCLK cycles,
# deadline misses, classes and events against the host's, the simulator's throughput).
# Usage: scripts/msp430_stream.sh [MODEL.tpm]
set -euo pipefail
cd "$(dirname "$0")/.."
TP=.venv/bin/tinyprune
out=build/bench; mkdir -p "$out"
[ -f "$out/gestures.h5" ] || $TP data synth --per-class 200 --seed 0 --out "$out/gestures.h5"
model=${1:-$out/bnn_gesture_msp430.tpm}
if [ ! -f "$model" ]; then
  OMP_NUM_THREADS=1 nice -n 10 $TP train --binary --data "$out/gestures.h5" \
    --epochs "${EPOCHS:-30}" --patience "${EPOCHS:-30}" \
    --quantizer approx_sign --seed 0 --out "$model" --json > "$out/bnn_gesture_msp430.train.json"
fi
rec=$out/stream-${STREAM_S:-36}s.h5
[ -f "$rec" ] || $TP data synth-stream --dataset "$out/gestures.h5" --seconds "${STREAM_S:-36}" --out "$rec"
$TP run "$model" --board msp430fr6989 --data "$rec" --json > "$out/msp430-stream.json.part"
mv "$out/msp430-stream.json.part" "$out/msp430-stream.json"
