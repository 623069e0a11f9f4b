"""The results of a pruning sweep: one CSV row per trial, plots of the means over seeds
(accuracy, instructions, flash, RAM and estimated energy against the amount, one line per
method), and the table printed at the end."""

from __future__ import annotations

import csv
import io
import textwrap
from collections import defaultdict
from pathlib import Path

import numpy as np

from sdk.atomic import write_bytes_atomic

COLUMNS = ("model", "method", "amount", "seed", "retrain_epochs", "status", "float_accuracy",
           "int8_accuracy", "sparsity", "channels_removed_fraction", "macs", "nonzero_weights",
           "instructions", "instructions_per_mac", "flash_bytes", "ram_bytes", "arena_bytes",
           "weights_bytes", "energy_uj", "bit_exact", "error")
PANELS = (("int8_accuracy", "test accuracy (int8, host = device)"),
          ("instructions", "instructions per inference"), ("flash_bytes", "flash (bytes)"),
          ("ram_bytes", "RAM (bytes)"), ("energy_uj", "estimated energy per inference (uJ)"))


def rows_of(records: list[dict]) -> list[dict]:
    """One flat row per trial record (config and result side by side)."""
    rows = []
    for rec in records:
        row = {**rec["config"], "status": rec["status"], **rec.get("result", {}),
               "error": rec.get("error", "")}
        rows.append({k: row.get(k, "") for k in COLUMNS})
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    """The rows as CSV, written atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return write_bytes_atomic(path, buf.getvalue().encode())


def means(rows: list[dict]) -> list[dict]:
    """Mean of every numeric column over the seeds of each (method, amount), with ``seeds``."""
    groups: dict[tuple[str, float, int], list[dict]] = defaultdict(list)
    seen = set()
    for r in rows:
        # One row per seed: the dense model ("none") is the same whatever retraining budget
        # the sweep that measured it gave the pruned ones.
        epochs = 0 if r["method"] == "none" else int(r["retrain_epochs"])
        point = (r["method"], float(r["amount"]), epochs, r["seed"])
        if r["status"] == "ok" and point not in seen:
            seen.add(point)
            groups[point[:3]].append(r)
    out = []
    for (method, amount, epochs), members in sorted(groups.items()):
        m: dict = {"method": method, "amount": amount, "retrain_epochs": epochs,
                   "seeds": len(members)}
        for col in COLUMNS:
            values = [r[col] for r in members if isinstance(r[col], (int, float))
                      and not isinstance(r[col], bool)]
            if values and col not in ("amount", "seed", "retrain_epochs"):
                m[col] = float(np.mean(values))
        m["bit_exact"] = all(r["bit_exact"] is True for r in members)
        out.append(m)
    return out


def plot_sweep(mean_rows: list[dict], path: Path, title: str, energy_note: str) -> Path:
    """Five panels against the amount pruned, one line per method; the dense model (method
    ``none``) as a dashed line."""
    from host.plots import _pyplot, _save

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(PANELS), figsize=(4 * len(PANELS), 3.6))
    lines = sorted({(r["method"], r["retrain_epochs"]) for r in mean_rows if r["method"] != "none"})
    dense = [r for r in mean_rows if r["method"] == "none"]
    for ax, (col, label) in zip(axes, PANELS):
        for method, epochs in lines:
            pts = [(r["amount"], r[col]) for r in mean_rows
                   if (r["method"], r["retrain_epochs"]) == (method, epochs) and col in r]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=f"{method}, {epochs} epochs")
        if dense and col in dense[0]:
            ax.axhline(dense[0][col], color="gray", linestyle="--", label="dense")
        ax.set_xlabel("amount pruned")
        ax.set_title(label, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("\n".join([title, *textwrap.wrap(energy_note, 200)]), fontsize=8)
    return _save(fig, path, dpi=100)


# Seed 004 (tables 5.3, A.1 and A.3): the same CNN pruned with TF-MOT / Keras-surgeon.
# Magnitude: final sparsity -> float accuracy (15 epochs of retraining; dense 1.0000).
SEED_MAGNITUDE = {0.82: 0.9927, 0.86: 0.9843, 0.90: 0.9855, 0.94: 0.7063, 0.98: 0.3213}
# Channels removed of 32 -> (float accuracy after 3 epochs of retraining, X-CUBE-AI int8 cycles,
# flash kB, RAM kB).
SEED_CHANNELS = {0: (1.0000, 19_439_494, 67.15, 22.78), 8: (1.0000, 11_495_013, 41.93, 17.16),
                 16: (1.0000, 5_994_612, 22.46, 11.64), 20: (0.9976, 3_982_400, 14.89, 8.88),
                 24: (0.9952, 3_385_856, 8.76, 6.03), 28: (0.9711, 1_745_611, 4.07, 3.02),
                 30: (0.9579, 986_888, 2.26, 1.51)}


def _seed_figures(model: str, method: str, amount: float) -> str:
    if model != "gesture_cnn":
        return ""
    if method in ("magnitude", "global_magnitude", "random"):
        near = min(SEED_MAGNITUDE, key=lambda s: abs(s - amount))
        return f"{SEED_MAGNITUDE[near]:.4f} at {near:.0%}" if abs(near - amount) <= 0.011 else ""
    removed = round(amount * 32)
    if removed in SEED_CHANNELS and method != "none":
        acc, cycles, flash, ram = SEED_CHANNELS[removed]
        return f"{acc:.4f}; {cycles:,} cycles, {flash:g} kB, {ram:g} kB"
    return ""


def markdown_table(mean_rows: list[dict], model: str) -> str:
    """The means as a Markdown table in seed 004's shape, the seed's figures beside ours."""
    lines = ["| method | amount | retraining epochs | seeds | int8 accuracy | float accuracy | "
             "sparsity (all weights) | channels removed | instructions | instr/MAC | flash B | "
             "RAM B | arena B | bit-exact | "
             "seed 004 (float acc.; X-CUBE-AI int8) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in mean_rows:
        lines.append(
            f"| {r['method']} | {r['amount']:g} | {r['retrain_epochs']} | {r['seeds']} | "
            f"{r.get('int8_accuracy', 0):.4f} | "
            f"{r.get('float_accuracy', 0):.4f} | {r.get('sparsity', 0):.3f} | "
            f"{r.get('channels_removed_fraction', 0):.3f} | {r.get('instructions', 0):,.0f} | "
            f"{r.get('instructions_per_mac', 0):.2f} | {r.get('flash_bytes', 0):,.0f} | "
            f"{r.get('ram_bytes', 0):,.0f} | {r.get('arena_bytes', 0):,.0f} | "
            f"{'yes' if r['bit_exact'] else 'NO'} | {_seed_figures(model, r['method'], r['amount'])} |")
    return "\n".join(lines) + "\n"
