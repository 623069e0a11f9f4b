"""Re-measure binary networks on qemu_m7 and the MSP430 simulator and rewrite
sdk/kernels/binary_cost.json (host/binary_cost_fit.py), then check the models against fresh
architectures (other seeds) and print each kernel's error.

    .venv/bin/python scripts/fit_binary_cost.py [--per-board 24] [--fresh 8]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from host.binary_cost_fit import cases, check, fit, write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-board", type=int, default=24, help="architectures fitted per board")
    parser.add_argument("--fresh", type=int, default=8, help="architectures checked per board")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="binary-cost-") as tmp:
        found, firmware = cases(Path(tmp) / "fit", args.per_board, seed=0, progress=print)
        path = write(fit(found, firmware))
        print(f"wrote {path} ({len(found)} steps)")
        fresh, _ = cases(Path(tmp) / "fresh", args.fresh, seed=1000, progress=print)
    print(f"{'board':14} {'kernel':36} {'cases':>5} {'fit err':>8} {'fresh err':>9}")
    for row in check(fresh):
        fit_err = "-" if row["fit_error"] is None else f"{row['fit_error']:.1%}"
        fresh_err = "-" if row["fresh_error"] is None else f"{row['fresh_error']:.1%}"
        print(f"{row['board']:14} {row['kernel']:36} {row['cases']:>5} {fit_err:>8} {fresh_err:>9}")


if __name__ == "__main__":
    main()
