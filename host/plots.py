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
