"""PNG figures for results people would rather look at than read (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sdk.atomic import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path, dpi: int) -> Path:
    """Lay out, write and close ``fig``; returns ``path``."""
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=Path(path).suffix.lstrip(".") or "png")
    finally:
        _pyplot().close(fig)
    return Path(path)


def plot_confusion(matrix: np.ndarray, classes: list[str], path: str | Path,
                   title: str) -> Path:
    """A confusion matrix (rows: true class, columns: predicted) with counts in the cells."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(classes)), classes, rotation=30)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(j, i, str(n), ha="center", va="center",
                color="white" if n > matrix.max() / 2 else "black")
    return _save(fig, path, dpi=120)


def plot_training(history: list, path: str | Path, title: str) -> Path:
    """Training and validation accuracy per epoch (``history`` of sdk.train EpochStats)."""
    plt = _pyplot()
    epochs = [h.epoch for h in history]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(epochs, [h.train.accuracy for h in history], marker="o", label="train")
    ax.plot(epochs, [h.val.accuracy for h in history], marker="o", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return _save(fig, path, dpi=120)


def plot_profile(profile: dict, unit: str, path: Path) -> Path:
    """A horizontal bar chart of the preprocessing and every step of one sweep."""
    plt = _pyplot()
    labels = ["preprocessing", *[s["name"] for s in profile["steps"]]]
    values = [profile["preprocess"], *[s["count"] for s in profile["steps"]]]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(labels) + 1.2))
    ax.barh(labels[::-1], values[::-1], color=["#4c72b0"] * len(profile["steps"]) + ["#dd8452"])
    ax.set_xlabel(f"{unit} per sweep")
    ax.set_title(f"gesture firmware profile ({unit})")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return _save(fig, path, dpi=100)


def plot_labels(rows: list[tuple[str, np.ndarray, np.ndarray]], classes: list[str],
                path: str | Path, title: str) -> Path:
    """One strip per recording (name, sweep times in s, class index per sweep, -1 for none):
    which class every stretch of it was given."""
    from matplotlib.patches import Patch

    plt = _pyplot()
    colors = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.4))
    for row, (_, times, labels) in enumerate(rows):
        edges = np.flatnonzero(np.diff(labels)) + 1
        for begin, end in zip(np.r_[0, edges], np.r_[edges, len(labels)]):
            t0 = times[begin]
            t1 = times[end] if end < len(times) else times[-1] + np.median(np.diff(times))
            k = int(labels[begin])
            ax.broken_barh([(t0, t1 - t0)], (row - 0.4, 0.8),
                           color=colors(k % 10) if k >= 0 else "#dddddd")
    ax.set_yticks(range(len(rows)), [name for name, _, _ in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.legend(handles=[Patch(color=colors(k % 10), label=c) for k, c in enumerate(classes)]
              + [Patch(color="#dddddd", label="(no class)")], fontsize=7,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title)
    return _save(fig, path, dpi=100)


def plot_radar_compare(comparisons: list, path: str | Path, title: str) -> Path:
    """Per configuration key (sdk.radar.compare.Comparison): simulated over real for every
    statistic with the 20 % band, the noise spectrum along sweeps and the depth correlation of
    both, and example frames of both."""
    from sdk.radar import radar_stats as rs

    plt = _pyplot()
    n_frames = max(max(len(c.simulated.frames), len(c.real.frames)) for c in comparisons)
    cols = 3 + 2 * n_frames
    fig, axes = plt.subplots(len(comparisons), cols, figsize=(2.3 * cols, 2.6 * len(comparisons)),
                             squeeze=False)
    for row, c in zip(axes, comparisons):
        names, sim, real, _ = zip(*c.rows())
        ratio = np.array([s / r if np.isfinite(s) and np.isfinite(r) and r else np.nan
                          for s, r in zip(sim, real)])
        row[0].barh(names, ratio, color=["#4c72b0" if abs(x - 1) <= 0.2 else "#c44e52"
                                          for x in np.nan_to_num(ratio, nan=1.0)])
        row[0].axvspan(0.8, 1.2, color="#dddddd", zorder=0)
        row[0].axvline(1.0, color="black", lw=0.8)
        row[0].set_xlabel("simulated / real")
        row[0].tick_params(labelsize=6)
        row[0].set_title(c.key, fontsize=8)
        for side, style in ((c.simulated, "-"), (c.real, "--")):
            freq, power = rs.slow_time_spectrum(side.example)
            bins = max(1, min(16, freq.size))  # a long recording's periodogram, smoothed
            row[1].plot([f.mean() for f in np.array_split(freq, bins)],
                        [p.mean() for p in np.array_split(power, bins)], style,
                        label="sim" if side is c.simulated else "real")
            depths = side.example.depths_m
            step = float(np.median(np.diff(depths))) if depths.size > 1 else 0.0
            rho = rs.depth_correlation(side.example.bursts, max_lag=int(0.15 / step) if step else 0)
            row[2].plot(np.arange(len(rho)) * step * 100, rho, style)
        row[1].set_xlabel("Hz (differences along sweeps)", fontsize=7)
        row[1].set_ylabel("power / mean", fontsize=7)
        row[1].legend(fontsize=6)
        row[2].set_xlabel("depth lag, cm", fontsize=7)
        row[2].set_ylabel("noise correlation", fontsize=7)
        row[2].axhline(0.5, color="grey", lw=0.6)
        for k in range(2 * n_frames):
            ax = row[3 + k]
            ax.axis("off")
            side = c.simulated if k < n_frames else c.real
            idx = k % n_frames
            if idx < len(side.frames):
                ax.imshow(side.frames[idx], vmin=0, vmax=1, aspect="auto", origin="lower")
                ax.set_title(("simulated" if side is c.simulated else "real") + f" frame {idx + 1}",
                             fontsize=7)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path, dpi=90)


def plot_pareto(rows: list[dict], path: str | Path, title: str) -> Path:
    """Search results: test accuracy against packed weight bytes and against binary
    operations, every trained candidate a dot, the Pareto front (``pareto``) joined."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((axes[0], "weight_bytes", "packed weight bytes"),
                           (axes[1], "binary_ops", "binary operations per inference")):
        x = np.array([r[key] for r in rows], dtype=float)
        y = np.array([r["accuracy"] for r in rows], dtype=float)
        front = np.array([r["pareto"] for r in rows], dtype=bool)
        ax.scatter(x[~front], y[~front], s=14, color="#999999", label="candidate")
        order = np.argsort(x[front])
        ax.plot(x[front][order], y[front][order], "o", color="#c44e52", ms=5,
                label="Pareto front (accuracy, bytes, operations)")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(_pyplot().NullFormatter())
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path, dpi=100)
