"""The ``tinyprune`` command line. One command per verb; errors are one line, exit code 1."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from host.console import console, emit_json
from sdk.errors import TinypruneError

app = typer.Typer(
    name="tinyprune",
    help="Compress neural networks and run them as static C on microcontrollers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
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
    """Check the external tools (compilers, emulators, Python extras) and how to install any that are missing."""
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
    for col, just in (("layer", "left"), ("op", "left"), ("output", "left"), ("params", "right"),
                      ("MACs", "right"), ("weight B", "right"), ("activation B", "right"),
                      ("covers", "left")):
        table.add_column(col, justify=just)
    for r in summary.layers:
        table.add_row(r.name, r.op, "x".join(map(str, r.output_shape)), f"{r.params:,}",
                      f"{r.macs:,}", f"{r.weights_bytes:,}", f"{r.activation_bytes:,}",
                      ", ".join(r.fused))
    table.add_section()
    table.add_row("total", "", "", f"{summary.params:,}", f"{summary.macs:,}",
                  f"{summary.weights_bytes:,}", f"{summary.activation_bytes:,}", "")
    console.print(table)


# Command groups from other modules register here.


def main() -> None:
    """Console-script entry point: user errors become one line on stderr and exit code 1."""
    try:
        app()
    except TinypruneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
