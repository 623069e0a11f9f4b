"""Atheris harness for the Python readers of untrusted files: .tflite (sdk/frontends/tflite.py),
.tpm (sdk/ir/serialize.py) and HDF5 recordings (sdk/radar/recording.py).

Reader ``tpm`` takes the input as the whole archive; most mutations of it stop at the zip
CRC, so reader ``tpm_json`` takes it as the archive's graph.json beside a valid model's arrays,
which reaches the graph's validation.

Property, for any byte string: the reader returns its object (a Graph, a Recording) or raises
a :class:`sdk.errors.TinypruneError` subclass with a one-line message; any other exception is
a finding, and so is an input that runs longer than libFuzzer's ``-timeout``. HDF5 inputs are
read as the CLI reads them, in a child process with time and memory limits
(sdk/untrusted_h5.py); one that hits a limit answers with its one-line error.

    python tests/fuzz_readers.py seeds <reader> <folder>      # small valid files
    python tests/fuzz_readers.py fuzz <reader> [libFuzzer options] <corpus folder>

Used by tests/sdk/test_fuzz_readers.py (short runs) and docs/reliability.md (long runs).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

READERS = ("tflite", "tpm", "tpm_json", "h5")
# The h5 reader's time limit per input, below libFuzzer's -timeout (10 s in the tests and docs).
H5_SECONDS = 1.0


def write_seeds(reader: str, folder: Path) -> int:
    """Write small valid files for ``reader`` into ``folder``; returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = {"tflite": _tflite_seeds, "tpm": _tpm_seeds, "tpm_json": _graph_json_seeds,
             "h5": _h5_seeds}[reader](folder)
    return len(seeds)


def _model_arrays(folder: Path) -> list[dict[str, np.ndarray]]:
    """The arrays of each .tpm seed, graph.json included."""
    out = []
    for p in _tpm_seeds(folder)[:2]:
        with np.load(p, allow_pickle=False) as npz:
            out.append({k: npz[k] for k in npz.files})
        p.unlink()
    return out


def _graph_json_seeds(folder: Path) -> list[Path]:
    paths = []
    for i, arrays in enumerate(_model_arrays(folder)):
        paths.append(folder / f"graph{i}.json")
        paths[-1].write_bytes(arrays["graph.json"].tobytes())
    for p in folder.glob("*.tpm"):
        p.unlink()
    return paths


def _tflite_seeds(folder: Path) -> list[Path]:
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

    from tflite_builder import TinyModel

    rng = np.random.default_rng(0)
    m = TinyModel()
    x = m.tensor((1, 5, 4, 2), scale=0.05, zero_point=3)
    w = m.tensor((3, 3, 3, 2), scale=[0.01, 0.02, 0.03], data=rng.integers(-127, 127, (3, 3, 3, 2)))
    b = m.tensor((3,), "int32", scale=[5e-4, 1e-3, 1.5e-3], data=rng.integers(-400, 400, 3))
    y = m.tensor((1, 5, 4, 3), scale=0.03, zero_point=-128)
    m.op(fb.BuiltinOperator.CONV_2D, [x, w, b], [y], fb.BuiltinOptions.Conv2DOptions,
         m.conv_options(1, "same", "relu"))
    z = m.tensor((1, 3, 2, 3), scale=0.03, zero_point=-128)
    m.op(fb.BuiltinOperator.MAX_POOL_2D, [y], [z], fb.BuiltinOptions.Pool2DOptions,
         m.pool_options(2, 2, "same"))
    f = TinyModel()
    fx = f.tensor((1, 6), "float32")
    fw = f.tensor((2, 6), "float32", data=rng.normal(size=(2, 6)))
    fy = f.tensor((1, 2), "float32")
    f.op(fb.BuiltinOperator.FULLY_CONNECTED, [fx, fw, -1], [fy])
    paths = [folder / "conv_pool_s8.tflite", folder / "dense_f32.tflite"]
    paths[0].write_bytes(m.to_bytes([x], [z]))
    paths[1].write_bytes(f.to_bytes([fx], [fy]))
    return paths


