"""``tinyprune nas``: search binary architectures under a board's budget (Optuna,
multi-objective), every trial through the sweep executor and its resumable store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from host.cli_checks import (
    dataset_or_mnist,
    non_negative_int,
    out_folder,
    positive_float,
    positive_int,
    probability,
)
from host.cli_options import ADDRESS_OPT, BACKEND_OPT, BOARD_OPT, sweep_backend
from host.console import emit_json, human

if TYPE_CHECKING:
    from sdk.prune.task import Task


def nas(
    space: str = typer.Option("bnn", "--space", help="Search space: bnn (binary networks: "
                              "0-3 convolutions, 0-2 dense layers, channels, kernel sizes, "
                              "pools; docs/nas.md)."),
    data: str = typer.Option(..., "--data", help="A `data synth` file, or `mnist`.",
                             callback=dataset_or_mnist),
    board: str = BOARD_OPT,
    objective: str = typer.Option("accuracy", "--objective", help="accuracy (test accuracy, "
                                  "against packed weight bytes and binary operations), or "
                                  "'accuracy at ber=R': the mean test accuracy with every "
                                  "packed weight bit flipped with probability R "
                                  "(docs/bit_errors.md)."),
    ber_trials: int = typer.Option(5, "--ber-trials", callback=positive_int,
                                   help="With 'accuracy at ber=R': seeded flip trials per "
                                   "candidate."),
    loss: str = typer.Option("ce", "--loss", help="Training loss of every candidate: ce or "
                             "hinge (margin maximization, docs/bit_errors.md)."),
    margin: float | None = typer.Option(None, "--margin", help="With --loss hinge: the margin "
                                        "b in popcount units (default 128; keep it below the "
                                        "head's inputs: a dot product of K bits is in [-K, K])."),
    quantizer: str = typer.Option("ste_sign", "--quantizer", help="The activations' sign "
                                  "while every candidate trains: ste_sign or approx_sign "
                                  "(Bi-Real Net; as `tinyprune train --binary --quantizer`)."),
    train_ber: float | None = typer.Option(None, "--train-ber", help="Flip each binary "
                                           "weight bit with this probability in every "
                                           "training forward of every candidate "
                                           "(bit-error-aware training, docs/bit_errors.md).",
                                           callback=probability),
    augment: bool = typer.Option(False, "--augment", help="With --data mnist: move every "
                                 "training digit by up to 2 pixels (sdk.train.augment_digits; "
                                 "gesture data is always Doppler-mirrored)."),
    trials: int = typer.Option(20, "--trials", callback=positive_int,
                               help="Candidates trained (rejected ones are not counted)."),
    epochs: int = typer.Option(3, "--epochs", callback=positive_int,
                               help="Training epochs of every candidate."),
    frame_rate: float | None = typer.Option(None, "--frame-rate", callback=positive_float,
                                            help="Deadline: clock / rate per inference (18 "
                                            "for the gesture loop); none by default."),
    reserve: int = typer.Option(0, "--reserve", callback=non_negative_int, help="Counter "
                                "units of each frame kept for preprocessing."),
    enqueue: list[str] = typer.Option([], "--enqueue", help="An architecture to try first "
                                      "(repeatable; as the table writes it, e.g. "
                                      "c16k3s2p-c32k3p-d64-h4): a known design the sampler "
                                      "then searches around; checked against the budget."),
    seed: int = typer.Option(0, "--seed", callback=non_negative_int,
                             help="Seed of the sampler and of every training."),
    out: str = typer.Option("build/nas", "--out", callback=out_folder,
                            help="Folder: results.jsonl (resumed), nas.csv, nas.md, pareto.png."),
    workers: int = typer.Option(1, "--workers", callback=positive_int,
                                help="Trainings at once (processes, or CPUs of a local Ray)."),
    backend: str = BACKEND_OPT,
    address: str | None = ADDRESS_OPT,
    run_winner: bool = typer.Option(True, "--run-winner/--no-run-winner", help="Build the "
                                    "most accurate candidate for BOARD and run a test frame "
                                    "there: bit-exact check, measured against predicted count."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
) -> None:
    """Search binary architectures for DATA that fit BOARD (packed weights beside the
    firmware, activations in the arena's RAM, predicted cycles or instructions within the
    deadline: every candidate checked before it is trained), with Optuna maximizing test
    accuracy and minimizing weight bytes and binary operations. Writes a table and a Pareto
    plot; trained candidates are kept in OUT/results.jsonl and never trained again."""
    from functools import partial

    from host import nas_trial as trials_mod
    from host.nas_search import run_search, write_reports
    from sdk.bnn.quantizers import QUANTIZERS
    from sdk.boards import load_board
    from sdk.errors import TinypruneError
    from sdk.nas.budget import board_budget
    from sdk.nas.search import check_space, describe, parse_arch, parse_objective
    from sdk.sweep import ResultStore
    from sdk.train.losses import make_loss

    check_space(space)
    ber = parse_objective(objective)
    make_loss(loss, margin, binary=True)
    if quantizer not in QUANTIZERS:
        raise TinypruneError(f"--quantizer {quantizer}: expected {' or '.join(QUANTIZERS)}")
    if augment and data != "mnist":
        raise TinypruneError(f"--augment with --data {data}: it moves MNIST digits (gesture "
                             "trials are always Doppler-mirrored)")
    budget = board_budget(board, frame_rate, reserve)
    executor = sweep_backend(backend, address, workers)
    digit_augment = "random_shift" if augment else None
    task = trials_mod.task_for(data, digit_augment)  # a bad dataset is one line before any file
    input_chw = tuple(int(v) for v in task.train[0].shape[1:])
    _check_gesture_app(task, input_chw, board)
    start = [parse_arch(text, input_chw, len(task.classes), "--enqueue")  # type: ignore[arg-type]
             for text in enqueue]
    common = {"data": data, "epochs": epochs, "seed": seed, "board": board,
              **({"loss": loss} if loss != "ce" else {}),
              **({"margin": margin} if margin is not None else {}),
              **({"quantizer": quantizer} if quantizer != "ste_sign" else {}),
              **({"train_ber": train_ber} if train_ber is not None else {}),
              **({"augment": digit_augment} if augment else {}),
              **({"ber": ber, "ber_trials": ber_trials} if ber is not None else {})}
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    result = run_search(common, input_chw, len(task.classes), budget, trials, seed,  # type: ignore[arg-type]
                        ResultStore(folder / "results.jsonl"), executor, max(1, workers),
                        partial(trials_mod.nas_trial, folder=str(folder.resolve())),
                        progress=not json_out, enqueue=start)
    title = (f"nas on {data} for {board}" + (f" at {frame_rate:g} Hz" if frame_rate else "")
             + f": {trials} candidates, {epochs} epochs, seed {seed}"
             + (f", loss {loss}" if loss != "ce" else "")
             + (f" (margin {margin:g})" if margin is not None else "")
             + (f", {quantizer}" if quantizer != "ste_sign" else "")
             + (f", trained at ber={train_ber:g}" if train_ber is not None else "")
             + (", digits shifted" if augment else "")
             + (f", accuracy at ber={ber:g} ({ber_trials} trials)" if ber is not None else "")
             + (f", from {', '.join(describe(a) for a in start)}" if start else ""))
    paths = write_reports(result, folder, title)
    rows = result.rows()
    best = result.winner()
    winner = None
    if run_winner and best is not None and load_board(board).runner is not None:
        winner = trials_mod.run_winner(str(folder.resolve()), best["config"],
                                       best["result"]["predicted_count"])
    if json_out:
        emit_json({**{k: str(v) for k, v in paths.items()}, "ran": result.ran,
                   "reused": result.reused, "rejected": result.rejected, "rows": rows,
                   "winner": winner,
                   "budget": {"weight_bytes": budget.weight_bytes,
                              "activation_bytes": budget.activation_bytes,
                              "count_limit": budget.count_limit, "unit": budget.counter_unit}})
        return
    from rich.table import Table

    con = human(False)
    table = Table(title=title)
    for col in ("architecture", "test acc" if ber is None else f"acc. at ber={ber:g}",
                "weight B", "activation B",
                f"{budget.counter_unit} (pred.)", "binary ops", "Pareto"):
        table.add_column(col, justify="right")
    for r in sorted(rows, key=lambda r: -r["accuracy"]):
        table.add_row(r["arch"], f"{r['accuracy']:.4f}", f"{r['weight_bytes']:,}",
                      f"{r['activation_bytes']:,}", f"{r['predicted_count']:,}",
                      f"{r['binary_ops']:,}", "yes" if r["pareto"] else "")
    con.print(table)
    con.print(f"budget on {board}: weights {budget.weight_bytes:,} B, activations "
              f"{budget.activation_bytes:,} B, "
              + (f"{budget.count_limit:,} {budget.counter_unit} per inference"
                 if budget.count_limit is not None else "no deadline"))
    if winner is not None:
        con.print(f"winner {describe(winner['arch'])} on {board}: measured "
                  f"{winner['measured_count']:,} {budget.counter_unit}, predicted "
                  f"{winner['predicted_count']:,} ({winner['error']:+.1%}), bit-exact "
                  f"{'yes' if winner['bit_exact'] else 'NO'}")
    con.print(f"trained {result.ran} now, reused {result.reused}; rejected by the budget "
              f"before training: {len(result.rejected)}; wrote "
              + ", ".join(str(p) for p in paths.values()))


def _check_gesture_app(task: Task, input_chw: tuple[int, ...], board: str) -> None:
    """Refuse data whose models the board's gesture app would refuse (a standardized
    preprocessing on a q15 board, host.gesture_fw.check_dsp): the search's deadline is that
    app's frame."""
    from host.gesture_fw import check_dsp
    from sdk.boards import load_board
    from sdk.nas.space import arch_graph

    graph = arch_graph({"input": list(input_chw), "convs": [], "dense": [],
                        "classes": len(task.classes)})
    graph.metadata.update(task.metadata)
    check_dsp(graph, load_board(board))
