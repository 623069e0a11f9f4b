"""``tinyprune prune MODEL``: prune one model file.

A float ``.tpm`` of a zoo model (from ``tinyprune train``) is pruned as its PyTorch module,
so it can be retrained; any other graph (an imported ``.tflite``, float or int8) is pruned in
the IR without retraining: unstructured methods zero its weights, channel methods remove
channels through pools, flatten, dense layers and residual ADDs.
"""

from __future__ import annotations

from pathlib import Path

from sdk.errors import TinypruneError, UnsupportedError
from sdk.ir import Graph


def _zoo_task(graph: Graph, data: str | None, epochs: int):
    """The task of a float zoo model given its data (pruned as PyTorch), else None (the IR)."""
    from sdk.prune.task import load_task
    from sdk.zoo import names

    if graph.name not in names() or any(t.dtype != "float32" for t in graph.tensors.values()):
        return None
    if data is None:
        if epochs > 0:
            raise TinypruneError(f"--data: retraining the zoo model {graph.name!r} needs its "
                                 "dataset")
        return None
    return load_task(data, graph.name, preprocess=graph.metadata.get("preprocess"))


def prune_file(model: str, method: str, amount: float | None, target_macs: int | None,
               data: str | None, epochs: int, seed: int, out: Path) -> dict:
    """Prune the model in file ``model`` and save it to ``out``; returns the report."""
    from host.models import load_model_arg
    from sdk.ir import save_model
    from sdk.prune.criteria import UNSTRUCTURED, check_method
    from sdk.prune.ir_channels import prune_graph_channels, prune_graph_to_macs
    from sdk.prune.ir_weights import prune_graph_weights

    check_method(method)
    if target_macs is not None and method in UNSTRUCTURED:
        raise TinypruneError(f"--target-macs: only channel methods reach a MAC target, not {method}")
    graph = load_model_arg(model)
    task = _zoo_task(graph, data, epochs)
    if task is not None:
        from host.prune_trial import prune_module
        from sdk import zoo
        from sdk.prune.ir_weights import load_into_module
        from sdk.radar.gestures import model_preprocess

        # The zoo model shaped as this one was trained: its input, classes and time context.
        shape = graph.tensors[graph.inputs[0]].shape
        module = load_into_module(
            zoo.get(graph.name).build(graph.tensors[graph.outputs[0]].size, (shape[1], shape[2]),
                                      model_preprocess(graph.metadata).context_frames), graph)
        pruned, record = prune_module(module, task, method, amount or 0.0, epochs, seed,
                                      target_macs)
        pruned.metadata = {**graph.metadata, **pruned.metadata}
    else:
        if epochs > 0:
            raise UnsupportedError(f"--retrain-epochs with {model}: only float .tpm files of zoo "
                                   "models (from `tinyprune train`) can be retrained; prune "
                                   "without retraining")
        if method in UNSTRUCTURED:
            pruned = prune_graph_weights(graph, amount or 0.0, method, seed=seed)
        elif target_macs is not None:
            pruned = prune_graph_to_macs(graph, target_macs, method, seed)
        else:
            pruned = prune_graph_channels(graph, amount or 0.0, method, seed)
        record = pruned.metadata["pruning"]
    save_model(pruned, out)
    macs = (sum(graph.macs(op) for op in graph.ops), sum(pruned.macs(op) for op in pruned.ops))
    return {"model": model, "out": str(out), "method": method,
            "amount": record["amount"], "structure": record["structure"],
            "retrain_epochs": epochs, "macs_before": macs[0], "macs_after": macs[1],
            "params_before": graph.parameter_count(), "params_after": pruned.parameter_count(),
            "nonzero_after": _nonzero(pruned),
            **({"float_accuracy": record["float_accuracy"]} if "float_accuracy" in record else {}),
            "pruning": record}


def _nonzero(graph: Graph) -> int:
    import numpy as np

    return sum(int(np.count_nonzero(t.data)) for t in graph.tensors.values() if t.data is not None)
