#!/usr/bin/env bash
# Issue 14's MNIST target (docs/nas.md, docs/benchmarks.md "Architecture search"): search binary
# networks that fit the MSP430 (packed weights in the FRAM beside the firmware, activations in
# its SRAM arena) for the accuracy at 1 % bit error rate, then train the winner longer with
# every seed and sweep its bit error rates 0..9 %, beside the margin-trained bnn_mnist.
#   1. tinyprune nas: TRIALS candidates of EPOCHS epochs each, BER_TRIALS flip trials each;
#      the search's winner is built and run in the MSP430 simulator (cycles, bit-exact);
#   2. scripts/nas_winner.py: the winner's architecture trained FINAL_EPOCHS epochs per seed
#      (the first seed's model is built and run on the board again);
#   3. tinyprune ber sweep of each seed's model: rates 0:0.09:0.01, SWEEP_TRIALS trials;
#   4. the table: the winner's mean over seeds at every rate, and bnn_mnist's (hinge, from
#      build/bench/ber-bnn_mnist-long/, `scripts/ber_tables.sh mnist`) when it is there.
# Usage: scripts/nas_tables.sh [short]
#   default: 80 trials x 3 epochs, 3 flip trials; winner 20 epochs, seeds 0 1 2, 10 sweep
#   trials (about 45 minutes on 2 busy cores: 23 for the search, 7 per seed);
#   short: 4 trials x 1 epoch, 1 flip trial; winner 2 epochs, seed 0, 2 sweep trials.
# TRIALS, EPOCHS, BER_TRIALS, FINAL_EPOCHS, SEEDS, SWEEP_TRIALS, LOSS override; TRAIN_BER=R
# trains the winner with its weight bits flipped at R in every training forward (bit-error-
# aware training, docs/bit_errors.md; the search itself unchanged), its files named
# winner-berR-seedS.json and sweep-berR-seedS. AUGMENT=1 trains the winner with every training
# digit shifted by up to 2 pixels (`nas_winner.py --augment`, sdk/train/augment_digits.py),
# its files tagged -aug (after -berR when both). Results in build/bench/nas-mnist-<mode>/.
set -euo pipefail
cd "$(dirname "$0")/.."
TP=.venv/bin/tinyprune
export OMP_NUM_THREADS=1
mode=${1:-long}
case "$mode" in
  long) trials=${TRIALS:-80}; epochs=${EPOCHS:-3}; ber_trials=${BER_TRIALS:-3}
        final=${FINAL_EPOCHS:-20}; seeds=${SEEDS:-0 1 2}; sweep_trials=${SWEEP_TRIALS:-10} ;;
  short) trials=${TRIALS:-4}; epochs=${EPOCHS:-1}; ber_trials=${BER_TRIALS:-1}
         final=${FINAL_EPOCHS:-2}; seeds=${SEEDS:-0}; sweep_trials=${SWEEP_TRIALS:-2} ;;
  *) echo "usage: $0 [short]" >&2; exit 2 ;;
esac
out=build/bench/nas-mnist-$mode; mkdir -p "$out"
nice -n 10 $TP nas --space bnn --data mnist --board msp430fr6989 \
  --objective "accuracy at ber=0.01" --ber-trials "$ber_trials" --loss "${LOSS:-ce}" \
  --trials "$trials" --epochs "$epochs" --seed 0 --out "$out/search" --json > "$out/search.json"
tag=""; train_opts=()
if [ -n "${TRAIN_BER:-}" ]; then tag="-ber$TRAIN_BER"; train_opts=(--train-ber "$TRAIN_BER"); fi
if [ -n "${AUGMENT:-}" ]; then tag="$tag-aug"; train_opts+=(--augment); fi
first=1
for seed in $seeds; do
  run=(); [ "$first" = 1 ] && run=(--run); first=0
  winner="$out/winner$tag-seed$seed.json"
  if [ ! -f "$winner" ]; then
    nice -n 10 .venv/bin/python scripts/nas_winner.py "$out/search" --epochs "$final" \
      --seed "$seed" --out "$out/winner" "${train_opts[@]}" "${run[@]}" > "$winner.part"
    mv "$winner.part" "$winner"
  fi
  model=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["model"])' \
    "$winner")
  nice -n 10 $TP ber sweep "$model" --data mnist --rates 0:0.09:0.01 --trials "$sweep_trials" \
    --seed "$seed" --out "$out/sweep$tag-seed$seed" --json > "$out/sweep$tag-seed$seed.json"
done
.venv/bin/python - "$out" build/bench/ber-bnn_mnist-long "$tag" <<'PY'
import json, sys
from pathlib import Path
out, base, tag = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
search = json.loads((out / "search.json").read_text())
print(f"search: trained {search['ran'] + search['reused']}, rejected {len(search['rejected'])}; "
      f"winner run on the board: {search['winner']}")
for f in sorted(out.glob(f"winner{tag}-seed*.json")):
    w = json.loads(f.read_text())
    r = w["result"]
    print(f"{w['arch']} seed {w['config']['seed']}: clean {r.get('clean_accuracy', r['accuracy']):.4f}, "
          f"at ber=0.01 {r['accuracy']:.4f}, {r['weight_bytes']:,} weight B, "
          f"{r['activation_bytes']:,} activation B" + (f"; board {w['board_run']}" if "board_run" in w else ""))
curves = {}
for name, files in (("winner", sorted(out.glob(f"sweep{tag}-seed*.json"))),
                    ("bnn_mnist hinge", sorted(base.glob("sweep-hinge-seed*.json")))):
    for f in files:
        for r in json.loads(f.read_text())["rows"]:
            curves.setdefault(name, {}).setdefault(r["rate"], []).append(r["mean"])
rates = sorted(curves["winner"])
print("| bit error rate | " + " | ".join(f"{n} (mean of {len(c[rates[0]])} seeds)" for n, c in curves.items()) + " |")
print("|---" * (len(curves) + 1) + "|")
for rate in rates:
    print(f"| {rate * 100:g} % | " + " | ".join(f"{sum(c[rate]) / len(c[rate]):.4f}" for c in curves.values()) + " |")
PY
