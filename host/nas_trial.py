"""One search trial: train a candidate binary network, export it, measure what the search
optimizes. A module-level function of a plain configuration, so the sweep executor can run it
on any backend (local processes, Ray), and its record is keyed by that configuration."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sdk.ir import Graph
    from sdk.prune.task import Task

# The zoo network whose data each dataset trains with (splits, learning rate, batch size,
# augmentation): the candidates share its input.
TASK_MODEL = {"mnist": "bnn_mnist"}
GESTURE_TASK_MODEL = "bnn_gesture_msp430"


def task_for(data: str, augment: str | None = None) -> Task:
    """The splits and training recipe of ``data`` (:func:`sdk.prune.task.load_task`), the
    input shape the data's (other depths, time context), with the digits' ``augment``."""
    from sdk.prune.task import load_task

    return load_task(data, TASK_MODEL.get(data, GESTURE_TASK_MODEL), shape_from_data=True,
                     digit_augment=augment)


def binary_ops(graph: Graph) -> int:
    """Binary operations of one inference: the MACs of every binary layer."""
    return sum(graph.macs(op) for op in graph.ops if op.type in ("BinaryConv2D", "BinaryDense"))


def model_path(folder: str, config: dict) -> Path:
    """Where :func:`nas_trial` keeps the exported model of ``config``."""
    from sdk.sweep.store import trial_key

    return Path(folder) / "models" / f"{trial_key(config)}.tpm"


def nas_trial(config: dict, folder: str | None = None) -> dict:
    """Train ``config["arch"]`` on ``config["data"]`` for at most ``epochs`` epochs (seed,
    cosine schedule, early stopping on validation, latent weights clipped, ``loss`` and its
    ``margin``, the activations' sign ``quantizer``, with ``train_ber`` the binary weights'
    bits flipped at that rate in every training forward (sdk.bnn.bit_flip), with ``augment``
    the digits' augmentation of that name (sdk.train.augment_digits): `tinyprune train
    --binary`'s recipe), export
    it (kept under ``folder``/models when given), and return its test accuracy (of the
    exported graph's decisions: the eval-mode module; with ``ber``, the mean over
    ``ber_trials`` of the exported graph's accuracy with its weight bits flipped at that rate,
    the error-free one as ``clean_accuracy``), packed weight bytes, activation bytes and
    predicted count on the board, and binary operations."""
    import torch

    from sdk.bnn.export import export_binary
    from sdk.bnn.layers import clip_latent_weights
    from sdk.nas.budget import board_budget, check_budget
    from sdk.nas.space import build_module
    from sdk.train.loop import evaluate, train_classifier
    from sdk.train.losses import make_loss

    started = time.perf_counter()
    task = task_for(config["data"], config.get("augment"))
    torch.manual_seed(config["seed"])
    module = build_module(config["arch"], config.get("quantizer", "ste_sign"))
    if config.get("train_ber") is not None:
        from sdk.bnn.bit_flip import add_bit_flips

        add_bit_flips(module, config["train_ber"], config["seed"])
    result = train_classifier(module, task.train, task.val, config["epochs"],
                              config.get("lr") or 5e-3, task.batch_size, config["seed"],
                              progress=False, augment=task.augment, schedule="cosine",
                              after_step=clip_latent_weights,
                              loss_fn=make_loss(config.get("loss", "ce"), config.get("margin"),
                                                binary=True))
    accuracy = evaluate(module, *task.test).accuracy
    graph = export_binary(module, (1, *config["arch"]["input"]), "candidate")
    # what the gesture app reads (preprocessing, time context, class names)
    graph.metadata.update({**task.metadata, "class_names": list(task.classes)})
    check = check_budget(graph, board_budget(config["board"]))
    under_errors = {}
    if config.get("ber") is not None:
        under_errors = {"clean_accuracy": accuracy,
                        "accuracy": accuracy_at_ber(graph, task, config["ber"],
                                                    config["ber_trials"], config["seed"])}
    if folder is not None:
        from sdk.ir import save_model

        model_path(folder, config).parent.mkdir(parents=True, exist_ok=True)
        save_model(graph, model_path(folder, config))
    return {"accuracy": accuracy, "val_accuracy": result.best_val_accuracy,
            "epochs_run": len(result.history), "binary_ops": binary_ops(graph),
            **check.to_json(), **under_errors, "seconds": time.perf_counter() - started}


def accuracy_at_ber(graph: Graph, task: Task, rate: float, trials: int, seed: int) -> float:
    """Mean test accuracy of ``graph`` (the reference's decisions) over ``trials`` seeded
    flips of its packed weight bits, both directions at ``rate``; trial ``t`` uses the seed
    ``seed * 1000 + t``, as ``tinyprune ber sweep`` does."""
    import numpy as np

    from host.ber_trial import TRIAL_SEED_STRIDE, predict
    from sdk.bnn.bit_errors import BitErrorRates, inject_weight_errors
    from sdk.compress.report import quantize_input
    from sdk.train.mnist import to_nhwc

    x, y = task.test
    xq = quantize_input(graph, to_nhwc(x))
    rates = BitErrorRates(rate, rate)
    return float(np.mean([np.mean(predict(inject_weight_errors(
        graph, rates, seed * TRIAL_SEED_STRIDE + t).graph, xq) == np.asarray(y))
        for t in range(trials)]))


def run_winner(folder: str, config: dict, predicted: float, frames: int = 1) -> dict:
    """Build the kept model of ``config`` for its board (trained again, identically, when it
    is not under ``folder``), run ``frames`` test frames there (checked against the host
    reference) and compare the measured count of the first with the cost model's
    prediction."""
    from host.device_run import run_on_board
    from host.workdir import work_folder
    from sdk.compress.report import quantize_input
    from sdk.ir import load_model
    from sdk.train.mnist import to_nhwc

    if not model_path(folder, config).is_file():  # trained elsewhere (a cluster node)
        from sdk.sweep.executor import one_torch_thread

        with one_torch_thread():
            nas_trial(config, folder)
    graph = load_model(model_path(folder, config))
    x = quantize_input(graph, to_nhwc(task_for(config["data"]).test[0][:frames]))
    with work_folder(None, "nas-winner") as work:
        run = run_on_board(graph, config["board"], x, work, timeout_s=600)
    measured = run.instructions
    return {"arch": config["arch"], "bit_exact": run.bit_exact, "measured_count": measured,
            "predicted_count": round(predicted),
            "error": None if not measured else round(predicted / measured - 1, 4),
            "flash_bytes": run.build.size.flash_bytes if run.build.size else None}
