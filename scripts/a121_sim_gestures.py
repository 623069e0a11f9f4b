"""Issue 17 on simulated A121 bursts: the conv models train once the preprocessing standardizes
each depth row. Simulates the A121 gesture set, packs it as a new user would (motion segments
against an empty recording, bursts of 16 sweeps at 1 kHz, 60 frames/s, a time context), trains
``gesture_cnn`` and ``gesture_tcn`` with and without the standardization, and scores the test
session per frame and per segment (a segment's class: the most frequent frame class in it).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/a121_sim_gestures.py --out build/bench/a121

Resumes: datasets and models already in ``--out`` are reused. Prints one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TINYPRUNE = [sys.executable, "-m", "host"]
GESTURES = ("tap_in", "tap_out", "double_tap", "wiggle")
PATTERN = r"(?P<label>[a-z_]+)_(?P<session>\d+)_\d+\.h5$"


def _run(*args: str) -> str:
    proc = subprocess.run([*TINYPRUNE, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"tinyprune {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def simulate(out: Path, per_class: int, seed: int) -> tuple[list[Path], Path]:
    """The A121 recordings of the four gestures and one empty-room recording to segment against."""
    rec = out / "recordings"
    if not rec.is_dir():
        _run("data", "synth-a121", "--out", str(rec), "--per-class", str(per_class), "--gestures",
             ",".join((*GESTURES, "empty")), "--sweeps-per-frame", "16", "--frame-rate", "60",
             "--frames", "120", "--seed", str(seed))
    paths = sorted(p for p in rec.glob("*.h5") if not p.name.startswith("empty_"))
    return paths, sorted(rec.glob("empty_*.h5"))[0]


def pack(out: Path, paths: list[Path], empty: Path, context: int, standardize: bool) -> Path:
    """``data pack`` with motion segmentation; the last session is the test split."""
    ds = out / f"ds_c{context}{'' if standardize else '_plain'}.h5"
    if not ds.is_file():
        sessions = sorted({p.name.split("_")[-2] for p in paths})
        _run("data", "pack", *map(str, paths), "--label-pattern", PATTERN, "--segment-against",
             str(empty), "--depth-bins", "10", "--context-frames", str(context), "--test-session",
             sessions[-1], "--out", str(ds), *([] if standardize else ["--no-standardize"]))
    return ds


def segment_scores(model: Path, ds: Path) -> dict[str, float]:
    """Accuracy on the test split per frame and per motion segment."""
    from host.device_run import reference_outputs
    from sdk.ir import load_model
    from sdk.radar import preprocess as prep
    from sdk.radar.dataset import load_dataset

    graph = load_model(model)
    data = load_dataset(ds)
    config, test = data.preprocess, set(data.info["test_sessions"])
    frames_ok, segments_ok = [], []
    for rec in data.recordings:
        if int(rec.meta["session"]) not in test:
            continue
        labels = rec.sweep_labels()
        y = labels[config.input_sweeps(len(labels))]
        x = prep.model_inputs(rec.iq_sweeps(), config)
        pred = reference_outputs(graph, x.reshape(len(x), *config.input_shape, 1)).argmax(axis=1)
        frames_ok += list(pred[y >= 0] == y[y >= 0])
        edges = np.flatnonzero(np.diff(np.concatenate([[0], (y >= 0).astype(int), [0]])))
        for a, b in zip(edges[::2], edges[1::2]):
            votes = np.bincount(pred[a:b], minlength=len(data.classes))
            segments_ok.append(int(votes.argmax()) == int(y[a]))
    return {"frame_accuracy": float(np.mean(frames_ok)), "segments": len(segments_ok),
            "segment_accuracy": float(np.mean(segments_ok))}


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "a121")
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--context", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the simulation")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="training seeds")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    paths, empty = simulate(args.out, args.per_class, args.data_seed)
    for standardize in (True, False):
        ds = pack(args.out, paths, empty, args.context, standardize)
        for name in ("gesture_cnn", "gesture_tcn"):
            for seed in args.seeds:
                model = ds.with_name(f"{ds.stem}_{name}_s{seed}.tpm")
                if not model.is_file():
                    _run("train", "--model", name, "--data", str(ds), "--out", str(model),
                         "--epochs", str(args.epochs), "--seed", str(seed), "--json")
                print(json.dumps({"model": name, "seed": seed, "standardized": standardize,
                                  "context_frames": args.context,
                                  **segment_scores(model, ds)}), flush=True)


if __name__ == "__main__":
    main()
