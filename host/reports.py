"""Rich tables and JSON fragments shared by the commands that build and run models."""

from __future__ import annotations

from rich.console import JustifyMethod
from rich.table import Table

from host.build import BuildResult
from host.device_run import StepProfile

INSTRUCTIONS_NOTE = ("instructions retired in QEMU (-icount, exact); not Cortex-M7 cycles: the M7 "
                     "dual-issues, so its cycle count is lower")


def size_json(build: BuildResult) -> dict:
    """The build's memory figures under the project's field names."""
    gen = build.generated
    out = {"board": build.board.name, "weights_bytes": build.weights_bytes,
           "dense_weights_bytes": gen.dense_weights_bytes,
           "arena_bytes": build.plan.arena_bytes,
           "weight_storage": [c.to_json() for c in gen.storage]}
    if build.size is not None:
        s = build.size.as_dict()
        out.update({k: s[k] for k in ("flash_bytes", "ram_bytes", "code_bytes", "text_bytes",
                                      "rodata_bytes", "data_bytes", "bss_bytes", "stack_bytes",
                                      "flash_limit_bytes", "ram_limit_bytes")})
    return out


def size_table(build: BuildResult) -> Table:
    """Sections, model figures and the board's limits."""
    table = Table(title=f"size on {build.board.name}")
    table.add_column("figure")
    table.add_column("bytes", justify="right")
    table.add_column("of limit", justify="right")
    s = build.size
    if s is not None:
        for label, value in (("text", s.text_bytes), ("rodata", s.rodata_bytes),
                             ("data", s.data_bytes), ("bss", s.bss_bytes)):
            table.add_row(label, f"{value:,}", "")
        table.add_section()
        table.add_row("flash (text+rodata+data)", f"{s.flash_bytes:,}",
                      f"{s.flash_fraction:.1%} of {build.board.flash_bytes:,}"
                      if s.flash_fraction is not None else "")
        table.add_row("RAM (data+bss+stack)", f"{s.ram_bytes:,}",
                      f"{s.ram_fraction:.1%} of {build.board.ram_bytes:,}"
                      if s.ram_fraction is not None else "")
        table.add_section()
        table.add_row("  code: engine + model", f"{s.code_bytes:,}", "")
    table.add_row("  weights (model constants)", f"{build.weights_bytes:,}", "")
    gen = build.generated
    sparse = [c for c in gen.storage if c.storage == "sparse_csr"]
    if sparse:
        # Pruned layers stored sparse: what the weights would take dense, and each layer.
        table.add_row("    the same, every layer dense", f"{gen.dense_weights_bytes:,}", "")
        for c in sparse:
            table.add_row(f"    {c.layer}: sparse (dense {c.dense_bytes:,})",
                          f"{c.sparse_bytes:,}", "")
    table.add_row("  arena (activations + scratch)", f"{build.plan.arena_bytes:,}", "")
    return table


COUNTER_NOTES = {
    "instructions": INSTRUCTIONS_NOTE,
    "cycles": "simulated MCLK cycles (mspdebug's timing model: relative, no FRAM wait states)",
    "none": "this board has no counter: no per-step figures",
}


def profile_table(steps: list[StepProfile], title: str, unit: str = "instructions") -> Table:
    """Per-step counts in the board's counter ``unit`` (board.json ``counter_unit``:
    instructions on QEMU, cycles on the MSP430, none on the host board: MACs only); the total
    row is the whole inference (the steps' sum)."""
    table = Table(title=title, caption=COUNTER_NOTES.get(unit, unit))
    counted = unit != "none"
    short = "instr" if unit == "instructions" else unit
    columns: list[tuple[str, JustifyMethod]] = [
        ("#", "right"), ("step", "left"), ("op", "left"), ("covers", "left"), ("MACs", "right")]
    if counted:
        columns += [(unit, "right"), (f"{short}/MAC", "right"), ("share", "right")]
    for col, just in columns:
        table.add_column(col, justify=just)
    total = sum(s.instructions or 0 for s in steps)
    for i, s in enumerate(steps):
        n = s.instructions
        covers = [layer for layer in s.covers if layer != s.name]
        row = [str(i), s.name, s.op, " + ".join(covers), f"{s.macs:,}"]
        if counted:
            row += ["-" if n is None else f"{n:,}",
                    f"{n / s.macs:.2f}" if n is not None and s.macs else "",
                    f"{n / total:.1%}" if n is not None and total else ""]
        table.add_row(*row)
    table.add_section()
    macs = sum(s.macs for s in steps)
    last = ["", "whole inference", "", "", f"{macs:,}"]
    if counted:
        last += [f"{total:,}", f"{total / macs:.2f}" if macs else "", ""]
    table.add_row(*last)
    return table


def steps_json(steps: list[StepProfile]) -> list[dict]:
    """The ``layers`` list of ``run --json``."""
    return [{"name": s.name, "op": s.op, "covers": s.covers, "macs": s.macs,
             "instructions": s.instructions} for s in steps]
