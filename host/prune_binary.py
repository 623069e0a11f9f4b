"""``tinyprune prune MODEL --to-bytes N | --to-ops N``: a binary network (from ``tinyprune
train --binary``) pruned by channels to a size, with the accuracy at every size it passes
(a rich table while it runs, a plot beside the output; :mod:`sdk.prune.binary_channels`)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from sdk.errors import TinypruneError


def parse_size(text: str, option: str) -> tuple[int | None, float | None]:
    """``N`` (an absolute count) or ``P%`` (a percentage of the model's own): ``(N, None)`` or
    ``(None, P / 100)``; a one-line error otherwise."""
    t = text.strip()
    try:
        if t.endswith("%"):
            p = float(t[:-1])
            if not 0.0 < p < 100.0:
                raise ValueError(t)
            return None, p / 100.0
        n = int(t.replace(",", "").replace("_", ""))
        if n < 1:
            raise ValueError(t)
        return n, None
    except ValueError:
        raise TinypruneError(f"{option} {text!r}: expected a positive integer, or a percentage "
                             "of the model's own like 50%") from None


def plot_sizes(runs: dict[str, list], what: str, path: Path, title: str) -> Path:
    """Test accuracy (solid) and validation accuracy (dotted) against the size reached, one
    colour per criterion; the unpruned model's test accuracy dashed."""
    from host.plots import _pyplot, _save

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for i, (method, steps) in enumerate(runs.items()):
        xs = [getattr(s.cost, what) for s in steps]
        ax.plot(xs, [s.test_accuracy for s in steps], marker="o", color=f"C{i}",
                label=f"{method} (test)")
        ax.plot(xs, [s.val_accuracy for s in steps], marker="s", linestyle=":", color=f"C{i}",
                label=f"{method} (validation)")
    first = next(iter(runs.values()))[0]
    ax.axhline(first.test_accuracy, color="gray", linestyle="--", label="unpruned (test)")
    ax.invert_xaxis()
    ax.set_xlabel("packed bytes" if what == "bytes" else "binary operations per inference")
    ax.set_ylabel("accuracy")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, path, dpi=110)


def prune_binary_file(model: str, method: str, to_bytes: str | None, to_ops: str | None,
                      data: str | None, epochs: int, rounds: int, floor: float, seed: int,
                      out: Path, progress: bool) -> tuple[dict, Table]:
    """Prune the binary model in file ``model`` to the size asked and write it to ``out`` (and
    the plot beside it); returns the report and its table (a row per size reached, also
    printed to stderr as it goes with ``progress``)."""
    import torch
    from rich.console import Console

    from host.models import load_model_arg
    from sdk import zoo
    from sdk.bnn.from_ir import is_binary_graph, module_from_graph, network_of
    from sdk.ir import save_model
    from sdk.prune.binary_channels import (
        BINARY_CRITERIA,
        Settings,
        SizeTarget,
        check_reachable,
        cost_of,
        prune_binary,
    )
    from sdk.prune.task import load_task

    option, text = ("--to-bytes", to_bytes) if to_bytes is not None else ("--to-ops", to_ops)
    assert text is not None
    value, share = parse_size(text, option)
    if method not in (*BINARY_CRITERIA, "best"):
        raise TinypruneError(f"--method {method!r}: {option} prunes binary networks by one of "
                             f"{', '.join(BINARY_CRITERIA)}, or best (each, keeping the best "
                             "validation accuracy)")
    if not 0.0 < floor <= 1.0:
        raise TinypruneError(f"--floor {floor:g}: expected the fraction of every layer's "
                             "channels kept at least, in (0, 1]")
    graph = load_model_arg(model)
    if not is_binary_graph(graph):
        raise TinypruneError(f"{option}: {model} is not a binary network; {option} prunes the "
                             "models of `tinyprune train --binary` (others: --amount or "
                             "--target-macs)")
    if data is None:
        raise TinypruneError(f"--data: pruning {model} {option} retrains it on its dataset")
    if epochs < 1:
        raise TinypruneError(f"--retrain-epochs {epochs}: {option} scores and retrains over "
                             "training intervals; expected at least 1")
    what = "bytes" if option == "--to-bytes" else "binary_ops"
    # The size and whether the target is reachable, before any data is read.
    network = network_of(graph)
    shape = zoo.get(graph.name).input_shape
    if share is not None:
        value = max(1, int(getattr(cost_of(network, shape), what) * share))
    assert value is not None
    target = SizeTarget(what, value)
    check_reachable(network, target, floor, shape, graph.name)
    torch.set_num_threads(1)
    # The digits split as the model was trained (a gesture file's split is in the file).
    task = load_task(data, graph.name, int(graph.metadata.get("training", {}).get("seed", 0)),
                     graph.metadata.get("preprocess"))
    module = module_from_graph(graph, task.train[0][:512])
    unit = "bytes" if what == "bytes" else "binary ops"
    table = Table(title=f"{graph.name}: {method} to {value:,} {unit}")
    for col in ("method", "round", "bytes", "binary ops", "val acc", "test acc", "channels"):
        table.add_column(col, justify="right")
    console = Console(stderr=True)
    runs: dict[str, tuple] = {}
    for criterion in BINARY_CRITERIA if method == "best" else (method,):
        def show(step, criterion: str = criterion) -> None:
            row = (criterion, str(step.round), f"{step.cost.bytes:,}",
                   f"{step.cost.binary_ops:,}", f"{step.val_accuracy:.4f}",
                   f"{step.test_accuracy:.4f}", " ".join(str(w) for w in step.widths.values()))
            table.add_row(*row)
            if progress:
                console.print("  ".join(row))

        runs[criterion] = prune_binary(module, task, Settings(criterion, rounds, epochs, floor,
                                                              seed=seed),
                                       target, progress=progress, on_step=show)
    chosen = max(runs, key=lambda c: runs[c][1][-1].val_accuracy)
    pruned, steps = runs[chosen]
    pruned.metadata = {**graph.metadata, **pruned.metadata}
    save_model(pruned, out)
    png = plot_sizes({c: r[1] for c, r in runs.items()}, what, out.with_suffix(".sizes.png"),
                     f"{graph.name}: {method} pruning to {value:,} {unit}")
    first, last = steps[0], steps[-1]
    return {"model": model, "out": str(out), "plot": str(png), "method": chosen,
            "target": {what: value}, "bytes_before": first.cost.bytes,
            "bytes_after": last.cost.bytes, "binary_ops_before": first.cost.binary_ops,
            "binary_ops_after": last.cost.binary_ops,
            "test_accuracy_before": first.test_accuracy, "test_accuracy_after": last.test_accuracy,
            "steps": [s.to_dict() for s in steps],
            **({"tried": {c: [s.to_dict() for s in r[1]] for c, r in runs.items()}}
               if len(runs) > 1 else {})}, table
