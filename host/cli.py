"""The ``tinyprune`` command line. One command per verb; errors are one line, exit code 1."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import JustifyMethod
from rich.table import Table

from host.cli_checks import existing_file, non_negative_int, out_folder, positive_int
from host.cli_options import BOARD_OPT
from host.console import console, emit_json
from sdk.errors import TinypruneError

app = typer.Typer(
    name="tinyprune",
    help="Compress neural networks and run them as static C on microcontrollers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _root() -> None:
    """Compress neural networks and run them as static C on microcontrollers."""


JSON_OPT = typer.Option(False, "--json", help="Print exactly one JSON object on stdout.")


@app.command()
def doctor(
    quiet: bool = typer.Option(False, "--quiet", help="Print only what is missing."),
    json_out: bool = JSON_OPT,
) -> None:
    """Check the external tools (compilers, emulators, Python extras) and how to install any
    that are missing."""
    from host.doctor import TOOLS, check

    results = [(tool, *check(tool)) for tool in TOOLS]
    if json_out:
        emit_json({"tools": [{"name": t.name, "present": ok, "detail": d} for t, ok, d in results]})
    elif not quiet:
        table = Table(title="tinyprune doctor")
        for col in ("tool", "for", "status", "version / how to install"):
            table.add_column(col)
        for tool, ok, detail in results:
            table.add_row(tool.name, tool.purpose, "[green]ok[/]" if ok else "[red]missing[/]",
                          detail)
        console.print(table)
    missing = [(t, d) for t, ok, d in results if not ok]
    if quiet:
        for tool, detail in missing:
            console.print(f"missing: {tool.name} ({tool.purpose}): {detail}")
        if not missing:
            console.print("doctor: all tools present")
    if missing:
        raise typer.Exit(1)


@app.command()
def inspect(
    model: str = typer.Argument(..., help="Model file (.tpm or .tflite)."),
    json_out: bool = JSON_OPT,
) -> None:
    """Print a per-layer table: op, output shape, parameters, MACs, weight and activation bytes."""
    from host.models import load_model_arg
    from sdk.ir.summary import summarize

    summary = summarize(load_model_arg(model))
    if json_out:
        emit_json(summary.to_json())
        return
    table = Table(title=f"{summary.name}  (inputs: "
                  + ", ".join(f"{k} {list(v)}" for k, v in summary.input_shapes.items()) + ")")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("layer", "left"), ("op", "left"), ("output", "left"), ("params", "right"),
        ("MACs", "right"), ("weight B", "right"), ("activation B", "right"), ("covers", "left"))
    for col, just in columns:
        table.add_column(col, justify=just)
    for r in summary.layers:
        table.add_row(r.name, r.op, "x".join(map(str, r.output_shape)), f"{r.params:,}",
                      f"{r.macs:,}", f"{r.weights_bytes:,}", f"{r.activation_bytes:,}",
                      ", ".join(r.fused))
    table.add_section()
    table.add_row("total", "", "", f"{summary.params:,}", f"{summary.macs:,}",
                  f"{summary.weights_bytes:,}", f"{summary.activation_bytes:,}", "")
    console.print(table)


@app.command()
def build(
    model: str = typer.Argument(..., help="Model file (.tpm or .tflite)."),
    board: str = BOARD_OPT,
    out: str | None = typer.Option(None, "--out", help="Build folder [build/MODEL-BOARD]; "
                                   "replaced whole by each build.", callback=out_folder),
    force: bool = typer.Option(False, "--force", help="Replace an --out folder that holds "
                               "files `build` did not make."),
    app: str = typer.Option("run", "--app", help="Firmware: `run` (inferences on files, for "
                            "tests and benchmarks) or `gesture` (the real-time radar gesture "
                            "loop over the serial link)."),
    json_out: bool = JSON_OPT,
) -> None:
    """Generate C for MODEL, compile and link firmware for BOARD, and report its size.

    Fails (exit 1) when the firmware does not fit the board, naming every memory region it
    overflows with its limit, its use and the overshoot in bytes.
    """
    from host.build import build_firmware
    from host.models import load_model_arg
    from host.reports import size_json, size_table
    from host.workdir import published_folder

    if app not in ("run", "gesture"):
        raise TinypruneError(f"--app {app!r}: expected `run` or `gesture`")
    folder = Path(out) if out else Path("build") / f"{Path(model).stem}-{board}"
    graph = load_model_arg(model)
    with published_folder(folder, force) as work:
        if app == "gesture":
            from host.gesture_fw import build_gesture_firmware

            result = build_gesture_firmware(graph, model, board, work)
        else:
            result = build_firmware(graph, board, work)
    elf = folder / result.elf.relative_to(work.resolve())
    if json_out:
        emit_json({**size_json(result), "elf": str(elf)})
        return
    console.print(size_table(result))
    console.print(f"firmware: {elf}")


@app.command()
def run(
    model: str = typer.Argument(..., help="Model file (.tpm or .tflite)."),
    board: str = BOARD_OPT,
    input_file: str | None = typer.Option(
        None, "--input", "-i", help="Input tensor as .npy (NHWC, batch 1 optional; float "
        "input to an int8 model is quantized); default: a seeded random normal input.",
        callback=existing_file),
    out: str | None = typer.Option(None, "--out", help="Work folder, kept [a private folder "
                                   "under build/runs/, removed at the end].", callback=out_folder),
    data: str | None = typer.Option(None, "--data", help="Stream this radar recording "
                                       "through the real-time gesture firmware instead.",
                                       callback=existing_file),
    fast: bool = typer.Option(False, "--fast", help="With --data: as fast as the link allows "
                              "(default: real time, at the model's sweep rate; the MSP430 "
                              "simulator always runs a sweep per turn, its time in cycles)."),
    port: str | None = typer.Option(None, "--port", help="With --data: a device already "
                                       "running the gesture firmware (serial port or URL)."),
    json_out: bool = JSON_OPT,
) -> None:
    """Build MODEL for BOARD, run one inference on it, compare with the host reference, and
    print the output and per-step counts (instructions on QEMU, cycles on the MSP430). With
    --data: stream a recording through the gesture firmware and compare frame classes and
    gesture events with the host."""
    if data is not None:
        from host.cli_stream import print_stream_report, run_stream
        from host.console import human

        rep = run_stream(model, board, data, fast=fast, port=port,
                         out=Path(out) if out else None, live=not json_out, json_mode=json_out)
        if json_out:
            emit_json(rep)
        else:
            print_stream_report(rep, human(False))
        return
    import numpy as np

    from host.device_run import coerce_input, run_on_board
    from host.models import load_model_arg
    from host.reports import profile_table, size_json, steps_json

    graph = load_model_arg(model)
    if input_file is None:
        shape = graph.tensors[graph.inputs[0]].shape
        x = coerce_input(graph, np.random.default_rng(0).normal(size=shape).astype(np.float32),
                         "random input")
        source = "random normal input (seed 0)"
    else:
        x = coerce_input(graph, _load_npy(input_file), input_file)
        source = input_file
    from host.workdir import work_folder

    with work_folder(out, f"{Path(model).stem}-{board}") as work:
        result = run_on_board(graph, board, x, work)
    if json_out:
        emit_json({**size_json(result.build), "max_rel_diff": result.max_rel_diff,
                   "bit_exact": result.bit_exact, "instructions": result.instructions,
                   "layers": steps_json(result.steps), "output": result.output.tolist()})
        return
    console.print(f"input: {source}")
    console.print(f"device output: {np.array2string(result.output, precision=6)}")
    console.print(f"host reference: {np.array2string(result.reference, precision=6)}")
    console.print(f"largest relative difference, device vs host: {result.max_rel_diff:.3g}")
    unit = result.build.board.counter_unit
    console.print(profile_table(result.steps, f"{graph.name} on {board}", unit))
    if unit == "cycles" and result.instructions:
        macs = sum(s.macs for s in result.steps)
        console.print(f"cycles per inference: {result.instructions:,}"
                      + (f", per MAC: {result.instructions / macs:.2f}" if macs else ""))


def _load_npy(path: str):
    import numpy as np

    try:
        x = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise TinypruneError(f"{path}: no such input file") from None
    except (ValueError, OSError, EOFError) as exc:
        raise TinypruneError(f"{path}: not a .npy array: {exc}") from None
    if not isinstance(x, np.ndarray):
        raise TinypruneError(f"{path}: an .npz archive; expected one .npy array")
    with np.errstate(over="ignore"):
        finite = x.dtype.kind != "f" or bool(np.all(np.isfinite(x.astype(np.float32))))
    if not finite:
        raise TinypruneError(f"{path}: non-finite input values (NaN, infinity or beyond float32); "
                             "expected finite numbers")
    return x


@app.command()
def export(
    model: str = typer.Argument(..., help="Model file (.tpm or .tflite)."),
    out: str = typer.Option(..., "--out", help="Folder for model.c/model.h and engine sources.",
                             callback=out_folder),
    prefix: str = typer.Option("tp_model", "--prefix",
                               help="C symbol prefix, so several models link together (with "
                               "--micropython: the module's name)."),
    micropython: bool = typer.Option(False, "--micropython", help="A MicroPython native "
                                     "module (.mpy) instead, and its sources as a user C "
                                     "module."),
    arch: str = typer.Option("armv7emdp", "--arch", help="With --micropython: armv7emdp "
                             "(Cortex-M7), armv7emsp (M4/F7 single precision), armv7m (M3), "
                             "x64 (unix port)."),
    mp_source: str | None = typer.Option(None, "--micropython-source", help="With "
                                         "--micropython: MicroPython source folder or tarball "
                                         "[env TINYPRUNE_MICROPYTHON, else ../shared/vendor/"
                                         "micropython-1.28.0.tar.gz]."),
    heap_bytes: int | None = typer.Option(None, "--heap-bytes", help="With --micropython: the "
                                          "target's heap [the arch's test firmware].",
                                          callback=positive_int),
    gesture: bool = typer.Option(False, "--gesture", help="With --micropython: add "
                                 "push_sweep(sweep), the gesture firmware's preprocessing, "
                                 "model and detector."),
) -> None:
    """Write MODEL as C sources for your own firmware build: model.c, model.h, the engine
    kernels it needs and a README with a minimal example; with --micropython, a native
    MicroPython module and an example application."""
    from host.models import load_model_arg

    if micropython:
        from host.cli_micropython import export_module

        rep = export_module(load_model_arg(model), out, arch, prefix, mp_source, heap_bytes,
                            gesture)
        console.print(f"wrote {rep['mpy']} ({rep['arch']}; arena {rep['arena']:,} B, weights "
                      f"{rep['weights']:,} B), example.py and src/{prefix}/ (user C module) to "
                      f"{out}; {rep['fit']}")
        return
    from sdk.codegen.export import export_model

    gen = export_model(load_model_arg(model), out, prefix)
    console.print(f"wrote {prefix} ({len(gen.steps)} steps, arena {gen.plan.arena_bytes:,} B, "
                  f"weights {gen.weights_bytes:,} B) to {out}; see {Path(out) / 'README.md'}")


@app.command()
def demo(
    out: str = typer.Option("build/demo", "--out",
                             help="Folder for the data, models and firmware.", callback=out_folder),
    board: str = BOARD_OPT,
    seed: int = typer.Option(0, "--seed", help="Seed for data, weights and training.",
                             callback=non_negative_int),
    per_class: int = typer.Option(200, "--per-class", help="Simulated recordings per class.",
                                   callback=positive_int),
    epochs: int = typer.Option(20, "--epochs", help="Most training epochs (early stopping).",
                                callback=positive_int),
    json_out: bool = JSON_OPT,
) -> None:
    """Run the whole pipeline: simulate radar gestures, train the gesture CNN, quantize it to
    int8, generate C, build it for the emulated Cortex-M7, run the test frames there, and
    compare every result with the host."""
    from host.console import human
    from host.demo import ANCHORS, run_demo
    from host.reports import profile_table, size_json, size_table, steps_json

    con = human(json_out)
    r = run_demo(Path(out), seed, per_class, epochs, board, progress=True,
                 say=lambda text: con.print(f"[bold]demo[/] {text}"))
    f, q = r.float_run, r.int8_run
    if json_out:
        emit_json({**size_json(q.build), "max_rel_diff": f.max_rel_diff,
                   "instructions": q.instructions, "layers": steps_json(q.steps),
                   "output": q.output[0:1].tolist(), "bit_exact": q.bit_exact,
                   "float_instructions": f.instructions, "float_layers": steps_json(f.steps),
                   "float": size_json(f.build), "test_frames": r.test_frames,
                   "val_accuracy": r.val_accuracy, "host_accuracy": r.host_float_accuracy,
                   "host_int8_accuracy": r.host_int8_accuracy,
                   "device_accuracy": r.device_int8_accuracy,
                   "model": str(r.model_path), "int8_model": str(r.int8_model_path),
                   "pruned": {**size_json(r.pruned.run.build), "model": str(r.pruned.model_path),
                              "instructions": r.pruned.run.instructions,
                              "bit_exact": r.pruned.run.bit_exact,
                              "host_int8_accuracy": r.pruned.host_int8_accuracy,
                              "pruning": r.pruned.record},
                   "stream": r.stream})
        return
    from host.cli_stream import print_stream_report

    con.print(profile_table(f.steps, f"gesture_cnn float on {board}, one inference"))
    con.print(profile_table(q.steps, f"gesture_cnn int8 on {board}, one inference"))
    con.print(size_table(q.build))
    p = r.pruned.run
    table = Table(title=f"gesture_cnn: host vs {board} ({r.test_frames} test frames)")
    for col in ("figure", "float", "int8", "int8, 50 % channels pruned"):
        table.add_column(col, justify="right")
    table.add_row("test accuracy, host", f"{r.host_float_accuracy:.4f}",
                  f"{r.host_int8_accuracy:.4f}", f"{r.pruned.host_int8_accuracy:.4f}")
    table.add_row(f"test accuracy, {board}", "", f"{r.device_int8_accuracy:.4f}", "")
    table.add_row("device vs host", f"max rel diff {f.max_rel_diff:.3g}",
                  "bit-exact" if q.bit_exact else "[red]DIFFERENT[/]",
                  "bit-exact" if p.bit_exact else "[red]DIFFERENT[/]")
    table.add_row("instructions per inference", f"{f.instructions or 0:,}",
                  f"{q.instructions or 0:,}", f"{p.instructions or 0:,}")
    for kind, column in (("float", 0), ("int8", 1)):
        for name, cycles in ANCHORS[kind].items():
            row = ["", "", ""]
            row[column] = f"{cycles:,}"
            table.add_row(f"  {name} (cycles, seed 004)", *row)
    table.add_row("weights bytes", f"{f.build.weights_bytes:,}", f"{q.build.weights_bytes:,}",
                  f"{p.build.weights_bytes:,}")
    table.add_row("arena bytes", f"{f.build.plan.arena_bytes:,}", f"{q.build.plan.arena_bytes:,}",
                  f"{p.build.plan.arena_bytes:,}")
    con.print(table)
    print_stream_report(r.stream, con)
    con.print("instructions are counted in QEMU, not cycles: the M7 dual-issues")
    con.print(f"models: {r.model_path}, {r.int8_model_path}; plots: "
              + ", ".join(map(str, r.plots)))


# Commands defined in their own modules (each imports its heavy dependencies lazily).
from host.cli_bench import bench  # noqa: E402
from host.cli_ber import ber_app  # noqa: E402
from host.cli_data import data_app  # noqa: E402
from host.cli_golden import golden  # noqa: E402
from host.cli_micropython import app as micropython_app  # noqa: E402
from host.cli_nas import nas  # noqa: E402
from host.cli_pack import pack_cmd  # noqa: E402
from host.cli_prune import prune_app  # noqa: E402
from host.cli_quantize import convert, quantize  # noqa: E402
from host.cli_sim import calibrate_cmd, compare_cmd, synth_a121_cmd  # noqa: E402
from host.cli_stream import capture, profile  # noqa: E402
from host.cli_train import train  # noqa: E402

for _command in (train, quantize, convert, bench, golden, capture, profile, nas):
    app.command()(_command)
data_app.command("pack")(pack_cmd)
data_app.command("calibrate")(calibrate_cmd)
data_app.command("synth-a121")(synth_a121_cmd)
data_app.command("compare")(compare_cmd)
app.add_typer(data_app, name="data")
app.add_typer(micropython_app, name="micropython")
app.add_typer(prune_app, name="prune")
app.add_typer(ber_app, name="ber")


def main() -> None:
    """Console-script entry point: user errors become one line on stderr and exit code 1;
    SIGINT, SIGTERM and SIGHUP stop every child process and exit 130, 143, 129."""
    from host.shutdown import Interrupted, install, kill_descendants

    install()
    try:
        app()
    except TinypruneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except Interrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_status)
    finally:
        kill_descendants()  # nothing outlives the command, whatever ended it
