"""``tinyprune ber sweep MODEL --data D``: a binary model's test accuracy against the bit error
rate of its packed weights, over seeded trials, through the sweep executor (docs/bit_errors.md).
"""

from __future__ import annotations

from pathlib import Path

import typer

from host.cli_checks import (
    dataset_or_mnist,
    existing_file,
    non_negative_int,
    out_folder,
    positive_int,
)
from host.console import emit_json, human
from sdk.boards import board_names
from sdk.errors import TinypruneError, UnsupportedError

ber_app = typer.Typer(no_args_is_help=True, add_completion=False,
                      help="Bit errors in binary networks: `tinyprune ber sweep MODEL --data D`.")


@ber_app.command("sweep")
def sweep(
    model: str = typer.Argument(..., help="Binary model (.tpm from `tinyprune train --binary`).",
                                callback=existing_file),
    data: str = typer.Option(..., "--data", help="The dataset it was trained on (a `data "
                             "synth` file, or `mnist`): its test split is scored.",
                             callback=dataset_or_mnist),
    rates: str = typer.Option("0:0.09:0.01", "--rates", help="Bit error rates: START:STOP:STEP "
                              "(both ends included) or A,B,C."),
    trials: int = typer.Option(10, "--trials", callback=positive_int,
                               help="Seeded trials per rate (the same draws at every rate)."),
    seed: int = typer.Option(0, "--seed", callback=non_negative_int,
                             help="Base seed of the flips (trial t: seed * 1000 + t)."),
    direction: str = typer.Option("both", "--direction", help="Which flips: both (0->1 and "
                                  "1->0 at the rate), 01 or 10 (one direction only)."),
    activations: bool = typer.Option(False, "--activations/--weights-only", help="Also flip "
                                     "the bits of binary activations (host reference only)."),
    frames: int = typer.Option(0, "--frames", callback=non_negative_int,
                               help="Score the first N test frames only (0: all)."),
    board: str = typer.Option("qemu_m7", "--board", help="Board of the device check, from "
                              f"boards/: {', '.join(board_names())} (the bit-error firmware "
                              "runs on qemu_m7 and host)."),
    device_frames: int = typer.Option(0, "--device-frames", callback=non_negative_int,
                                      help="Also run this many test frames of every trial on "
                                      "BOARD with the same flips in its RAM copy of the "
                                      "weights, checked against the reference (0: none)."),
    out: str = typer.Option("build/ber-sweep", "--out", callback=out_folder,
                            help="Folder: results.jsonl (resumed), ber.csv, ber.md, ber.png."),
    workers: int = typer.Option(1, "--workers", callback=positive_int,
                                help="Trials at once (processes)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on "
                                  "stdout."),
) -> None:
    """For every rate and trial, flip the bits of MODEL's packed binary weights (each bit
    independently, seeded) and score the test split with the reference; print and plot the
    accuracy against the rate with its spread over trials. Finished trials are kept in
    OUT/results.jsonl and never run again."""
    from host.ber_report import markdown_table, parse_rates, plot_ber, summarize, write_trials_csv
    from host.ber_trial import ber_trial, file_digest, load_binary_model, model_frames, rates_of
    from sdk.atomic import write_bytes_atomic
    from sdk.boards import load_board
    from sdk.sweep import LocalBackend, ResultStore, run_sweep

    rate_list = parse_rates(rates)
    rates_of(0.0, direction)
    if device_frames:
        from host.bit_errors_device import check_board

        if activations:
            raise UnsupportedError("--activations with --device-frames (the "
                                   "device's activations are not flipped; host reference only)")
        check_board(load_board(board))
    path = str(Path(model).resolve())
    digest = file_digest(path)
    graph = load_binary_model(path, digest)
    model_frames(graph, data, frames)  # a dataset that does not fit: one line, before any file
    common = {"model": path, "model_digest": digest, "data": data, "frames": frames,
              "direction": direction, "seed": seed, "activations": activations,
              "board": board if device_frames else None, "device_frames": device_frames}
    # Trial by trial: an interrupted sweep has whole curves of its first trials.
    configs = [{**common, "rate": r, "trial": t} for t in range(trials) for r in rate_list]
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    store = ResultStore(folder / "results.jsonl")
    result = run_sweep(configs, ber_trial, store, LocalBackend(workers), progress=not json_out,
                       describe=lambda c: f"rate {c['rate']:g} trial {c['trial']}")
    rows = summarize(result.records)
    if not rows:
        raise TinypruneError(f"every trial failed; first error: {result.failed[0]['error']}")
    title = (f"{graph.name}: accuracy against the bit error rate ({direction}, "
             f"{'weights and activations' if activations else 'weights'}, {trials} trials)")
    csv_path = write_trials_csv(result.records, folder / "ber.csv")
    md = write_bytes_atomic(folder / "ber.md", markdown_table(rows, title).encode())
    png = plot_ber(rows, folder / "ber.png", title)
    if json_out:
        emit_json({"model": path, "rows": rows, "csv": str(csv_path), "table": str(md),
                   "plot": str(png), "ran": result.ran, "reused": result.reused,
                   "failed": [{"config": r["config"], "error": r["error"]}
                              for r in result.failed]})
        return
    from rich.table import Table

    con = human(False)
    table = Table(title=title)
    for col in ("bit error rate", "accuracy", "std", "min", "max", "trials", "bits flipped",
                *(("device bit-exact",) if device_frames else ())):
        table.add_column(col, justify="right")
    for r in rows:
        exact = ("yes" if r["bit_exact"] else "NO",) if device_frames else ()
        table.add_row(f"{r['rate'] * 100:g} %", f"{r['mean']:.4f}", f"{r['std']:.4f}",
                      f"{r['min']:.4f}", f"{r['max']:.4f}", str(r["trials"]),
                      f"{r['flips']:,.0f} of {r['bits']:,}", *exact)
    con.print(table)
    for r in result.failed:
        con.print(f"[red]failed[/] rate {r['config']['rate']:g} trial {r['config']['trial']}: "
                  f"{r['error']}")
    con.print(f"ran {result.ran} trials, reused {result.reused}; wrote {csv_path}, {md}, {png}")
