"""Rich tables of ``tinyprune bench``: our figures, the best existing tools beside them, and
the per-function profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from host.cli_bench import BenchResult

def _opt(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def bench_table(results: list[BenchResult]) -> Table:
    """Our figures (the anchors are in :func:`anchor_table`)."""
    table = Table(title="tinyprune int8 on qemu_m7",
                  caption="instructions retired in QEMU (-icount, exact), not Cortex-M7 cycles; "
                  "weights = int8 weights + int32 biases + per-channel multiplier/shift tables")
    for col in ("model", "MACs", "instructions", "instr/MAC", "weights B", "code B", "arena B",
                "flash B", "RAM B", "bit-exact"):
        table.add_column(col, justify="left" if col == "model" else "right",
                         no_wrap=col == "model")
    for r in results:
        table.add_row(r.name, f"{r.macs:,}", f"{r.instructions:,}",
                      f"{r.instructions_per_mac:.2f}", f"{r.weights_bytes:,}",
                      f"{r.code_bytes:,}", f"{r.arena_bytes:,}", f"{r.flash_bytes:,}",
                      f"{r.ram_bytes:,}", "[green]yes[/]" if r.bit_exact else "[red]NO[/]")
    return table


def anchor_table(results: list[BenchResult]) -> Table:
    """The best existing tool for each model, beside our instructions and arena."""
    table = Table(title="the best existing tools (../shared/notes/anchors.md)",
                  caption="TFLM+CMSIS-NN: instructions on the same emulator; X-CUBE-AI: cycles "
                  "on a real Cortex-M7 at 216 MHz (it dual-issues, so its cycles are fewer "
                  "than its instructions); memory: TFLM's arena, X-CUBE-AI's RAM")
    for col in ("model", "tool", "per inference", "per MAC", "ours per MAC", "memory B",
                "our arena B", "weights B"):
        table.add_column(col, justify="left" if col in ("model", "tool") else "right",
                         no_wrap=col in ("model", "tool"))
    for r in results:
        if r.anchor is None:
            continue
        table.add_row(r.name, r.anchor, f"{r.anchor_count:,} {r.anchor_unit}",
                      _opt(r.anchor_per_mac, ".2f"), f"{r.instructions_per_mac:.2f}",
                      _opt(r.anchor_memory_bytes, ","), f"{r.arena_bytes:,}",
                      _opt(r.anchor_weights_bytes, ","))
    return table


def profile_table(result: BenchResult, rows: int = 12) -> Table:
    """The functions that executed the most instructions in one model's run."""
    total = sum(p["instructions"] for p in result.profile or [])
    table = Table(title=f"{result.name}: instructions per function (whole run, "
                  f"{total:,} in all)")
    for col in ("function", "instructions", "share"):
        table.add_column(col, justify="left" if col == "function" else "right")
    for p in (result.profile or [])[:rows]:
        table.add_row(p["function"], f"{p['instructions']:,}",
                      f"{100 * p['instructions'] / total:.1f} %")
    return table