def _tpm_seeds(folder: Path) -> list[Path]:
    from graphs import GraphBuilder
    from int8_graphs import quantize_randomly
    from sdk.ir.serialize import save_model

    b = GraphBuilder("fuzz", (1, 6, 5, 2), 0)
    x = b.pool(b.conv("input", 3, activation="relu"), "MaxPool2D")
    graph = b.finish(b.softmax(b.dense(b.flatten(x), 3)))
    paths = [save_model(graph, folder / "float.tpm"),
             save_model(quantize_randomly(graph, 0), folder / "int8.tpm")]
    # The same archives stored uncompressed: mutations then reach graph.json and the arrays.
    for p in list(paths):
        with np.load(p, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        paths.append(folder / f"{p.stem}_stored.tpm")
        paths[-1].write_bytes(buf.getvalue())
    return paths


def _h5_seeds(folder: Path) -> list[Path]:
    from host.cli_stream import simulated_recording
    from sdk.radar.recording import load_recording, save_recording

    path = simulated_recording(folder / "swipe.h5", "swipe", seed=1)
    rec = load_recording(path)
    rec.data, rec.sample_times = rec.data[:4], rec.sample_times[:4]
    if rec.labels is not None:
        rec.labels = rec.labels[:4]
    save_recording(folder / "short.h5", rec, overwrite=True)
    return [path, folder / "short.h5"]


def _check_one_line(exc: BaseException) -> None:
    text = str(exc)
    if not text.strip() or "\n" in text.strip():
        raise AssertionError(f"{type(exc).__name__} message is not one line: {text!r}")


def _h5_within_limits(path: Path, data: bytes) -> bool:
    """Read ``data`` as a recording the way the CLI does (a child process with time and memory
    limits, sdk/untrusted_h5.py): False if it hit a limit, which is the one-line answer a
    corrupt file should give; any other exception is raised as a finding."""
    from sdk.errors import TinypruneError
    from sdk.radar.recording import load_recording
    from sdk.untrusted_h5 import IsolatedReadError, run_isolated

    path.write_bytes(data)
    try:
        run_isolated(load_recording.__wrapped__, path, seconds=H5_SECONDS)
    except IsolatedReadError as exc:
        _check_one_line(exc)
        return False
    except TinypruneError as exc:
        _check_one_line(exc)
    return True


def _target(reader: str) -> Callable[[bytes], None]:
    """The fuzz target: write the bytes to a file and read it back with ``reader``."""
    import atheris

    with atheris.instrument_imports(include=["sdk"]):
        from sdk.frontends.tflite import load_tflite
        from sdk.ir.graph import Graph
        from sdk.ir.serialize import load_model
        from sdk.radar.recording import Recording, load_recording
    from sdk.errors import TinypruneError

    if reader == "h5":
        # The isolated reader's child process is invisible to coverage: read in-process what
        # it read within its limits (F1 and F2 of docs/reliability.md would stop the fuzzer).
        load_recording = load_recording.__wrapped__

    load: dict[str, tuple[Callable[[Path], Any], type]] = {
        "tflite": (load_tflite, Graph), "tpm": (load_model, Graph),
        "tpm_json": (load_model, Graph), "h5": (load_recording, Recording)}
    read, kind = load[reader]
    scratch = Path(tempfile.mkdtemp(prefix="tp_fuzz_", dir="/dev/shm" if os.path.isdir(
        "/dev/shm") else None))
    path = scratch / f"input.{reader.split('_')[0]}"
    arrays = _model_arrays(scratch)[1] if reader == "tpm_json" else {}

    def one(data: bytes) -> None:
        if reader == "h5" and not _h5_within_limits(path, data):
            return
        if reader == "tpm_json":
            arrays["graph.json"] = np.frombuffer(data, np.uint8)
            buf = io.BytesIO()
            np.savez(buf, **arrays)
            data = buf.getvalue()
        path.write_bytes(data)
        try:
            got = read(path)
        except TinypruneError as exc:
            _check_one_line(exc)
            return
        if not isinstance(got, kind):
            raise AssertionError(f"{reader}: returned {type(got).__name__}, not {kind.__name__}")

    return one


def main(argv: list[str]) -> int:
    """``seeds <reader> <folder>`` or ``fuzz <reader> [libFuzzer arguments]``."""
    if len(argv) < 2 or argv[0] not in ("seeds", "fuzz") or argv[1] not in READERS:
        print(f"usage: fuzz_readers.py seeds|fuzz {{{','.join(READERS)}}} ...", file=sys.stderr)
        return 2
    if argv[0] == "seeds":
        print(write_seeds(argv[1], Path(argv[2])))
        return 0
    import atheris

    atheris.Setup([sys.argv[0], *argv[2:]], _target(argv[1]))
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
