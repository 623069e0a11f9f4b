"""Run a model's native module on MicroPython in QEMU through mpremote, and compare.

The firmware is MicroPython's qemu port for ``MPS2_AN500`` (the Cortex-M7 board ``qemu_m7``
emulates), built once into the cache (:mod:`host.micropython`). It runs under QEMU with
``-icount shift=7`` like our own firmware, its UART on a TCP socket; ``mpremote`` (pip, pinned
in the ``micropython`` extra) mounts a folder holding the module, ``frames.bin`` and
``tp_run.py`` (:mod:`sdk.codegen.micropython_app`) and imports the script. The script reads
the board's timer0 around each call: a counter tick is 40 ns of virtual time and an instruction
128 ns, so tick differences convert to exact instruction counts (:mod:`host.qemu`).

mpremote's mount answers the board within a timeout the board measures in its own time; under
``-icount`` an idle board's clock would race ahead of the host, so the firmware is built to
wait for interrupts when idle (``MICROPY_INTERNAL_WFE`` = ``wfi``) and QEMU lets idle virtual
time pass in real time. Measured regions never wait, so their counts stay exact.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from host.devices import start_qemu
from host.micropython import ModuleBuild, build_module, build_port, check_fits
from host.qemu import ticks_to_instructions
from sdk.errors import TinypruneError, ToolchainError
from sdk.ir.graph import Graph

TIMER0_VALUE = 0x40000004  # MPS2 CMSDK timer0, what tp_run.py and measurement builds read
MODULE = "tp_model"
# MicroPython's qemu boards: native arch of their modules, QEMU machine and CPU.
BOARDS = {"MPS2_AN500": ("armv7emdp", "mps2-an500", "cortex-m7"),
          "MPS2_AN385": ("armv7m", "mps2-an385", "cortex-m3")}
MPREMOTE_TIMEOUT_S = 600.0
COUNTER_MASK = 0x3FFFFFFF  # tp_run.py's 30-bit reload value


@dataclass
class FrameResult:
    """One frame on the board: predict_into's class and raw scores, predict()'s, the
    instructions each call took (the counter reads' own cost removed), predict_into's
    heap allocation and the bare inference inside the module (two counter reads apart)."""

    cls: int
    scores: np.ndarray
    predict_cls: int
    predict_scores: np.ndarray
    predict_into_instructions: int
    predict_instructions: int
    allocated: int
    c_instructions: int


@dataclass
class SweepResult:
    """One push_sweep: its event (None: none), the instructions of the call and of the C
    pipeline inside it, the heap bytes it allocated."""

    event: int | None
    instructions: int
    c_instructions: int
    allocated: int


@dataclass
class BoardRun:
    """Every frame's and sweep's result and the console text."""

    frames: list[FrameResult] = field(default_factory=list)
    sweeps: list[SweepResult] = field(default_factory=list)
    heap_free: int | None = None
    console: str = ""


def _elapsed(start: int, end: int) -> int:
    return ticks_to_instructions((start - end) & COUNTER_MASK)


def parse_output(text: str, out_dtype: str) -> BoardRun:
    """The frames of tp_run.py's console output (lines starting ``TP``)."""
    run = BoardRun(console=text)
    dtype = np.dtype("i1" if out_dtype == "int8" else "<f4")
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["TP-END"] and len(parts) == 3:
            run.heap_free = int(parts[2])
        if parts[:1] == ["SW"] and len(parts) == 8:
            a, b, d = (int(v) for v in parts[3:6])
            event = int(parts[2])
            run.sweeps.append(SweepResult(None if event < 0 else event,
                                          _elapsed(b, d) - _elapsed(a, b),
                                          ticks_to_instructions(int(parts[6])), int(parts[7])))
        if parts[:1] != ["TP"] or len(parts) != 13:
            continue
        a, b, d, e, g = (int(v) for v in parts[6:11])
        mark = _elapsed(a, b)
        run.frames.append(FrameResult(
            cls=int(parts[2]), scores=np.frombuffer(bytes.fromhex(parts[3]), dtype),
            predict_cls=int(parts[4]),
            predict_scores=np.array([float(v) for v in parts[5].split(",")]),
            predict_into_instructions=_elapsed(b, d) - mark,
            predict_instructions=_elapsed(e, g) - mark, allocated=int(parts[11]),
            c_instructions=ticks_to_instructions(int(parts[12]))))
    return run


def write_frames(folder: Path, graph: Graph, frames: np.ndarray) -> None:
    """frames.bin: the frames back to back as the model input's raw little-endian bytes."""
    dtype = "i1" if graph.tensors[graph.inputs[0]].dtype == "int8" else "<f4"
    (folder / "frames.bin").write_bytes(np.ascontiguousarray(frames, dtype=dtype).tobytes())


def _wait_listening(port: int, dev, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if dev.proc is not None and dev.proc.poll() is not None:
            err = dev.proc.stderr.read().decode(errors="replace") if dev.proc.stderr else ""
            raise ToolchainError(f"QEMU exited before its UART opened: {err.strip()[:200]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise ToolchainError(f"QEMU's UART on port {port} did not open in "
                                     f"{timeout_s:g} s") from None
            time.sleep(0.1)


def run_on_micropython(firmware: Path, module: ModuleBuild | None, mount: Path,
                       board: str = "MPS2_AN500") -> str:
    """Start ``firmware`` in QEMU, mount ``mount`` (with ``module``'s .mpy copied in; None:
    the firmware has the module built in) with mpremote and import tp_run; returns the
    console text (mpremote's stdout)."""
    import shutil

    if module is not None:
        shutil.copyfile(module.mpy, mount / module.mpy.name)
    _arch, machine, cpu = BOARDS[board]
    with start_qemu(firmware, machine=machine, cpu=cpu) as dev:
        port = int(dev.url.rsplit(":", 1)[1])
        _wait_listening(port, dev)
        cmd = [sys.executable, "-m", "mpremote", "connect", dev.url, "mount", str(mount.resolve()),
               "exec", "import tp_run"]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=MPREMOTE_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ToolchainError(f"mpremote still running after {MPREMOTE_TIMEOUT_S:g} s") \
                from None
    text = proc.stdout.decode(errors="replace")
    if proc.returncode != 0 or "TP-END" not in text:
        detail = (text + proc.stderr.decode(errors="replace")).strip().splitlines()
        raise ToolchainError("MicroPython run failed: "
                             + (detail[-1] if detail else f"mpremote exit {proc.returncode}"))
    return text


def measure_frames(graph: Graph, frames: np.ndarray, source: Path, work: Path,
                   status: Callable[[str], AbstractContextManager[Any]] = lambda _: nullcontext(),
                   sweeps: np.ndarray | None = None, board: str = "MPS2_AN500"
                   ) -> dict[str, Any]:
    """Build the measurement module and the firmware, classify ``frames`` on MicroPython and
    in our C firmware on qemu_m7, and compare with the host reference; with ``sweeps`` (wire
    sweeps), also push them through push_sweep and compare its events with the host's. The
    report also holds ``reference`` and ``board`` (the outputs, one row per frame). ``board``:
    MicroPython's qemu board (MPS2_AN385: a Cortex-M3 with armv7m modules; our firmware's
    comparison runs on the Cortex-M7 only)."""
    from host.device_run import reference_outputs, run_on_board
    from host.micropython import gesture_headers
    from sdk.codegen.c_module_wrapper import io_facts
    from sdk.codegen.micropython_app import print_example, print_runner
    from sdk.codegen.micropython_module import write_module_sources

    arch = BOARDS[board][0]

    with status("building the native module and MicroPython (cached)"):
        headers = gesture_headers(graph) if sweeps is not None else None
        sources = write_module_sources(graph, work / "module", arch, MODULE, headers)
        build = build_module(sources, source, TIMER0_VALUE)
        fit = check_fits(build, arch)
        firmware = build_port(source, "qemu", board)
    mount = work / "board"
    mount.mkdir(exist_ok=True)
    inp, outp = io_facts(graph, sources.gen.plan.offsets)
    sweep_bytes = 0 if sweeps is None else sweeps[0].nbytes
    (mount / "tp_run.py").write_text(print_runner(MODULE, inp, outp, sweep_bytes))
    (mount / "example.py").write_text(print_example(MODULE, inp, outp))
    write_frames(mount, graph, frames)
    if sweeps is not None:
        (mount / "sweeps.bin").write_bytes(np.ascontiguousarray(sweeps, "<i2").tobytes())
    with status(f"running {len(frames)} frames on MicroPython in QEMU"):
        result = parse_output(run_on_micropython(firmware, build, mount, board), outp.dtype)
    c_instructions = None
    if board == "MPS2_AN500":
        with status("running the C firmware on qemu_m7 for comparison"):
            c_instructions = run_on_board(graph, "qemu_m7", frames[:1], work / "c").instructions
    ref = reference_outputs(graph, frames).reshape(len(frames), -1)
    if len(result.frames) != len(frames):
        raise TinypruneError(f"MicroPython returned {len(result.frames)} of {len(frames)} frames")
    got = np.stack([f.scores for f in result.frames]).astype(np.float64)
    got_predict = np.stack([f.predict_scores for f in result.frames])
    classes = [f.cls for f in result.frames]
    pushes: dict[str, Any] = {}
    if sweeps is not None:
        from host.gesture_stream import host_reference
        from sdk.radar.gestures import NONE, model_detector, model_preprocess

        if len(result.sweeps) != len(sweeps):
            raise TinypruneError(f"MicroPython pushed {len(result.sweeps)} of {len(sweeps)} "
                                 "sweeps")
        detector = model_detector(graph.metadata, graph.tensors[graph.outputs[0]].size)
        host = host_reference(graph, sweeps, detector, model_preprocess(graph.metadata))
        quiet = [p for p in result.sweeps if p.event is None]
        pushes = {
            "events_host": [(i, int(e)) for i, e in enumerate(host.events) if e != NONE],
            "events_board": [(i, p.event) for i, p in enumerate(result.sweeps)
                             if p.event is not None],
            "push_sweep_none_beyond_c": max(p.instructions - p.c_instructions for p in quiet)
            if quiet else None,
            "push_sweep_none_allocated": sum(p.allocated for p in quiet)}
    return {**pushes,
        "model": graph.name, "board": board, "arch": arch, "frames": len(frames),
        "load_bytes": build.load_bytes,
        "text_bytes": build.text, "bss_bytes": build.bss, "fit": fit,
        "bit_exact": bool(np.array_equal(got, ref) and np.array_equal(got_predict, ref)),
        "max_rel_diff": float(max(np.max(np.abs(got - ref)), np.max(np.abs(got_predict - ref)))
                              / (float(np.max(np.abs(ref))) or 1.0)),
        "classes_equal": classes == [int(np.argmax(r)) for r in ref]
        and classes == [f.predict_cls for f in result.frames],
        "c_instructions": c_instructions,
        "module_c_instructions": [f.c_instructions for f in result.frames],
        "predict_into_instructions": [f.predict_into_instructions for f in result.frames],
        "predict_instructions": [f.predict_instructions for f in result.frames],
        "predict_into_allocated": [f.allocated for f in result.frames],
        "heap_free": result.heap_free, "reference": ref, "outputs": got}
