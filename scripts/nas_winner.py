"""Train the winner of a `tinyprune nas` search again, longer and with another seed (issue 14's
benchmark, docs/benchmarks.md "Architecture search"): the search ranks candidates after a few
epochs; the published accuracy is the winner's after a full training.

Reads SEARCH/results.jsonl, takes the most accurate candidate (as `tinyprune nas` does), and
trains its architecture as every search trial trains (host.nas_trial.nas_trial: the same
splits, loss, schedule and bit-error objective) with ``--epochs`` and ``--seed``. The model is
kept under OUT/models/ (its path is printed), ready for `tinyprune ber sweep`. With ``--run``
it is also built for the search's board and one test digit runs there (bit-exact check,
measured against predicted count). ``--arch`` trains another architecture the same way (a
candidate the search did not pick, for comparison). Prints one JSON object.

    python scripts/nas_winner.py build/bench/nas-mnist-long/search --epochs 20 --seed 1 --out DIR --run
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    """Parse the arguments, train the winner, print its record."""
    from host.nas_search import SearchResult
    from host.nas_trial import model_path, nas_trial, run_winner
    from sdk.nas.search import describe
    from sdk.nas.space import check_arch
    from sdk.sweep import ResultStore
    from sdk.sweep.executor import one_torch_thread

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("search", type=Path, help="the --out folder of `tinyprune nas`")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ber-trials", type=int, default=None,
                        help="flip trials of the objective (default: the search's)")
    parser.add_argument("--train-ber", type=float, default=None,
                        help="flip the binary weights' bits at this rate in every training "
                        "forward (sdk.bnn.bit_flip; default: as the search trained)")
    parser.add_argument("--augment", action="store_true",
                        help="shift every training digit by up to 2 pixels "
                        "(sdk.train.augment_digits.random_shift; default: as the search trained)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--run", action="store_true", help="build and run it on the board")
    parser.add_argument("--arch", type=json.loads, default=None,
                        help="train this architecture (JSON, sdk.nas.space) with the search's "
                        "settings instead of the winner")
    args = parser.parse_args()
    records = list(ResultStore(args.search / "results.jsonl").records.values())
    best = SearchResult(records, [], 0, 0).winner()
    if best is None:
        raise SystemExit(f"{args.search}: no finished search trial")
    config = {**best["config"], "epochs": args.epochs, "seed": args.seed}
    if args.arch is not None:
        config["arch"] = check_arch({**args.arch, "input": config["arch"]["input"],
                                     "classes": config["arch"]["classes"]})
    if args.train_ber is not None:
        from sdk.bnn.bit_errors import BitErrorRates

        BitErrorRates.symmetric(args.train_ber)
        config["train_ber"] = args.train_ber
    if args.augment:
        config["augment"] = "random_shift"
    if args.ber_trials is not None and "ber" in config:
        config["ber_trials"] = args.ber_trials
    folder = str(args.out.resolve())
    with one_torch_thread():
        result = nas_trial(config, folder)
    record = {"arch": describe(config["arch"]), "config": config, "result": result,
              "model": str(model_path(folder, config)),
              "search": best["result"] if args.arch is None else None}
    if args.run:
        record["board_run"] = run_winner(folder, config, result["predicted_count"])
    print(json.dumps(record, sort_keys=True))


if __name__ == "__main__":
    main()
