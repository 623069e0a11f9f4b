"""Re-measure binary networks on qemu_m7 and the MSP430 simulator and rewrite
sdk/kernels/binary_cost.json (host/binary_cost_fit.py), then check the models against fresh
architectures (other seeds) and print each kernel's error. With WORK_DIR the measured cases
are kept there (fit.json, fresh.json) and reused by the next run. About 12 minutes.

    .venv/bin/python scripts/fit_binary_cost.py [--per-board 30] [--fresh 10] [WORK_DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from host.binary_cost_fit import cases, check, fit, load_cases, save_cases, write


def _cases(work: Path, name: str, per_board: int, seed: int):
    kept = work / f"{name}.json"
    if kept.is_file():
        return load_cases(kept)
    found, firmware = cases(work / name, per_board, seed=seed, progress=print)
    save_cases(found, firmware, kept)
    return found, firmware


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-board", type=int, default=30, help="architectures fitted per board")
    parser.add_argument("--fresh", type=int, default=10, help="architectures checked per board")
    parser.add_argument("work", nargs="?", help="folder that keeps the measured cases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="binary-cost-") as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        found, firmware = _cases(work, "fit", args.per_board, 0)
        path = write(fit(found, firmware))
        print(f"wrote {path} ({len(found)} steps)")
        fresh, _ = _cases(work, "fresh", args.fresh, 1000)
    print(f"{'board':14} {'kernel':36} {'cases':>5} {'fit err':>8} {'fresh err':>9}")
    for row in check(fresh):
        fit_err = "-" if row["fit_error"] is None else f"{row['fit_error']:.1%}"
        fresh_err = "-" if row["fresh_error"] is None else f"{row['fresh_error']:.1%}"
        print(f"{row['board']:14} {row['kernel']:36} {row['cases']:>5} {fit_err:>8} {fresh_err:>9}")


if __name__ == "__main__":
    main()
