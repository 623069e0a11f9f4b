"""``tinyprune prune MODEL ...`` (prune one model) and ``tinyprune prune sweep ...`` (every
method and amount: prune, retrain, quantize, build, run on the board, CSV and plots)."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from typer._click.core import Context as ClickContext  # the Context TyperGroup declares
from typer.core import TyperGroup

from host.cli_checks import dataset_or_mnist, non_negative_int, out_file, out_folder, positive_int
from host.cli_options import ADDRESS_OPT, BACKEND_OPT, BOARD_OPT, sweep_backend
from host.console import emit_json, human
from sdk.atomic import check_target
from sdk.errors import TinypruneError

JSON_OPT = typer.Option(False, "--json", help="Print exactly one JSON object on stdout.")
METHOD_HELP = ("random, magnitude, global_magnitude (unstructured: weights become zeros); "
               "random_channel, l1_filter, geometric_median, bn_scale (channels removed); "
               "binary networks with --to-bytes/--to-ops: flip_frequency (patented, "
               "US 12,387,101), latent_magnitude, channel_norm, or best (each; the best validation "
               "accuracy at the size is kept)")


class _ModelOrSweep(TyperGroup):
    """``prune sweep ...`` runs the sweep; ``prune MODEL ...`` the one-model command."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["model", *args]
        return super().parse_args(ctx, args)


prune_app = typer.Typer(cls=_ModelOrSweep, no_args_is_help=True, add_completion=False,
                        help="Prune a model (magnitude or channels) and compare methods: "
                        "`tinyprune prune MODEL --method M --amount A --out P.tpm` (options: "
                        "`tinyprune prune model --help`), or `tinyprune prune sweep ...`.")


def _amount(ctx: typer.Context, param: typer.CallbackParam, value: float | None) -> float | None:
    if value is not None and (not math.isfinite(value) or not 0.0 <= value < 1.0):
        raise TinypruneError(f"--amount {value}: expected a fraction in [0, 1) (1 would remove "
                             "everything)")
    return value


def parse_amounts(text: str) -> list[float]:
    """``A:B`` (5 evenly spaced amounts), ``A:B:N`` (N of them) or ``A,B,C``; each in [0, 1)."""
    try:
        if ":" in text:
            parts = text.split(":")
            if len(parts) not in (2, 3):
                raise ValueError(text)
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2]) if len(parts) == 3 else 5
            if n < 1 or hi < lo:
                raise ValueError(text)
            values = [lo] if n == 1 else [lo + (hi - lo) * i / (n - 1) for i in range(n)]
        else:
            values = [float(v) for v in text.split(",")]
    except ValueError:
        raise TinypruneError(f"--amounts {text!r}: expected A:B, A:B:N (N points from A to B) "
                             "or A,B,C") from None
    for v in values:
        if not math.isfinite(v) or not 0.0 <= v < 1.0:
            raise TinypruneError(f"--amounts {text!r}: amount {v:g} is not in [0, 1)")
    return [round(v, 6) for v in values]


