"""One search trial: train a candidate binary network, export it, measure what the search
optimizes. A module-level function of a plain configuration, so the sweep executor can run it
on any backend (local processes, Ray), and its record is keyed by that configuration."""

from __future__ import annotations

import time

# The zoo network whose data each dataset trains with (splits, learning rate, batch size,
# augmentation): the candidates share its input.
TASK_MODEL = {"mnist": "bnn_mnist"}
GESTURE_TASK_MODEL = "bnn_gesture_msp430"


def task_for(data: str):
    """The splits and training recipe of ``data`` (:func:`sdk.prune.task.load_task`)."""
    from sdk.prune.task import load_task

    return load_task(data, TASK_MODEL.get(data, GESTURE_TASK_MODEL))


def binary_ops(graph) -> int:
    """Binary operations of one inference: the MACs of every binary layer."""
    return sum(graph.macs(op) for op in graph.ops if op.type in ("BinaryConv2D", "BinaryDense"))


def nas_trial(config: dict) -> dict:
    """Train ``config["arch"]`` on ``config["data"]`` for at most ``epochs`` epochs (seed,
    cosine schedule, early stopping on validation, latent weights clipped), export it, and
    return its test accuracy (of the exported graph's decisions: the eval-mode module), packed
    weight bytes, activation bytes and predicted count on the board, and binary operations."""
    import torch

    from sdk.bnn.export import export_binary
    from sdk.bnn.layers import clip_latent_weights
    from sdk.nas.budget import board_budget, check_budget
    from sdk.nas.space import build_module
    from sdk.train.loop import evaluate, train_classifier

    started = time.perf_counter()
    task = task_for(config["data"])
    torch.manual_seed(config["seed"])
    module = build_module(config["arch"])
    result = train_classifier(module, task.train, task.val, config["epochs"],
                              config.get("lr") or 5e-3, task.batch_size, config["seed"],
                              progress=False, augment=task.augment, schedule="cosine",
                              after_step=clip_latent_weights)
    accuracy = evaluate(module, *task.test).accuracy
    graph = export_binary(module, (1, *config["arch"]["input"]), "candidate")
    check = check_budget(graph, board_budget(config["board"]))
    return {"accuracy": accuracy, "val_accuracy": result.best_val_accuracy,
            "epochs_run": len(result.history), "binary_ops": binary_ops(graph),
            **check.to_json(), "seconds": time.perf_counter() - started}
