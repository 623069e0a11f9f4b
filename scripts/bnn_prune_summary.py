"""The table of scripts/bnn_prune_tables.sh: every pruning run in a folder (the JSON reports of
`tinyprune prune --to-bytes/--to-ops --json`), per seed and as means over seeds, in Markdown.

Usage: .venv/bin/python scripts/bnn_prune_summary.py build/bench/bnn-prune-MODEL-...
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main(folder: Path) -> None:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for path in sorted(folder.glob("seed*-*.json")):
        r = json.loads(path.read_text())
        what, value = next(iter(r["target"].items()))
        groups[(r["method"], what)].append(r)
    print("| method | target | seeds | bytes | binary ops | test acc. unpruned | test acc. "
          "pruned | change (points) | per seed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (method, what), runs in sorted(groups.items()):
        n = len(runs)
        b0 = sum(r["bytes_before"] for r in runs) / n
        b1 = sum(r["bytes_after"] for r in runs) / n
        o0 = sum(r["binary_ops_before"] for r in runs) / n
        o1 = sum(r["binary_ops_after"] for r in runs) / n
        a0 = sum(r["test_accuracy_before"] for r in runs) / n
        a1 = sum(r["test_accuracy_after"] for r in runs) / n
        per = " / ".join(f"{100 * (r['test_accuracy_after'] - r['test_accuracy_before']):+.2f}"
                         for r in runs)
        target = "bytes" if what == "bytes" else "binary ops"
        print(f"| {method} | {target} | {n} | {b0:,.0f} -> {b1:,.0f} ({b1 / b0:.0%}) | "
              f"{o0:,.0f} -> {o1:,.0f} ({1 - o1 / o0:.0%} fewer) | {a0:.4f} | {a1:.4f} | "
              f"{100 * (a1 - a0):+.2f} | {per} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