def _ints(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise TinypruneError(f"{what} {text!r}: expected integers separated by commas") from None
    if any(v < 0 for v in values):
        raise TinypruneError(f"{what} {text!r}: expected integers >= 0")
    return values


@prune_app.command("model", hidden=True)
def prune_model(
    model: str = typer.Argument(..., help="Float model (.tpm from `tinyprune train`, or "
                                ".tflite/.tpm of any float or int8 graph for IR pruning)."),
    method: str = typer.Option(..., "--method", help=METHOD_HELP),
    amount: float | None = typer.Option(None, "--amount", help="Sparsity (unstructured) or "
                                        "fraction of every convolution's channels, in [0, 1).",
                                        callback=_amount),
    target_macs: int | None = typer.Option(None, "--target-macs", help="Channel methods: remove "
                                           "channels until at most this many MACs remain.",
                                           callback=positive_int),
    data: str | None = typer.Option(None, "--data", help="Dataset for retraining and accuracy "
                                    "(a `data synth` file, or `mnist`).", callback=dataset_or_mnist),
    retrain_epochs: int = typer.Option(0, "--retrain-epochs", help="Epochs of retraining "
                                       "(magnitude: the sparsity follows the polynomial "
                                       "schedule during them).", callback=non_negative_int),
    seed: int = typer.Option(0, "--seed", callback=non_negative_int, help="Seed."),
    out: str = typer.Option(..., "--out", help="Pruned model to write (.tpm).", callback=out_file),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
    to_bytes: str | None = typer.Option(None, "--to-bytes", help="Binary networks: remove "
                                        "channels until the packed model has at most N bytes "
                                        "(N, or P% of its own)."),
    to_ops: str | None = typer.Option(None, "--to-ops", help="Binary networks: remove channels "
                                      "until at most N binary operations remain (N or P%)."),
    rounds: int = typer.Option(3, "--rounds", callback=positive_int, help="With --to-bytes/"
                               "--to-ops: prune-and-retrain rounds toward the size."),
    floor: float = typer.Option(0.25, "--floor", help="With --to-bytes/--to-ops: the fraction "
                                "of every layer's channels it keeps at least."),
    json_out: bool = JSON_OPT,
) -> None:
    """Prune MODEL by METHOD and write the pruned model (masks and a pruning record in it)."""
    from host.prune_one import prune_file

    if to_bytes is not None or to_ops is not None:
        _prune_to_size(model, method, to_bytes, to_ops, amount, target_macs, data,
                       retrain_epochs, rounds, floor, seed, out, force, json_out)
        return
    if (amount is None) == (target_macs is None):
        raise TinypruneError("give exactly one of --amount and --target-macs")
    if not out.endswith(".tpm"):
        raise TinypruneError(f"--out {out}: the file name must end in .tpm")
    out_path = check_target(Path(out), force)
    report = prune_file(model, method, amount, target_macs, data, retrain_epochs, seed, out_path)
    if json_out:
        emit_json(report)
        return
    con = human(False)
    for key, value in report.items():
        if not isinstance(value, dict):
            con.print(f"{key}: {value}")
    con.print(f"wrote {out_path}")


def _prune_to_size(model: str, method: str, to_bytes: str | None, to_ops: str | None,
                   amount: float | None, target_macs: int | None, data: str | None, epochs: int,
                   rounds: int, floor: float, seed: int, out: str, force: bool,
                   json_out: bool) -> None:
    from host.prune_binary import prune_binary_file

    given = [o for o, v in (("--to-bytes", to_bytes), ("--to-ops", to_ops), ("--amount", amount),
                            ("--target-macs", target_macs)) if v is not None]
    if len(given) > 1:
        raise TinypruneError(f"give one of --to-bytes, --to-ops, --amount and --target-macs, "
                             f"not {' and '.join(given)}")
    if not out.endswith(".tpm"):
        raise TinypruneError(f"--out {out}: the file name must end in .tpm")
    out_path = check_target(Path(out), force)
    check_target(out_path.with_suffix(".sizes.png"), force)
    report, table = prune_binary_file(model, method, to_bytes, to_ops, data, epochs, rounds,
                                      floor, seed, out_path, progress=not json_out)
    if json_out:
        emit_json(report)
        return
    con = human(False)
    con.print(table)
    if method == "best":
        con.print(f"kept: {report['method']} (the best validation accuracy at the size)")
    if report["method"] == "flip_frequency":
        con.print("weight-flipping-frequency pruning is patented (US 12,387,101): check its "
                  "licensing before shipping a model pruned with it")
    con.print(f"wrote {out_path}, {report['plot']}")


@prune_app.command("sweep")
def sweep(
    methods: str = typer.Option("magnitude,l1_filter", "--methods", help=f"Comma-separated: "
                                f"{METHOD_HELP}."),
    amounts: str = typer.Option("0.5:0.98", "--amounts", help="A:B (5 points), A:B:N or "
                                "A,B,C; each in [0, 1)."),
    data: str = typer.Option(..., "--data", help="A `data synth` file, or `mnist`.",
                             callback=dataset_or_mnist),
    model: str | None = typer.Option(None, "--model", help="Zoo model [gesture_cnn for "
                                     "gesture data, mnist_cnn for mnist]."),
    seeds: str = typer.Option("0", "--seeds", help="Comma-separated seeds (the tables use 0,1,2)."),
    retrain_epochs: int = typer.Option(2, "--retrain-epochs", callback=non_negative_int,
                                       help="Retraining epochs of every pruned model."),
    dense_epochs: int = typer.Option(20, "--dense-epochs", callback=positive_int,
                                     help="Most epochs of the dense model (early stopping)."),
    board: str = BOARD_OPT,
    device_frames: int = typer.Option(2, "--device-frames", callback=positive_int,
                                      help="Test frames run on the board (checked against the "
                                      "host; instructions of the first)."),
    out: str = typer.Option("build/prune-sweep", "--out", callback=out_folder,
                            help="Folder: results.jsonl (resumed), sweep.csv, sweep.png, "
                            "sweep.md, models/."),
    workers: int = typer.Option(1, "--workers", callback=positive_int,
                                help="Trials at once (processes, or CPUs of a local Ray)."),
    backend: str = BACKEND_OPT,
    address: str | None = ADDRESS_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """For every method, amount and seed: prune the dense model, retrain, quantize to int8,
    build for BOARD, run there, and measure; write one CSV (every trial in the folder) and
    plots of accuracy, instructions, flash, RAM and estimated energy against the amount.
    Finished trials are kept in OUT/results.jsonl and never run again."""
    from functools import partial

    from host.energy import energy_model
    from host.prune_report import markdown_table, means, plot_sweep, rows_of, write_csv
    from host.prune_trial import prune_trial
    from sdk.atomic import write_bytes_atomic
    from sdk.boards import load_board
    from sdk.prune.criteria import check_method
    from sdk.prune.task import load_task
    from sdk.sweep import ResultStore, run_sweep
    from sdk.zoo import get as zoo_get

    executor = sweep_backend(backend, address, workers)
    method_list = [check_method(m.strip()) for m in methods.split(",") if m.strip()]
    amount_list = parse_amounts(amounts)
    seed_list = _ints(seeds, "--seeds")
    energy = energy_model(load_board(board))
    name = model or ("mnist_cnn" if data == "mnist" else "gesture_cnn")
    zoo_get(name)
    task = load_task(data, name)  # a bad dataset is one line before any trial or file
    common = {"model": name, "data": data, "retrain_epochs": retrain_epochs,
              "retrain_lr": task.lr, "retrain_schedule": "cosine", "dense_epochs": dense_epochs,
              "board": board, "device_frames": device_frames}
    # Seed by seed: an interrupted sweep has every point of its first seeds.
    # The dense model is one trial per seed whatever the retraining budget of the pruned ones.
    dense = {**common, "retrain_epochs": 0, "method": "none", "amount": 0.0}
    configs = [c for s in seed_list for c in [{**dense, "seed": s}, *(
        {**common, "method": m, "amount": a, "seed": s} for m in method_list for a in amount_list)]]
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    store = ResultStore(folder / "results.jsonl")
    result = run_sweep(configs, partial(prune_trial, folder=str(folder.resolve())), store,
                       executor, progress=not json_out,
                       describe=lambda c: f"{c['method']} {c['amount']:g} seed {c['seed']}")
    rows = rows_of(list(store.records.values()))
    csv_path = write_csv(rows, folder / "sweep.csv")
    mean_rows = means(rows)
    table_md = write_bytes_atomic(folder / "sweep.md", markdown_table(mean_rows, name).encode())
    png = plot_sweep(mean_rows, folder / "sweep.png", f"{name} on {board}: pruning sweep "
                     f"(means over seeds {seeds})", energy.note(board))
    if json_out:
        emit_json({"csv": str(csv_path), "plot": str(png), "table": str(table_md),
                   "ran": result.ran,
                   "reused": result.reused, "energy_note": energy.note(board),
                   "failed": [{"config": r["config"], "error": r["error"]} for r in result.failed],
                   "means": mean_rows})
        return
    from rich.table import Table

    con = human(False)
    table = Table(title=f"{name} on {board} (means over seeds {seeds})")
    for col in ("method", "amount", "int8 acc", "float acc", "instructions", "instr/MAC",
                "flash B", "RAM B", "energy uJ (est.)", "bit-exact"):
        table.add_column(col, justify="right")
    for r in mean_rows:
        table.add_row(r["method"], f"{r['amount']:g}", f"{r.get('int8_accuracy', 0):.4f}",
                      f"{r.get('float_accuracy', 0):.4f}", f"{r.get('instructions', 0):,.0f}",
                      f"{r.get('instructions_per_mac', 0):.2f}", f"{r.get('flash_bytes', 0):,.0f}",
                      f"{r.get('ram_bytes', 0):,.0f}", f"{r.get('energy_uj', 0):,.1f}",
                      "yes" if r["bit_exact"] else "NO")
    con.print(table)
    for r in result.failed:
        con.print(f"[red]failed[/] {r['config']['method']} {r['config']['amount']:g} seed "
                  f"{r['config']['seed']}: {r['error']}")
    con.print(energy.note(board))
    con.print(f"ran {result.ran} trials, reused {result.reused}; wrote {csv_path}, {png}, "
              f"{table_md}")
