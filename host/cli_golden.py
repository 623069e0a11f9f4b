"""``tinyprune golden``: measure every published figure again and compare it with the golden file
(docs/golden.json); ``--update`` writes the file and renders the documents from it."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from host.console import console, emit_json


def golden(
    update: bool = typer.Option(False, "--update", help="Write the measured figures to the "
                                "golden file and render docs/benchmarks.md and README.md "
                                "from it."),
    render: bool = typer.Option(False, "--render", help="Only render the documents from the "
                                "golden file as it is (no measuring)."),
    only: list[str] = typer.Option([], "--only", help="Measure only this group (repeatable): "
                                   "int8, int8_profile, float, radar_m7, radar_msp430, "
                                   "msp430_selftest, gesture_firmware."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on "
                                  "stdout: the differences."),
) -> None:
    """Recompute every figure docs/benchmarks.md publishes (QEMU instructions, MSP430 cycles,
    sizes, arenas; under a minute) and compare it exactly with docs/golden.json. Exit 1 when a
    figure differs (with other tool versions than the file's tags the differences are only
    reported); ``--update`` records the new figures instead. A change that moves a figure
    updates the golden file in the same commit."""
    from host.golden import (
        GOLDEN_FILE,
        GROUP_BY_NAME,
        GROUPS,
        UPDATE_COMMAND,
        compare,
        load_golden,
        measure,
        show,
        tool_differences,
        write_golden,
    )
    from host.golden_render import render_docs
    from sdk.errors import TinypruneError

    if render:
        changed = render_docs(load_golden()["figures"])
        console.print(f"rendered from {GOLDEN_FILE.name}: "
                      + (", ".join(p.name for p in changed) or "no document changed"))
        return
    unknown = [g for g in only if g not in GROUP_BY_NAME]
    if unknown:
        raise TinypruneError(f"--only {unknown[0]}: expected one of {', '.join(GROUP_BY_NAME)}")
    if update and only:
        raise TinypruneError("--update measures every group; drop --only")
    groups = tuple(GROUP_BY_NAME[g] for g in only) or GROUPS
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
            "{task.completed}/{task.total} groups"), TimeElapsedColumn(), console=console,
            disable=json_out, transient=True) as progress:
        task = progress.add_task("measuring", total=len(groups))

        def on_group(group) -> None:
            done = groups.index(group)
            progress.update(task, completed=done, description=f"measuring {group.title}")

        measured = measure(groups, on_group)
        progress.update(task, completed=len(groups))
    if update:
        write_golden(measured)
        changed = render_docs(measured["figures"])
        console.print(f"wrote {GOLDEN_FILE}; rendered "
                      + (", ".join(p.name for p in changed) or "no document changed"))
        return
    golden_content = load_golden()
    golden_figures = {g.name: golden_content["figures"].get(g.name) for g in groups}
    diffs = compare(golden_figures, measured["figures"])
    tools = tool_differences(golden_content, tuple(sorted({t for g in groups for t in g.tools})))
    if json_out:
        emit_json({"differences": [{"figure": d.figure, "golden": d.golden,
                                    "measured": d.measured} for d in diffs],
                   "toolchain_differences": tools})
    else:
        if diffs:
            table = Table(title=f"figures that differ from {GOLDEN_FILE.name}")
            for col in ("figure", "golden", "measured"):
                table.add_column(col, justify="left" if col == "figure" else "right")
            for d in diffs:
                table.add_row(d.figure, show(d.golden), show(d.measured))
            console.print(table)
        for line in tools:
            console.print(f"toolchain differs from the golden file's tag: {line}")
        console.print(f"{len(diffs)} figures differ" if diffs else
                      "every figure equals the golden file")
        if diffs and tools:
            console.print("other tool versions than the golden file's: the differences are "
                          "reported, not judged")
        elif diffs:
            console.print(f"if the change is intended: `{UPDATE_COMMAND}` and commit "
                          "docs/golden.json with it")
    if diffs and not tools:
        raise typer.Exit(1)
