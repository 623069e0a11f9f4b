"""One bit-error trial: a binary model's test accuracy with the flips of one seed at one rate.

:func:`ber_trial` is the trial function of ``tinyprune ber sweep`` (module level, a plain
configuration dict in and a plain dict out, so the sweep executor can ship it to a process
pool or a cluster). The flips come from :mod:`sdk.bnn.bit_errors`; every trial at every rate
of a sweep uses the seed ``seed * 1000 + trial``, so a higher rate flips a superset of the
bits a lower one flips (the same uniform draws against a larger rate): the curves compare
rates on the same draws.
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from sdk.errors import DataFileError, TinypruneError
from sdk.ir import Graph

DIRECTIONS = ("both", "01", "10")
TRIAL_SEED_STRIDE = 1000


def file_digest(path: str | Path) -> str:
    """The first 16 hex digits of a file's SHA-256 (part of a trial's identity: a retrained
    model never reuses the records of the old one)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read: {exc}") from None


def rates_of(rate: float, direction: str) -> tuple[float, float]:
    """``(p01, p10)`` of a bit error rate: both directions, or only 0 -> 1 or 1 -> 0."""
    if direction not in DIRECTIONS:
        raise TinypruneError(f"--direction {direction}: expected {', '.join(DIRECTIONS)}")
    return (rate if direction in ("both", "01") else 0.0,
            rate if direction in ("both", "10") else 0.0)


@lru_cache(maxsize=4)
def load_binary_model(path: str, digest: str) -> Graph:
    """The model at ``path`` (cached per content); one-line error unless it has binary
    weights."""
    from sdk.bnn.bit_errors import binary_weights
    from sdk.ir import load_model

    graph = load_model(path)
    if not binary_weights(graph):
        raise TinypruneError(f"{path}: model {graph.name} has no binary weights (bit errors "
                             "are injected into BinaryConv2D and BinaryDense weights; train one "
                             "with `tinyprune train --binary`)")
    if graph.tensors[graph.inputs[0]].dtype != "int8":
        raise TinypruneError(f"{path}: a binary model with an int8 input expected, got "
                             f"{graph.tensors[graph.inputs[0]].dtype}")
    return graph


@lru_cache(maxsize=4)
def test_frames(data: str, graph_seed: int, frames: int,
                preprocess: str = "null") -> tuple[np.ndarray, np.ndarray]:
    """The test split of ``data`` (a gesture dataset file made with the model's ``preprocess``,
    JSON, :func:`sdk.radar.dataset.model_splits`; or ``mnist``: the shared digits split by the
    model's training seed, so its test digits are the held-out ones) as float NHWC frames and
    labels; the first ``frames`` of them when ``frames`` > 0."""
    if data == "mnist":
        from sdk.train.mnist import MNIST_DIR, mnist_splits, to_nhwc

        if not MNIST_DIR.is_dir():
            raise TinypruneError(f"--data mnist: the shared digits are not at {MNIST_DIR} "
                                 "(../shared beside the repository)")
        x, y = mnist_splits(graph_seed).test
        x = to_nhwc(x)
    else:
        from sdk.radar.dataset import model_splits

        split = model_splits(data, json.loads(preprocess), "the model").test
        x, y = split.x[..., None] if split.x.ndim == 3 else split.x, split.y
    if frames > 0:
        x, y = x[:frames], y[:frames]
    return np.ascontiguousarray(x, dtype=np.float32), np.asarray(y)


def model_frames(graph: Graph, data: str, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Test frames quantized for ``graph``'s int8 input, and labels; a one-line error when
    their shape is not the model's."""
    from sdk.compress.report import quantize_input

    seed = int(graph.metadata.get("training", {}).get("seed", 0))
    x, y = test_frames(data, seed, frames,
                       json.dumps(graph.metadata.get("preprocess"), sort_keys=True))
    shape = graph.tensors[graph.inputs[0]].shape
    if tuple(x.shape[1:]) != tuple(shape[1:]):
        raise TinypruneError(f"--data {data}: frames of shape {list(x.shape[1:])}, model "
                             f"{graph.name} takes {list(shape[1:])}")
    return quantize_input(graph, x), y


def predict(graph: Graph, xq: np.ndarray, after_op=None) -> np.ndarray:
    """The reference's class decisions (argmax of output 0: int8 scores, or the first +1 of
    a binary output) on int8 frames ``xq``."""
    from sdk.compress.batched import run_in_chunks
    from sdk.reference.int8_executor import run_int8

    out = graph.outputs[0]
    parts = [res[out].reshape(rows.stop - rows.start, -1).argmax(axis=1)
             for rows, res in run_in_chunks(graph, xq, partial(run_int8, after_op=after_op),
                                            progress=False)]
    return np.concatenate(parts)


def ber_trial(config: dict) -> dict:
    """One sweep point. ``config``: model (path), model_digest, data, frames, rate, direction,
    seed, trial, activations (flip binary activations too, host only), board and
    device_frames (that many test frames also run on the board with the same flips, checked
    against the reference)."""
    from sdk.bnn.bit_errors import BitErrorRates, activation_errors, inject_weight_errors

    started = time.perf_counter()
    graph = load_binary_model(config["model"], config["model_digest"])
    xq, y = model_frames(graph, config["data"], config["frames"])
    rates = BitErrorRates(*rates_of(config["rate"], config["direction"]))
    seed = config["seed"] * TRIAL_SEED_STRIDE + config["trial"]
    injection = inject_weight_errors(graph, rates, seed)
    hook = activation_errors(graph, rates, seed) if config["activations"] else None
    accuracy = float(np.mean(predict(injection.graph, xq, hook) == y))
    result = {"accuracy": accuracy, "frames": int(len(y)), **injection.total.to_dict(),
              "bit_exact": None}
    if config.get("board") and config.get("device_frames", 0) > 0:
        from host.bit_errors_device import run_with_bit_errors
        from host.workdir import work_folder
        from sdk.sweep.store import trial_key

        with work_folder(None, f"ber-{trial_key(config)}") as work:
            run = run_with_bit_errors(graph, config["board"], xq[:config["device_frames"]],
                                      rates, seed, work)
        result["bit_exact"] = run.bit_exact
    result["seconds"] = time.perf_counter() - started
    return result
