"""One pruning trial, end to end: prune the dense model, retrain, convert to IR (masks
included), quantize to int8, build for the board, run on it, and measure.

:func:`prune_trial` is the trial function of ``tinyprune prune sweep`` (a module-level
function of a plain configuration dict, so the sweep executor can run it anywhere) and
:func:`prune_model` the step that ``tinyprune prune MODEL`` shares with it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from torch import nn

from sdk.errors import TinypruneError
from sdk.ir import Graph

CALIBRATION_FRAMES = 256


def prune_module(module: nn.Module, task, method: str, amount: float, epochs: int, seed: int,
                 target_macs: int | None = None, progress: bool = False) -> tuple[Graph, dict]:
    """Prune ``module`` (zoo model of ``task``) by ``method``, retrain ``epochs`` epochs with
    the dense model's recipe (Adam from the task's learning rate down a half cosine, the same
    augmentation), and convert it to a float IR graph whose metadata records the pruning
    (masks on the pruned weights for unstructured methods)."""
    from sdk.frontends.pytorch import from_torch
    from sdk.prune.channels import channel_prune
    from sdk.prune.criteria import UNSTRUCTURED, check_method
    from sdk.prune.magnitude import magnitude_prune, masks_to_ir

    check_method(method)
    train = task.train
    if method in UNSTRUCTURED:
        if target_macs is not None:
            raise TinypruneError(f"--target-macs: only channel methods reach a MAC target, "
                                 f"not {method}")
        pruned, record = magnitude_prune(module, amount, method, train, epochs, seed,
                                         batch_size=task.batch_size, lr=task.lr,
                                         augment=task.augment, progress=progress, cosine=True)
        graph = from_torch(pruned, task.input_shape, task.model)
        masks_to_ir(pruned, graph, task.input_shape, list(record["layers"]))
    else:
        result = channel_prune(module, task.input_shape, method,
                               None if target_macs is not None else amount, target_macs, train,
                               epochs, seed, task.lr, task.batch_size, task.augment, progress,
                               cosine=True)
        pruned, record = result.module, result.record
        graph = from_torch(pruned, task.input_shape, task.model)
    from sdk.prune.task import accuracy

    record["retrain"] = {"optimizer": "adam", "lr": task.lr, "schedule": "cosine",
                         "batch_size": task.batch_size}
    record["float_accuracy"] = accuracy(pruned, task.test)
    graph.metadata.update({**task.metadata, "class_names": task.classes, "pruning": record})
    return graph, record


def quantize_for_task(graph: Graph, task, seed: int) -> Graph:
    """int8 post-training quantization with training frames (256) for calibration."""
    from sdk.compress.quantize import calibration_frames, quantize_graph
    from sdk.train.mnist import to_nhwc

    calib = calibration_frames(to_nhwc(task.train[0]), CALIBRATION_FRAMES, seed)
    qgraph = quantize_graph(graph, calib, progress=False)
    qgraph.metadata.update(graph.metadata)
    return qgraph


def _weights(graph: Graph) -> tuple[int, int]:
    """(weights of Conv2D/Dense ops, of which non-zero)."""
    total = nonzero = 0
    for op in graph.ops:
        if op.type in ("Conv2D", "DepthwiseConv2D", "Dense"):
            w = graph.tensors[op.inputs[1]].const_data()
            total += w.size
            nonzero += int(np.count_nonzero(w))
    return total, nonzero


def prune_trial(config: dict, folder: str | None = None) -> dict:
    """Run one sweep point; ``config`` has model, data, method, amount, seed, retrain_epochs,
    dense_epochs, board and device_frames. Models (dense cache, pruned int8 .tpm) go under
    ``folder`` when given."""
    import torch

    from host.device_run import run_on_board
    from host.energy import energy_model
    from host.workdir import work_folder
    from sdk.compress.report import accuracy, predict_int8, quantize_input
    from sdk.ir import save_model
    from sdk.prune.task import dense_module, load_task
    from sdk.sweep.store import trial_key
    from sdk.train.mnist import to_nhwc

    # One thread per trial: a sweep gains speed from trials side by side (--workers), and on a
    # shared machine a second intra-op thread mostly spins.
    torch.set_num_threads(1)
    started = time.perf_counter()
    task = load_task(config["data"], config["model"])
    cache = Path(folder) / "models" if folder else None
    dense = dense_module(task, config["seed"], config["dense_epochs"], cache)
    if config["method"] == "none":
        from sdk.frontends.pytorch import from_torch
        from sdk.prune.task import accuracy as torch_accuracy

        graph = from_torch(dense, task.input_shape, task.model)
        record = {"method": "none", "amount": 0.0, "float_accuracy": torch_accuracy(dense, task.test)}
    else:
        graph, record = prune_module(dense, task, config["method"], config["amount"],
                                     config["retrain_epochs"], config["seed"])
    qgraph = quantize_for_task(graph, task, config["seed"])
    x_test = to_nhwc(task.test[0])
    int8_acc = accuracy(predict_int8(qgraph, x_test, progress=False), task.test[1])
    if cache is not None:
        save_model(qgraph, cache / f"{task.model}-{config['method']}-{trial_key(config)}_int8.tpm")
    frames = quantize_input(qgraph, x_test[:config["device_frames"]])
    with work_folder(None, f"prune-{trial_key(config)}") as work:
        run = run_on_board(qgraph, config["board"], frames, work)
    total, nonzero = _weights(qgraph)
    macs = sum(qgraph.macs(op) for op in qgraph.ops)
    count = run.instructions or 0
    size = run.build.size
    return {"float_accuracy": record["float_accuracy"], "int8_accuracy": int8_acc,
            "macs": macs, "weights": total, "nonzero_weights": nonzero,
            "sparsity": 1.0 - nonzero / total,
            "channels_removed_fraction": record.get("channels_removed_fraction", 0.0),
            "instructions": run.instructions,
            "instructions_per_mac": count / macs if macs else None,
            "bit_exact": run.bit_exact, "flash_bytes": size.flash_bytes if size else None,
            "ram_bytes": size.ram_bytes if size else None, "arena_bytes": run.build.plan.arena_bytes,
            "weights_bytes": run.build.weights_bytes,
            "energy_uj": energy_model(run.build.board).joules(count) * 1e6,
            "seconds": time.perf_counter() - started}
