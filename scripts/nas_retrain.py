"""Train a search's best candidates again with a long recipe on several seeds, beside a
baseline architecture trained the same way (docs/benchmarks.md, "Architecture search on the
gesture data").

`tinyprune nas` ranks candidates after a few epochs each; this script takes the ``--top``
candidates of a finished search (``DIR/results.jsonl``), ranked by **validation** accuracy so
that the test frames choose nothing, and trains each of them and the ``--baseline``
architecture (default: the zoo's ``bnn_gesture_msp430``) with the same trial
(:func:`host.nas_trial.nas_trial`: `tinyprune train --binary`'s recipe) for ``--epochs``
epochs with ``--quantizer`` on every ``--seeds`` seed. Every training goes through the sweep
executor into ``DIR/retrain/results.jsonl`` (resumed), and its model is kept in
``DIR/retrain/models`` with the preprocessing in its metadata, ready for
`tinyprune build --app gesture` or `tinyprune run --data REC.h5`.

Writes ``DIR/retrain/retrain.md`` (one row per architecture: test accuracy per seed, mean,
weight bytes, predicted count, against the baseline's mean) and ``retrain.json`` (the rows,
with the models' paths) and prints the table; ``--json`` prints the rows instead.

Usage: python scripts/nas_retrain.py DIR [--top 3] [--seeds 0 1 2] [--epochs 30]
       [--quantizer approx_sign] [--out FOLDER] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from host.nas_trial import model_path, nas_trial  # noqa: E402
from sdk.nas.search import describe  # noqa: E402
from sdk.sweep import ResultStore, run_sweep  # noqa: E402

# bnn_gesture_msp430 (sdk.bnn.models): conv 3x3/2 -> 16, pool, binary 3x3 16 -> 32, pool,
# dense 192 -> 64, int8 head.
MSP430_GESTURE = {"convs": [[16, 3, 2, 1], [32, 3, 1, 1]], "dense": [64]}


def best_candidates(records: list[dict], top: int) -> list[dict]:
    """The ``top`` trained candidates that finished, by validation accuracy (fewer weight
    bytes break ties), each architecture once."""
    done = [r for r in records if r["status"] == "ok" and r["result"].get("fits", True)]
    done.sort(key=lambda r: (-r["result"]["val_accuracy"], r["result"]["weight_bytes"]))
    chosen: dict[str, dict] = {}
    for r in done:
        chosen.setdefault(describe(r["config"]["arch"]), r)
    return list(chosen.values())[:top]


def retrain_configs(search: dict, archs: list[dict], seeds: list[int], epochs: int,
                    quantizer: str) -> list[dict]:
    """One trial configuration per (architecture, seed): the search's data and board, the
    long recipe."""
    base = {k: v for k, v in search.items() if k not in ("arch", "seed", "epochs", "quantizer")}
    base["epochs"] = epochs
    if quantizer != "ste_sign":  # the trial's default, left out of the key as `nas` does
        base["quantizer"] = quantizer
    return [{**base, "arch": arch, "seed": s} for arch in archs for s in seeds]


def table(rows: list[dict], seeds: list[int], baseline: str) -> str:
    """The markdown table of the retrained architectures, best mean first."""
    base = next(r for r in rows if r["arch"] == baseline)
    lines = [f"| architecture | test accuracy, seeds {' '.join(map(str, seeds))} | mean | "
             f"vs {baseline} | weight bytes | predicted count (bound) |",
             "|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: -r["mean"]):
        lines.append(f"| {r['arch']}{' (baseline)' if r['arch'] == baseline else ''} | "
                     f"{' '.join(f'{a:.4f}' for a in r['accuracies'])} | {r['mean']:.4f} | "
                     f"{100 * (r['mean'] - base['mean']):+.2f} points | "
                     f"{r['weight_bytes']:,} | {r['predicted_count']:,} "
                     f"({round(r['bound']):,}) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Retrain, write retrain.md, print it (or the rows as JSON)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="the --out folder of a finished `tinyprune nas`")
    p.add_argument("--top", type=int, default=3)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--quantizer", default="approx_sign")
    p.add_argument("--baseline", default=json.dumps(MSP430_GESTURE),
                   help="JSON {convs, dense} of the architecture to compare with")
    p.add_argument("--out", type=Path, help="results folder (default DIR/retrain); one "
                   "folder shared by several searches trains the baseline once")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    store = ResultStore(args.folder / "results.jsonl")
    records = list(store.records.values())
    top = best_candidates(records, args.top)
    if not top:
        print(f"{args.folder}: no finished candidates", file=sys.stderr)
        return 1
    search = top[0]["config"]
    baseline = {**search["arch"], **json.loads(args.baseline)}
    archs = [baseline, *[r["config"]["arch"] for r in top if r["config"]["arch"] != baseline]]
    configs = retrain_configs(search, archs, args.seeds, args.epochs, args.quantizer)
    out = args.out or args.folder / "retrain"
    out.mkdir(parents=True, exist_ok=True)
    folder = str(out.resolve())
    sweep = run_sweep(configs, lambda c: nas_trial(c, folder), ResultStore(out / "results.jsonl"),
                      progress=not args.json, describe=lambda c: f"{describe(c['arch'])} "
                      f"seed {c['seed']}")
    if sweep.failed:
        print(f"failed: {sweep.failed[0]['result']}", file=sys.stderr)
        return 1
    rows = []
    for arch in archs:
        recs = [r for c, r in zip(configs, sweep.records) if c["arch"] == arch]
        accs = [r["result"]["accuracy"] for r in recs]
        first = recs[0]["result"]
        rows.append({"arch": describe(arch), "accuracies": accs, "mean": sum(accs) / len(accs),
                     "val_accuracies": [r["result"]["val_accuracy"] for r in recs],
                     "weight_bytes": first["weight_bytes"],
                     "activation_bytes": first["activation_bytes"],
                     "predicted_count": first["predicted_count"],
                     "bound": first.get("cycles", first.get("instructions", 0)),
                     "models": [str(model_path(folder, c)) for c in configs
                                if c["arch"] == arch]})
    text = table(rows, args.seeds, describe(baseline))
    (out / "retrain.md").write_text(text)
    (out / "retrain.json").write_text(json.dumps(rows, indent=1) + "\n")
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
