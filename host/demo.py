"""``tinyprune demo``: the whole pipeline on the emulated Cortex-M7, in one command.

Simulated radar gestures → the seed's gesture CNN trained in PyTorch → IR → generated C →
firmware for qemu_m7 → every test frame run on the emulated board and compared with the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.device_run import DeviceRun, run_on_board
from sdk.ir import save_model

ANCHOR_XCUBE_FLOAT_CYCLES = 48_368_230
ANCHOR_KERAS2C_CYCLES = 247_874_028


@dataclass
class DemoResult:
    """What the demo measured."""

    model_path: Path
    host_accuracy: float
    device_accuracy: float
    test_frames: int
    device: DeviceRun
    val_accuracy: float
    plots: list[Path]


def run_demo(out_dir: Path, seed: int, per_class: int, epochs: int, board: str,
             progress: bool, say) -> DemoResult:
    """Synthesize, train, build, run on ``board``; ``say`` prints one status line."""
    from host.plots import plot_confusion, plot_training
    from sdk.radar.dataset import load_splits, synthesize
    from sdk.train.zoo_fit import fit_zoo_model

    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / "gestures.h5"
    say(f"1/4 simulating {per_class} radar recordings per class (seed {seed}) -> {data}")
    synthesize(data, per_class, seed, overwrite=True)
    splits = load_splits(data)
    say(f"2/4 training gesture_cnn on {len(splits.train.y)} frames "
        f"({len(splits.val.y)} validation, {len(splits.test.y)} test; sessions never shared)")
    report = fit_zoo_model("gesture_cnn", (splits.train.x, splits.train.y),
                           (splits.val.x, splits.val.y), (splits.test.x, splits.test.y),
                           splits.classes, epochs=epochs, seed=seed, progress=progress,
                           metadata={"preprocess": splits.preprocess.to_dict()})
    model_path = save_model(report.graph, out_dir / "gesture_cnn.tpm")
    plots = [plot_training(report.result.history, out_dir / "training.png", "gesture_cnn"),
             plot_confusion(report.confusion, report.classes, out_dir / "confusion.png",
                            "gesture_cnn, host, test frames")]
    say(f"3/4 building C for {board} and running all {len(splits.test.y)} test frames there")
    x = splits.test.x[..., None].astype(np.float32)
    device = run_on_board(report.graph, board, x, out_dir / board)
    device_pred = device.output.argmax(axis=1)
    host_pred = device.reference.argmax(axis=1)
    say("4/4 comparing device with host")
    return DemoResult(model_path, float(np.mean(host_pred == splits.test.y)),
                      float(np.mean(device_pred == splits.test.y)), len(splits.test.y), device,
                      report.val_accuracy, plots)
