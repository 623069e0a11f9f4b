"""The model as a MicroPython native module (issue 15).

Fast: the module's model.c has no writable static data and only relocations mpy_ld takes;
export builds a Cortex-M7 module from the MicroPython source (no firmware needed), reports
its load-time RAM and refuses one that cannot fit. Slow (MicroPython builds, cached outside
the repository by host.micropython): the x64 module on the unix port, bit-exact with the int8
reference, with its errors and no allocation in predict_into; ``tinyprune micropython run`` on
MicroPython's qemu port for the emulated Cortex-M7.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from test_shutdown import TAG, _handler_installed, _orphans_after

from cli_helpers import TINYPRUNE, assert_one_line_error, cli
from int8_graphs import int8_case, int8_residual_net, random_input
from sdk.errors import TinypruneError

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None
                                or shutil.which("make") is None,
                                reason="arm-none-eabi-gcc or make not installed")


@pytest.fixture(scope="session")
def mp_source() -> Path:
    """The MicroPython source (option/environment/../shared default); skips without one."""
    from host.micropython import source_path

    try:
        return source_path()
    except TinypruneError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def unix_micropython(mp_source: Path) -> Path:
    """MicroPython's unix port, built once into the cache."""
    from host.micropython import build_port

    return build_port(mp_source, "unix")


def _save(graph, folder: Path) -> Path:
    from sdk.ir.serialize import save_model

    return save_model(graph, folder / f"{graph.name}.tpm")


