"""``tinyprune demo``: the whole pipeline on the emulated Cortex-M7, in one command.

Simulated radar gestures → the seed's gesture CNN trained in PyTorch → IR → int8 by
post-training quantization → generated C → firmware for the board → every test frame run on
the emulated board and compared with the host, float and int8 → a continuous recording
(gestures now and then, empty stretches between) in a test session's scene streamed sweep by
sweep over the serial link to the real-time gesture firmware.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.device_run import DeviceRun, run_on_board
from sdk.ir import save_model

# Seed 004 (anchors.md): cycles per inference of the same CNN on a Cortex-M7 at 216 MHz.
ANCHORS = {"float": {"X-CUBE-AI 5.0 float": 48_368_230, "Keras2C -O3": 247_874_028},
           "int8": {"X-CUBE-AI 5.0 int8": 19_439_494}}
CALIBRATION_FRAMES = 256
# Step 6 removes this fraction of every convolution's channels, then retrains this many epochs.
PRUNE_AMOUNT = 0.5
PRUNE_EPOCHS = 1
# Step 7 streams one continuous recording of this length (gestures with empty stretches between,
# sdk/radar/stream.py) in the scene of a test session: every classified sweep costs about
# 9.5 M emulated instructions, so its length sets the step's run time.
STREAM_SECONDS = 36.0


@dataclass
class DemoResult:
    """What the demo measured: accuracies on the test frames, and the two device runs."""

    model_path: Path
    int8_model_path: Path
    test_frames: int
    val_accuracy: float
    host_float_accuracy: float
    host_int8_accuracy: float
    device_int8_accuracy: float
    float_run: DeviceRun
    int8_run: DeviceRun
    pruned: PrunedDemo
    stream: dict
    plots: list[Path]


@dataclass
class PrunedDemo:
    """The int8 model with half of every convolution's channels removed (L1 filter norm) and
    one epoch of retraining, run on the board beside the dense one."""

    model_path: Path
    record: dict
    host_int8_accuracy: float
    run: DeviceRun


def run_demo(out_dir: Path, seed: int, per_class: int, epochs: int, board: str,
             progress: bool, say: Callable[[str], None]) -> DemoResult:
    """Synthesize, train, quantize, build and run on ``board``; ``say`` prints a status line."""
    from host.cli_stream import run_stream
    from host.plots import plot_confusion, plot_profile, plot_training
    from sdk.compress.quantize import calibration_frames, quantize_graph
    from sdk.compress.report import predict_float, predict_int8, quantize_input
    from sdk.radar.augment import doppler_mirror
    from sdk.radar.dataset import load_splits, synthesize
    from sdk.radar.stream import synth_stream
    from sdk.train.zoo_fit import fit_zoo_model

    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / "gestures.h5"
    say(f"1/7 simulating {per_class} radar recordings per class (seed {seed}) -> {data}")
    synthesize(data, per_class, seed, overwrite=True)
    splits = load_splits(data)
    say(f"2/7 training gesture_cnn on {len(splits.train.y)} frames "
        f"({len(splits.val.y)} validation, {len(splits.test.y)} test; sessions never shared)")
    report = fit_zoo_model("gesture_cnn", (splits.train.x, splits.train.y),
                           (splits.val.x, splits.val.y), (splits.test.x, splits.test.y),
                           splits.classes, epochs=epochs, seed=seed, progress=progress,
                           patience=8, augment=doppler_mirror, schedule="cosine",
                           metadata={"preprocess": splits.preprocess.to_dict()})
    graph = report.graph
    model_path = save_model(graph, out_dir / "gesture_cnn.tpm")
    plots = [plot_training(report.result.history, out_dir / "training.png", "gesture_cnn"),
             plot_confusion(report.confusion, report.classes, out_dir / "confusion.png",
                            "gesture_cnn float, host, test frames")]

    say(f"3/7 quantizing to int8 (calibration: {CALIBRATION_FRAMES} training frames)")
    x_test = splits.test.x[..., None].astype(np.float32)
    qgraph = quantize_graph(graph, calibration_frames(splits.train.x, CALIBRATION_FRAMES, seed),
                            progress=False)
    qgraph.metadata.update(graph.metadata)
    int8_path = save_model(qgraph, out_dir / "gesture_cnn_int8.tpm")
    host_float = float(np.mean(predict_float(graph, x_test, progress=False).argmax(1)
                               == splits.test.y))
    host_int8 = float(np.mean(predict_int8(qgraph, x_test, progress=False).argmax(1)
                              == splits.test.y))

    say(f"4/7 float model: C for {board}, one test frame there against the numpy reference")
    float_run = run_on_board(graph, board, x_test[:1], out_dir / f"{board}-float")
    say(f"5/7 int8 model: C for {board}, all {len(x_test)} test frames there against the int8 "
        "reference")
    int8_run = run_on_board(qgraph, board, quantize_input(qgraph, x_test),
                            out_dir / f"{board}-int8")
    device_int8 = float(np.mean(int8_run.output.argmax(axis=1) == splits.test.y))
    say(f"6/7 pruning: {PRUNE_AMOUNT:.0%} of every convolution's channels removed (L1 filter "
        f"norm), {PRUNE_EPOCHS} epoch of retraining, int8, one test frame on {board}")
    pruned = _pruned(report.module, splits, seed, out_dir, board, x_test, progress)

    # A new continuous recording in the room of a test session (whose recordings no training
    # frame comes from), performed anew: its generator is (seed, session, STREAM_KEY), one the
    # dataset never draws from.
    stream_session = int(np.unique(splits.test.sessions)[0])
    stream_data = out_dir / "test_stream.h5"
    stream_rec = synth_stream(stream_data, seed, stream_session, STREAM_SECONDS, overwrite=True)
    gestures = [e["gesture"] for e in stream_rec.meta["episodes"]]
    say(f"7/7 real time: streaming a {STREAM_SECONDS:g} s continuous recording ({len(gestures)} "
        f"gestures: {', '.join(gestures)}; empty stretches between) of test session "
        f"{stream_session} sweep by sweep over the serial link to the gesture firmware on "
        f"{board} (int8 model)")
    stream = run_stream(str(int8_path), board, str(stream_data), fast=True,
                        out=out_dir / f"{board}-gesture", json_mode=True)
    stream["recording"] = {"path": str(stream_data), "seconds": STREAM_SECONDS,
                           "session": stream_session, "seed": seed,
                           "episodes": stream_rec.meta["episodes"]}
    plots.append(plot_profile(stream["profile"], stream["counter_unit"], out_dir / "profile.png"))
    return DemoResult(model_path, int8_path, len(x_test), report.val_accuracy, host_float,
                      host_int8, device_int8, float_run, int8_run, pruned, stream, plots)


def _pruned(module, splits, seed: int, out_dir: Path, board: str, x_test: np.ndarray,
            progress: bool) -> PrunedDemo:
    """Channel-prune the trained model, retrain it briefly, quantize it and run it."""
    from sdk.compress.quantize import calibration_frames, quantize_graph
    from sdk.compress.report import predict_int8, quantize_input
    from sdk.frontends.pytorch import from_torch
    from sdk.prune.channels import channel_prune
    from sdk.radar.augment import doppler_mirror
    from sdk.train.zoo_fit import nchw
    from sdk.zoo import get as zoo_get

    shape = zoo_get("gesture_cnn").input_shape
    result = channel_prune(module, shape, "l1_filter", PRUNE_AMOUNT,
                           train=(nchw(splits.train.x), splits.train.y), epochs=PRUNE_EPOCHS,
                           seed=seed, augment=doppler_mirror, progress=progress)
    graph = from_torch(result.module, shape, "gesture_cnn_pruned")
    graph.metadata["pruning"] = result.record
    qgraph = quantize_graph(graph, calibration_frames(splits.train.x, CALIBRATION_FRAMES, seed),
                            progress=False)
    qgraph.metadata.update(graph.metadata)
    path = save_model(qgraph, out_dir / "gesture_cnn_pruned_int8.tpm")
    accuracy = float(np.mean(predict_int8(qgraph, x_test, progress=False).argmax(1)
                             == splits.test.y))
    run = run_on_board(qgraph, board, quantize_input(qgraph, x_test[:1]),
                       out_dir / f"{board}-pruned-int8")
    return PrunedDemo(path, result.record, accuracy, run)
