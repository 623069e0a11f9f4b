"""What ``tinyprune ber sweep`` writes: accuracy against bit error rate, per trial (CSV) and
summarized per rate (mean, standard deviation, min and max over trials: table and plot)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from sdk.atomic import write_bytes_atomic
from sdk.errors import TinypruneError

TRIAL_COLUMNS = ("rate", "direction", "trial", "accuracy", "bits", "flipped01", "flipped10",
                 "bit_exact", "error")


def parse_rates(text: str) -> list[float]:
    """``START:STOP:STEP`` (both ends included) or ``A,B,C``; each a probability."""
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError(text)
            start, stop, step = parts
            n = int(math.floor((stop - start) / step + 1e-9)) + 1
            values = [start + i * step for i in range(n)]
        else:
            values = [float(v) for v in text.split(",")]
    except ValueError:
        raise TinypruneError(f"--rates {text!r}: expected START:STOP:STEP (e.g. 0:0.09:0.01) "
                             "or A,B,C") from None
    for v in values:
        if not math.isfinite(v) or not 0.0 <= v <= 1.0:
            raise TinypruneError(f"--rates {text!r}: rate {v:g} is not in [0, 1]")
    return [round(v, 9) for v in values]


def summarize(records: list[dict]) -> list[dict]:
    """One row per rate (in rate order) over its finished trials: mean, std, min, max
    accuracy, trials, mean flips, and whether every device check was bit-exact (None: none
    ran)."""
    by_rate: dict[float, list[dict]] = {}
    for r in records:
        if r["status"] == "ok":
            by_rate.setdefault(r["config"]["rate"], []).append(r["result"])
    rows = []
    for rate in sorted(by_rate):
        res = by_rate[rate]
        acc = np.array([x["accuracy"] for x in res])
        checks = [x["bit_exact"] for x in res if x.get("bit_exact") is not None]
        rows.append({"rate": rate, "trials": len(res), "mean": float(acc.mean()),
                     "std": float(acc.std()), "min": float(acc.min()), "max": float(acc.max()),
                     "flips": float(np.mean([x["flipped01"] + x["flipped10"] for x in res])),
                     "bits": int(res[0]["bits"]),
                     "bit_exact": all(checks) if checks else None})
    return rows


def write_trials_csv(records: list[dict], path: Path) -> Path:
    """Every trial of the sweep, one row each."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(TRIAL_COLUMNS)
    for r in records:
        c, res = r["config"], r.get("result", {})
        writer.writerow([c["rate"], c["direction"], c["trial"], res.get("accuracy", ""),
                         res.get("bits", ""), res.get("flipped01", ""),
                         res.get("flipped10", ""), res.get("bit_exact", ""),
                         r.get("error", "")])
    return write_bytes_atomic(path, buf.getvalue().encode())


def markdown_table(rows: list[dict], title: str) -> str:
    """The summary as a markdown table."""
    lines = [f"{title}", "", "| bit error rate | accuracy (mean) | std | min | max | trials |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['rate'] * 100:g} % | {r['mean']:.4f} | {r['std']:.4f} | {r['min']:.4f} | "
              f"{r['max']:.4f} | {r['trials']} |" for r in rows]
    return "\n".join(lines) + "\n"


def plot_ber(rows: list[dict], path: Path, title: str) -> Path:
    """Mean accuracy against the bit error rate (in %), the min-max band over trials shaded
    and one standard deviation as error bars."""
    from host.plots import _pyplot, _save

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    x = [r["rate"] * 100 for r in rows]
    ax.fill_between(x, [r["min"] for r in rows], [r["max"] for r in rows], alpha=0.2,
                    label="min-max over trials")
    ax.errorbar(x, [r["mean"] for r in rows], yerr=[r["std"] for r in rows], marker="o",
                capsize=3, label="mean +/- std")
    ax.set_xlabel("bit error rate of the binary weights (%)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path, dpi=110)
