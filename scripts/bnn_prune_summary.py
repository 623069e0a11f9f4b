"""The table of scripts/bnn_prune_tables.sh: every pruning run in a folder (the JSON reports of
`tinyprune prune --to-bytes/--to-ops --json`), per seed and as means over seeds, in Markdown.
Where a folder holds several criteria for the same seed and target, a last row per target keeps,
per seed, the criterion whose pruned network has the best validation accuracy: what
`tinyprune prune --method best` keeps.

Usage: .venv/bin/python scripts/bnn_prune_summary.py build/bench/bnn-prune-MODEL-...
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def by_validation(groups: dict[tuple[str, str], list[dict]]) -> dict[tuple[str, str], list[dict]]:
    """Per target with more than one criterion, per seed, the run whose last step has the best
    validation accuracy (the first criterion in name order on a tie, as `--method best`)."""
    chosen: dict[tuple[str, str], list[dict]] = {}
    for what in sorted({w for _, w in groups}):
        runs = [r for (_, w), rs in sorted(groups.items()) if w == what for r in rs]
        seeds = sorted({r["seed"] for r in runs})
        if len({r["method"] for r in runs}) < 2:
            continue
        chosen[("best by validation", what)] = [
            max((r for r in runs if r["seed"] == s),
                key=lambda r: r["steps"][-1]["val_accuracy"]) for s in seeds]
    return chosen


def main(folder: Path) -> None:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for path in sorted(folder.glob("seed*-*.json")):
        r = json.loads(path.read_text())
        r["seed"] = path.name.split("-")[0]
        what, value = next(iter(r["target"].items()))
        groups[(r["method"], what)].append(r)
    groups = {**dict(sorted(groups.items())), **by_validation(groups)}
    print("| method | target | seeds | bytes | binary ops | test acc. unpruned | test acc. "
          "pruned | change (points) | per seed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (method, what), runs in groups.items():
        n = len(runs)
        b0 = sum(r["bytes_before"] for r in runs) / n
        b1 = sum(r["bytes_after"] for r in runs) / n
        o0 = sum(r["binary_ops_before"] for r in runs) / n
        o1 = sum(r["binary_ops_after"] for r in runs) / n
        a0 = sum(r["test_accuracy_before"] for r in runs) / n
        a1 = sum(r["test_accuracy_after"] for r in runs) / n
        per = " / ".join(f"{100 * (r['test_accuracy_after'] - r['test_accuracy_before']):+.2f}"
                         + (f" ({r['method']})" if method == "best by validation" else "")
                         for r in runs)
        target = "bytes" if what == "bytes" else "binary ops"
        print(f"| {method} | {target} | {n} | {b0:,.0f} -> {b1:,.0f} ({b1 / b0:.0%}) | "
              f"{o0:,.0f} -> {o1:,.0f} ({1 - o1 / o0:.0%} fewer) | {a0:.4f} | {a1:.4f} | "
              f"{100 * (a1 - a0):+.2f} | {per} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