def test_export_reports_load_ram_and_refuses_a_module_too_big(mp_source, tmp_path):
    model = _save(int8_residual_net(2), tmp_path)
    proc = cli("export", str(model), "--micropython", "--arch", "armv7emdp", "--out",
               str(tmp_path / "m"), "--prefix", "resnet", "--micropython-source",
               str(mp_source), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "load-time RAM" in text and "heap 143,360 B" in text
    assert (tmp_path / "m" / "resnet.mpy").read_bytes()[:1] == b"M"
    assert (tmp_path / "m" / "src" / "resnet" / "micropython.mk").is_file()
    assert not (tmp_path / "m" / "src" / "resnet" / "build").exists()
    proc = cli("export", str(model), "--micropython", "--arch", "armv7emdp", "--out",
               str(tmp_path / "small"), "--heap-bytes", "4000", "--micropython-source",
               str(mp_source), cwd=tmp_path)
    assert_one_line_error(proc, "does not fit", "heap 4,000 B, over by")
    assert not (tmp_path / "small").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tinyprune-")] == []


@pytest.mark.parametrize("args, message", [
    (["--arch", "armv6"], "MicroPython native architecture 'armv6'"),
    (["--micropython-source", "/nonexistent/mp.tar.gz"], "MicroPython source"),
    (["--prefix", "1bad"], "symbol prefix"),
])
def test_export_micropython_bad_options(tmp_path, args, message):
    model = _save(int8_residual_net(2), tmp_path)
    proc = cli("export", str(model), "--micropython", "--out", str(tmp_path / "o"), *args,
               cwd=tmp_path)
    assert_one_line_error(proc, message)
    assert not (tmp_path / "o").exists()


def _unix_script(module: str, n_in: int, n_out: int, n_frames: int) -> str:
    # In a function: a first store to a new global would grow the globals dict (allocate).
    return f"""
import array, gc, sys
sys.path.insert(0, '.')
import {module} as m

def main():
    x = bytearray({n_in})
    s = bytearray({n_out})
    f = open('frames.bin', 'rb')
    for i in range({n_frames}):
        f.readinto(x)
        gc.collect()
        g0 = gc.mem_alloc()
        c = m.predict_into(x, s)
        g1 = gc.mem_alloc()
        r = m.predict(x)
        print('OUT', c, r[0], bytes(s).hex(), ','.join(str(v) for v in r[1]), g1 - g0)
    for bad in (bytearray({n_in} - 1), bytes({n_in} + 3)):
        try:
            m.predict(bad)
        except ValueError as e:
            print('ERR', e)
    for bad in (3, None, array.array('h', bytes({n_in}))):
        try:
            m.predict(bad)
        except TypeError as e:
            print('ERR', e)
    try:
        m.predict_into(x, bytearray({n_out} + 1))
    except ValueError as e:
        print('ERR', e)
    print('INFO', m.info()['arena'])

main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["residual", "conv_shifts_mixed", "depthwise_7x1_c5"])
def test_x64_module_bit_exact_on_the_unix_port(unix_micropython, mp_source, tmp_path, name):
    from host.cli_micropython import export_module
    from sdk.reference import run_int8

    graph = int8_residual_net(2) if name == "residual" else int8_case(name, 3)
    rep = export_module(graph, tmp_path, "x64", "tpm", str(mp_source), None)
    inp, out = (graph.tensors[n] for n in (graph.inputs[0], graph.outputs[0]))
    frames = np.stack([random_input(graph, seed).reshape(inp.shape[1:]) for seed in range(3)])
    (tmp_path / "frames.bin").write_bytes(frames.astype(np.int8).tobytes())
    (tmp_path / "t.py").write_text(_unix_script("tpm", inp.nbytes, out.nbytes, len(frames)))
    proc = subprocess.run([str(unix_micropython), "t.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    outs = [ln.split() for ln in lines if ln.startswith("OUT")]
    assert len(outs) == len(frames)
    for frame, (_, c, c2, hexs, tup, grew) in zip(frames, outs):
        want = run_int8(graph, frame[None])[graph.outputs[0]].reshape(-1)
        got = np.frombuffer(bytes.fromhex(hexs), np.int8)
        assert np.array_equal(got, want) and [int(v) for v in tup.split(",")] == want.tolist()
        assert int(c) == int(c2) == int(np.argmax(want)) and int(grew) == 0
    errors = [ln[4:] for ln in lines if ln.startswith("ERR")]
    shape = ", ".join(str(d) for d in inp.shape)
    assert errors == [
        f"predict: input must be {inp.nbytes} bytes (int8 [{shape}]), got {inp.nbytes - 1} bytes",
        f"predict: input must be {inp.nbytes} bytes (int8 [{shape}]), got {inp.nbytes + 3} bytes",
        *["predict: input must be int8 (bytearray, bytes or array('b'))"] * 3,
        f"predict_into: scores must be {out.nbytes} bytes (int8 "
        f"[{', '.join(str(d) for d in out.shape)}]), got {out.nbytes + 1} bytes"]
    assert f"INFO {rep['arena']}" in lines
    # The example application beside the module, on the same frames.
    proc = subprocess.run([str(unix_micropython), "-c", "import sys; sys.path.insert(0, '.')\n"
                           "import example"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = [ln.split() for ln in proc.stdout.splitlines() if ln.startswith("frame")]
    assert [(int(f[3]), f[-1]) for f in shown] == [(int(o[1]), "0") for o in outs]


@pytest.mark.slow
def test_a_module_for_another_arch_is_refused_on_import(unix_micropython, mp_source, tmp_path):
    from host.cli_micropython import export_module

    export_module(int8_residual_net(2), tmp_path, "armv7emdp", "tpm", str(mp_source), None)
    proc = subprocess.run([str(unix_micropython), "-c", "import sys; sys.path.insert(0, '.')\n"
                           "import tpm"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode != 0 and "incompatible .mpy" in proc.stdout + proc.stderr


@pytest.fixture(scope="session")
def qemu_micropython(mp_source: Path) -> Path:
    """MicroPython's qemu port for MPS2_AN500, built once into the cache."""
    from host.micropython import build_port

    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    return build_port(mp_source, "qemu", "MPS2_AN500")


@pytest.mark.slow
def test_micropython_run_on_the_emulated_cortex_m7(mp_source, qemu_micropython, tmp_path):
    model = _save(int8_residual_net(2), tmp_path)
    proc = cli("micropython", "run", str(model), "--frames", "3", "--json",
               "--micropython-source", str(mp_source), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["bit_exact"] and rep["classes_equal"] and rep["frames"] == 3
    assert rep["predict_into_allocated"] == [0, 0, 0]
    # The targets: at most 5,000 instructions per call beyond the bare C inference (read by
    # the module itself around the model's run); that C is our firmware's give or take PIC.
    bare = rep["module_c_instructions"]
    assert all(0 < n - c <= 5000 for n, c in zip(rep["predict_into_instructions"], bare))
    assert all(0 < n - c <= 5000 for n, c in zip(rep["predict_instructions"], bare))
    assert all(abs(c - rep["c_instructions"]) < rep["c_instructions"] // 10 for c in bare)


@pytest.mark.slow
def test_user_c_module_in_the_qemu_firmware(mp_source, tmp_path):
    # The same sources as USER_C_MODULES: MicroPython's qemu port built with the model inside,
    # the runner imports it from the firmware (no .mpy on the mounted folder).
    from host.cli_micropython import export_module
    from host.micropython import build_port
    from host.micropython_run import parse_output, run_on_micropython, write_frames
    from sdk.codegen.c_module_wrapper import io_facts
    from sdk.codegen.micropython_app import print_runner
    from sdk.codegen.micropython_module import write_module_sources
    from sdk.reference import run_int8

    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    graph = int8_residual_net(2)
    export_module(graph, tmp_path / "out", "armv7emdp", "tp_model", str(mp_source), None)
    firmware = build_port(mp_source, "qemu", "MPS2_AN500", tmp_path / "out" / "src")
    sources = write_module_sources(graph, tmp_path / "gen", "armv7emdp", "tp_model")
    inp, out = io_facts(graph, sources.gen.plan.offsets)
    mount = tmp_path / "board"
    mount.mkdir()
    (mount / "tp_run.py").write_text(print_runner("tp_model", inp, out))
    frames = np.stack([random_input(graph, seed).reshape(inp.shape[1:]) for seed in range(2)])
    write_frames(mount, graph, frames)
    run = parse_output(run_on_micropython(firmware, None, mount), out.dtype)
    assert len(run.frames) == 2
    for frame, result in zip(frames, run.frames):
        want = run_int8(graph, frame[None])[graph.outputs[0]].reshape(-1)
        assert np.array_equal(result.scores, want) and result.allocated == 0


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [1.0, 6.0, 12.0])
def test_sigterm_during_micropython_run_leaves_nothing_behind(mp_source, qemu_micropython,
                                                              tmp_path, delay_s):
    # Moments across the module build, QEMU's start and mpremote's run.
    _save(int8_residual_net(2), tmp_path)
    tag = uuid.uuid4().hex
    proc = subprocess.Popen([*TINYPRUNE, "micropython", "run", "int8_residual.tpm",
                             "--frames", "40", "--micropython-source", str(mp_source)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, TAG: tag})
    while not _handler_installed(proc.pid, signal.SIGTERM) and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(delay_s)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err.decode()
    assert _orphans_after(tag) == []
    runs = tmp_path / "build" / "runs"
    assert not runs.exists() or list(runs.iterdir()) == []


_PUSH_SCRIPT = """
import array, gc, sys
sys.path.insert(0, '.')
import gest

def main():
    sweep = array.array('h', bytes({nbytes}))
    f = open('sweeps.bin', 'rb')
    n = 0
    grew = 0
    while f.readinto(sweep) == {nbytes}:
        g0 = gc.mem_alloc()
        event = gest.push_sweep(sweep)
        g1 = gc.mem_alloc()
        if event is None:
            grew += g1 - g0
        else:
            print('EVENT', n, event)
        n += 1
    print('SWEEPS', n, 'GREW', grew)
    gest.reset()
    try:
        gest.push_sweep(bytearray({nbytes}))
    except TypeError as e:
        print('ERR', e)

main()
"""


def _context_gesture_graph():
    """A small int8 CNN over 3 stacked frames, preprocessed with a per-depth-row
    standardization (its metadata's preprocessing): the module must follow it."""
    from graphs import GraphBuilder
    from int8_graphs import quantize_randomly
    from sdk.radar.preprocess import PreprocessConfig

    b = GraphBuilder("ctx_gesture", (1, 90, 20, 1), 2)
    x = b.pool(b.conv("input", 4, activation="relu"), "MaxPool2D")
    graph = quantize_randomly(b.finish(b.softmax(b.dense(b.flatten(x), 4))), 3)
    rows = np.arange(30) / 30
    graph.metadata["preprocess"] = PreprocessConfig(
        context_frames=3, row_mean=tuple(0.2 + 0.1 * rows), row_std=tuple(0.1 + 0.05 * rows)
    ).to_dict()
    return graph


@pytest.mark.slow
@pytest.mark.parametrize("model", ["seed", "context3_standardized"])
def test_push_sweep_gives_the_firmware_events_without_allocating(unix_micropython, mp_source,
                                                                 tmp_path, model):
    # The gesture pipeline in the module (the firmware's preprocessing, time context, model
    # input/output and detector) against the host's numpy preprocessing, reference and
    # detector, for the model's own preprocessing.
    from test_gesture_app import EAGER, small_gesture_graph

    from host.cli_stream import load_stream_data
    from host.gesture_stream import host_reference
    from host.micropython import build_module, gesture_headers
    from int8_graphs import quantize_randomly
    from sdk.codegen.micropython_module import write_module_sources
    from sdk.radar.dataset import synthesize
    from sdk.radar.gestures import NONE, model_preprocess

    graph = (quantize_randomly(small_gesture_graph(0), 3) if model == "seed"
             else _context_gesture_graph())
    preprocess = model_preprocess(graph.metadata)
    synthesize(tmp_path / "rec.h5", per_class=1, seed=5)
    sweeps, _, _ = load_stream_data(str(tmp_path / "rec.h5"), preprocess)
    src = write_module_sources(graph, tmp_path, "x64", "gest", gesture_headers(graph, EAGER))
    build = build_module(src, mp_source)
    (tmp_path / "gest.mpy").write_bytes(build.mpy.read_bytes())
    (tmp_path / "sweeps.bin").write_bytes(sweeps.astype("<i2").tobytes())
    (tmp_path / "t.py").write_text(_PUSH_SCRIPT.format(nbytes=sweeps[0].nbytes))
    proc = subprocess.run([str(unix_micropython), "t.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    events = [(int(ln.split()[1]), int(ln.split()[2])) for ln in lines if ln.startswith("EVENT")]
    ref = host_reference(graph, sweeps, EAGER, preprocess)
    want = [(i, int(e)) for i, e in enumerate(ref.events) if e != NONE]
    assert want and events == want
    assert f"SWEEPS {len(sweeps)} GREW 0" in lines
    assert "ERR push_sweep: sweep must be array('h') of I, Q per depth" in lines


@pytest.mark.slow
def test_micropython_run_with_a_recording_compares_push_sweep_events(mp_source,
                                                                     qemu_micropython,
                                                                     tmp_path):
    from test_gesture_app import small_gesture_graph

    from int8_graphs import quantize_randomly
    from sdk.radar.dataset import synthesize

    _save(quantize_randomly(small_gesture_graph(0), 3), tmp_path)
    synthesize(tmp_path / "rec.h5", per_class=1, seed=5)
    proc = cli("micropython", "run", "small_gesture.tpm", "--data", "rec.h5", "--json",
               "--micropython-source", str(mp_source), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["bit_exact"] and rep["classes_equal"]
    assert rep["events_board"] == rep["events_host"]
    assert rep["push_sweep_none_allocated"] == 0
    assert 0 < rep["push_sweep_none_beyond_c"] <= 2000


@pytest.mark.slow
def test_armv7m_module_on_the_cortex_m3_board(mp_source, tmp_path):
    # MPS2_AN385: Cortex-M3, no DSP instructions: the portable engine in an armv7m module.
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    from host.micropython import build_port

    build_port(mp_source, "qemu", "MPS2_AN385")
    _save(int8_residual_net(2), tmp_path)
    proc = cli("micropython", "run", "int8_residual.tpm", "--micropython-board", "MPS2_AN385",
               "--frames", "2", "--json", "--micropython-source", str(mp_source), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["arch"] == "armv7m" and rep["bit_exact"] and rep["c_instructions"] is None
    assert rep["predict_into_allocated"] == [0, 0]


BOARD_ERRORS = """
import sys
try:
    import tpx
    print('LOADED x64')
except ValueError as e:
    print('ERR', e)
import tpm
for bad in (bytearray({n_in} - 1), 3):
    try:
        tpm.predict(bad)
    except (ValueError, TypeError) as e:
        print('ERR', type(e).__name__, e)
print('TP-END')
"""


@pytest.mark.slow
def test_wrong_arch_and_wrong_buffers_are_refused_on_the_emulated_board(mp_source,
                                                                        qemu_micropython,
                                                                        tmp_path):
    """On the Cortex-M7's stock MicroPython: an x64 module is refused by the loader, and the
    board's own module refuses a short buffer and a non-buffer, each with its message."""
    from host.cli_micropython import export_module
    from host.micropython_run import run_on_micropython

    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    graph = int8_residual_net(2)
    mount = tmp_path / "board"
    export_module(graph, mount, "armv7emdp", "tpm", str(mp_source), None)
    export_module(graph, tmp_path / "x64", "x64", "tpx", str(mp_source), None)
    shutil.copyfile(tmp_path / "x64" / "tpx.mpy", mount / "tpx.mpy")
    n_in = int(np.prod(graph.tensors[graph.inputs[0]].shape))
    (mount / "tp_run.py").write_text(BOARD_ERRORS.format(n_in=n_in))
    lines = [ln for ln in run_on_micropython(qemu_micropython, None, mount).splitlines()
             if ln.startswith(("ERR", "LOADED"))]
    assert len(lines) == 3, lines
    assert "incompatible .mpy" in lines[0]
    assert lines[1].startswith("ERR ValueError predict") and str(n_in) in lines[1]
    assert lines[2].startswith("ERR TypeError predict")
