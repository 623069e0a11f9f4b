"""``tinyprune export --micropython`` and ``tinyprune micropython run``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import typer

from host.cli_checks import existing_file, out_folder, positive_int
from host.console import console, emit_json
from sdk.errors import TinypruneError
from sdk.ir.graph import Graph

SOURCE_OPT = typer.Option(None, "--micropython-source",
                          help="MicroPython source folder or release tarball [env "
                          "TINYPRUNE_MICROPYTHON, else ../shared/vendor/"
                          "micropython-1.28.0.tar.gz].")

app = typer.Typer(help="Run models in MicroPython (native .mpy modules).",
                  no_args_is_help=True)


def export_module(graph: Graph, out: str | Path, arch: str, module: str,
                  source_opt: str | None, heap_bytes: int | None, gesture: bool = False
                  ) -> dict[str, Any]:
    """Write and build ``graph`` as native module ``module`` for ``arch`` into ``out``:
    ``<module>.mpy``, ``example.py`` and the sources under ``src/<module>`` (also a user C
    module); ``gesture``: with push_sweep and reset. Nothing is written to ``out`` unless the
    module builds and fits."""
    from host.micropython import build_module, check_fits, gesture_headers, source_path
    from sdk.codegen.c_module_wrapper import io_facts
    from sdk.codegen.generate import check_prefix
    from sdk.codegen.micropython_app import print_example
    from sdk.codegen.micropython_module import check_arch, write_module_sources

    check_arch(arch)
    check_prefix(module)
    source = source_path(source_opt)
    dest = Path(out)
    with tempfile.TemporaryDirectory(prefix=".tinyprune-", dir=dest.parent) as tmp:
        sources = write_module_sources(graph, tmp, arch, module,
                                       gesture_headers(graph) if gesture else None)
        build = build_module(sources, source)
        fit = check_fits(build, arch, heap_bytes)
        inp, outp = io_facts(graph, sources.gen.plan.offsets)
        dest.mkdir(exist_ok=True)
        shutil.copyfile(build.mpy, dest / build.mpy.name)
        (dest / "example.py").write_text(print_example(module, inp, outp))
        shutil.rmtree(sources.folder / "build")
        build.mpy.unlink()
        shutil.rmtree(dest / "src" / module, ignore_errors=True)
        shutil.copytree(Path(tmp) / "src", dest / "src", dirs_exist_ok=True)
    return {"module": module, "arch": arch, "mpy": str(dest / build.mpy.name),
            "load_bytes": build.load_bytes, "text": build.text, "rodata": build.rodata,
            "bss": build.bss, "fit": fit, "arena": sources.gen.plan.arena_bytes,
            "weights": sources.gen.weights_bytes}


def _frames(graph: Graph, data: str | None, n: int) -> tuple[np.ndarray, Any]:
    """The frames to classify: a recording's (host preprocessing) or n seeded random ones."""
    inp = graph.tensors[graph.inputs[0]]
    if data is None:
        rng = np.random.default_rng(0)
        shape = (n, *inp.shape[1:])
        if inp.dtype == "int8":
            return rng.integers(-128, 128, shape).astype(np.int8), None
        return rng.normal(size=shape).astype(np.float32), None
    from host.cli_stream import load_stream_data
    from host.gesture_stream import model_frames
    from sdk.radar.gestures import model_preprocess

    cfg = model_preprocess(graph.metadata)
    if inp.size != cfg.input_shape[0] * cfg.input_shape[1]:
        raise TinypruneError(f"--data: the model's input ({list(inp.shape)}) is not "
                             f"{cfg.context_frames} preprocessed frame(s) of {cfg.depth_bins} x "
                             f"{cfg.window_sweeps}, as its preprocessing says")
    sweeps, _, _ = load_stream_data(data, cfg)
    return model_frames(graph, sweeps, cfg), sweeps


def micropython_run(model: str, data: str | None, n_frames: int, source_opt: str | None,
                    out: str | None, board: str = "MPS2_AN500") -> dict[str, Any]:
    """Build everything, run on MicroPython in QEMU and on our C firmware, and compare."""
    from host.micropython import source_path
    from host.micropython_run import measure_frames
    from host.models import load_model_arg
    from host.workdir import work_folder

    graph = load_model_arg(model)
    source = source_path(source_opt)
    frames, sweeps = _frames(graph, data, n_frames)
    if not len(frames):
        raise TinypruneError(f"{data}: fewer sweeps than one frame")
    with work_folder(out, f"{Path(model).stem}-micropython") as work:
        report = measure_frames(graph, frames, source, work, status=console.status,
                                sweeps=sweeps, board=board)
    report.pop("reference")
    report.pop("outputs")
    return report


def print_run_report(rep: dict[str, Any]) -> None:
    """The human summary of micropython_run's report."""
    c, mc = rep["c_instructions"], max(rep["module_c_instructions"])
    into, pred = max(rep["predict_into_instructions"]), max(rep["predict_instructions"])
    console.print(f"{rep['model']}: {rep['frames']} frames on MicroPython ({rep['board']} in "
                  f"QEMU, {rep['arch']} module); {rep['fit']}")
    console.print(f"outputs bit-exact with the host reference: {rep['bit_exact']} (largest "
                  f"relative difference {rep['max_rel_diff']:.3g}); classes equal: "
                  f"{rep['classes_equal']}")
    if "events_host" in rep:
        console.print(f"gesture events from push_sweep: board {len(rep['events_board'])}, host "
                      f"{len(rep['events_host'])}, equal: "
                      f"{rep['events_board'] == rep['events_host']}; a push_sweep returning "
                      f"None: at most {rep['push_sweep_none_beyond_c']:,} instructions beyond "
                      f"its C, {rep['push_sweep_none_allocated']} heap bytes allocated")
    firmware = f"our C firmware {c:,}; " if c is not None else ""
    console.print(f"instructions per frame (QEMU -icount, not cycles): {firmware}"
                  f"the same C inside the module {mc:,}; predict_into {into:,} "
                  f"(+{into - mc:,} beyond the module's C); predict {pred:,} (+{pred - mc:,})")
    console.print(f"heap bytes allocated by predict_into: {max(rep['predict_into_allocated'])}")


@app.command("run")
def run(
    model: str = typer.Argument(..., help="Model file (.tpm or .tflite)."),
    data: str | None = typer.Option(None, "--data", help="Radar recording (.h5): classify "
                                    "its frames (host preprocessing) and push its sweeps "
                                    "through push_sweep; compare events with the host's.",
                                    callback=existing_file),
    frames: int = typer.Option(4, "--frames", help="Without --data: seeded random frames.",
                               callback=positive_int),
    source: str | None = SOURCE_OPT,
    out: str | None = typer.Option(None, "--out", help="Work folder, kept [private, removed].",
                                   callback=out_folder),
    board: str = typer.Option("MPS2_AN500", "--micropython-board",
                              help="MicroPython's qemu board: MPS2_AN500 (Cortex-M7, armv7emdp "
                              "module, compared with our qemu_m7 firmware) or MPS2_AN385 "
                              "(Cortex-M3, armv7m module)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
) -> None:
    """Run MODEL as a native module on MicroPython on an emulated MPS2 board (QEMU, mpremote):
    classes and scores against the host reference, instructions per frame in C and from
    MicroPython, heap allocated per call."""
    from host.micropython_run import BOARDS

    if board not in BOARDS:
        raise TinypruneError(f"--micropython-board {board}: expected one of "
                             f"{', '.join(BOARDS)}")
    rep = micropython_run(model, data, frames, source, out, board)
    if json_out:
        emit_json(rep)
    else:
        print_run_report(rep)
