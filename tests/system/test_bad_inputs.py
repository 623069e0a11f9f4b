"""The bad-input corpus: truncations, byte flips, semantic faults, non-finite values and bad
options across inspect, build, run, quantize, convert, data and train.

Every case runs the CLI in-process (``host.cli.main`` with captured stdout and stderr) and
asserts: exit 1, exactly one ``error:`` line naming the file or option, no traceback, no
temporary file left, nothing written. A byte flip or truncation the format cannot detect (a
byte inside float weights, an unused byte) may succeed instead, but only when the result is the
seed's graph with other constant values: the case says so explicitly, never silently.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import bad_input_seeds as seeds
import numpy as np
import pytest

from host.cli import main
from mlperf_tiny import AD, KWS, MODELS_DIR
from sdk.frontends.load import load_any
from sdk.ir import Graph

MODEL_SEEDS = ("float.tpm", "int8.tpm", "float.tflite", "int8.tflite")
# The shared MLPerf Tiny models join the corpus where ../shared exists (the development checkout).
SHARED_SEEDS = tuple(name for name in (KWS, AD) if (MODELS_DIR / name).is_file())
LEFTOVER_PATTERNS = ("*.tmp*", ".tp-*", "*.partial")
# Fuzzer finds that crash libhdf5 or make it allocate gigabytes (docs/reliability.md F2, F3;
# F1, a 10 s hang, is in tests/sdk/test_untrusted_h5.py).
LIBHDF5_FINDINGS = ("h5_chunk_allocation.h5", "h5_segfault.h5")
FUZZ_VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "fuzz"


@dataclass(frozen=True)
class Case:
    """One corpus case: how to make the input (``family``, ``seed``, ``fault``) and the command
    (``command``: a key of :data:`COMMANDS`, or the literal arguments of an option case)."""

    family: str
    seed: str
    fault: str
    command: str | tuple[str, ...]

    @property
    def id(self) -> str:
        cmd = self.command if isinstance(self.command, str) else "opt"
        return f"{self.family}-{self.seed}-{self.fault}-{cmd}"


# command name -> argument template; {f} is the bad file, {o} a fresh output, {s} the seeds.
COMMANDS: dict[str, tuple[str, ...]] = {
    "inspect": ("inspect", "{f}"),
    "inspect-json": ("inspect", "{f}", "--json"),
    "convert": ("convert", "{f}", "--out", "{o}.tflite"),
    "quantize": ("quantize", "{f}", "--calib", "{s}/calib.npy", "--out", "{o}.tpm"),
    "build": ("build", "{f}", "--board", "host", "--out", "{o}"),
    "run": ("run", "{f}", "--board", "host", "--out", "{o}", "--input", "{s}/x.npy"),
    "info": ("data", "info", "{f}"),
    "info-json": ("data", "info", "{f}", "--json"),
    "show": ("data", "show", "{f}", "--out", "{o}.png"),
    "train": ("train", "--data", "{f}", "--out", "{o}.tpm", "--epochs", "1"),
    "synth-stream": ("data", "synth-stream", "--dataset", "{f}", "--out", "{o}.h5",
                     "--seconds", "2"),
    "stream": ("run", "{s}/float.tpm", "--board", "host", "--data", "{f}", "--out", "{o}"),
    "stream-msp430": ("run", "{s}/int8.tpm", "--board", "msp430fr6989", "--data", "{f}",
                      "--out", "{o}"),
    "pack": ("data", "pack", "{f}", "{s}/rec1.h5", "{s}/rec2.h5", "--out", "{o}.h5"),
    "calibrate": ("data", "calibrate", "{f}", "--out", "{o}.json"),
    "compare": ("data", "compare", "{s}/rec.h5", "{f}", "--plot", "{o}.png"),
    "calib": ("quantize", "{s}/float.tpm", "--calib", "{f}", "--out", "{o}.tpm"),
    "input": ("run", "{s}/float.tpm", "--board", "host", "--out", "{o}", "--input", "{f}"),
    "prune": ("prune", "{f}", "--method", "l1_filter", "--amount", "0.5", "--out", "{o}.tpm"),
    "prune-sweep": ("prune", "sweep", "--data", "{f}", "--methods", "magnitude", "--amounts",
                    "0.5", "--out", "{o}"),
    "ber": ("ber", "sweep", "{f}", "--data", "{s}/data.h5", "--rates", "0", "--trials", "1",
            "--out", "{o}"),
    "ber-data": ("ber", "sweep", "{s}/binary.tpm", "--data", "{f}", "--rates", "0",
                 "--trials", "1", "--out", "{o}"),
}
MODEL_COMMANDS = ("inspect", "convert", "quantize", "build", "run", "prune")
DATA_COMMANDS = ("info", "show", "train", "synth-stream")


def _model_commands(seed: str) -> tuple[str, ...]:
    return MODEL_COMMANDS if seed.startswith("float") else ("inspect", "convert", "build", "run",
                                                              "prune")


def _cases() -> list[Case]:
    cases: list[Case] = []
    for fault, (seed, _) in seeds.TPM_FAULTS.items():
        cases += [Case("tpm", seed, fault, c) for c in _model_commands(seed)]
    for fault, (seed, _) in seeds.TFLITE_FAULTS.items():
        cases += [Case("tflite", seed, fault, c) for c in _model_commands(seed)]
    for fault, (seed, _) in seeds.H5_FAULTS.items():
        commands = ((*DATA_COMMANDS, "prune-sweep") if seed == "data.h5"
                    else ("info", "show", "stream", "stream-msp430", "pack", "calibrate",
                          "compare"))
        cases += [Case("h5", seed, fault, c) for c in commands]
    for fault in seeds.A121_FAULTS:
        cases += [Case("h5", "a121.h5", fault, c) for c in ("info", "info-json", "calibrate")]
    for seed in MODEL_SEEDS:
        for i in range(24):
            for command in ("inspect", "convert") if i % 3 else _model_commands(seed):
                cases.append(Case("cut", seed, f"{i}/24", command))
        for i in range(40):
            cases.append(Case("flip", seed, f"{i}/40", "inspect-json"))
    for seed in SHARED_SEEDS:
        cases += [Case("cut", seed, f"{i}/16", "inspect") for i in range(16)]
        cases += [Case("flip", seed, f"{i}/24", "inspect-json") for i in range(24)]
    for i in range(24):
        for command in ("info", "show") if i % 4 else DATA_COMMANDS:
            cases.append(Case("cut", "data.h5", f"{i}/24", command))
        cases += [Case("cut", "rec.h5", f"{i}/24", c) for c in ("info", "stream")]
        if i % 3 == 0:
            cases += [Case("cut", "rec.h5", f"{i}/24", c)
                      for c in ("pack", "calibrate", "compare", "stream-msp430")]
    for i in range(40):
        cases.append(Case("flip", "data.h5", f"{i}/40", "info-json"))
    for offset in range(0, 1024, 32):  # the HDF5 superblock and the root group's header
        cases += [Case("flip", seed, f"@{offset}", "info-json") for seed in ("data.h5", "rec.h5")]
    for i in range(12):
        cases.append(Case("cut", "a121.h5", f"{i}/12", "info-json"))
        cases.append(Case("flip", "a121.h5", f"{i}/12", "info-json"))
    for name in ARRAY_FAULTS:
        cases.append(Case("npy", "calib", name, "calib"))
        if not name.startswith("labels"):
            cases.append(Case("npy", "input", name, "input"))
    for i in range(8):
        for target in ("calib.npy", "x.npy"):
            cases.append(Case("cut", target, f"{i}/8", "calib" if target == "calib.npy"
                              else "input"))
    for i in range(8):  # ber sweep: a cut binary model, a cut dataset
        cases.append(Case("cut", "binary.tpm", f"{i}/8", "ber"))
        cases.append(Case("cut", "data.h5", f"{i}/8", "ber-data"))
    for name in LIBHDF5_FINDINGS:
        cases += [Case("libhdf5", name, "fuzz", c) for c in ("info", "show", "train", "stream")]
    cases += [Case("option", "-", str(i), args) for i, args in enumerate(OPTION_CASES)]
    return cases


def _x(*shape: int, fill: float | None = None, dtype=np.float32) -> np.ndarray:
    x = np.random.default_rng(1).normal(size=shape).astype(dtype)
    if fill is not None:
        x.flat[len(x.flat) // 2] = fill
    return x


def _calib_array(shape_tail: tuple[int, ...], fill: float | None = None, dtype=np.float32):
    return _x(4, *shape_tail, fill=fill, dtype=dtype)


# name -> array written as the .npy (inputs) or the calibration set (batch of 4); labels as .npz
ARRAY_FAULTS: dict[str, object] = {
    "nan": lambda batch: _x(*batch, 12, 10, 3, fill=np.nan),
    "inf": lambda batch: _x(*batch, 12, 10, 3, fill=np.inf),
    "neg-inf": lambda batch: _x(*batch, 12, 10, 3, fill=-np.inf),
    "float64-huge": lambda batch: _x(*batch, 12, 10, 3, fill=1e300, dtype=np.float64),
    "shape": lambda batch: _x(*batch, 10, 12, 3),
    "rank": lambda batch: _x(12, 10),
    "channels": lambda batch: _x(*batch, 12, 10, 4),
    "complex": lambda batch: _x(*batch, 12, 10, 3).astype(np.complex64),
    "strings": lambda batch: np.array(["a", "b"]),
    "empty": lambda batch: np.zeros((0, 12, 10, 3), np.float32),
    "bool": lambda batch: np.ones((*batch, 12, 10, 3), bool),
    "npz": "npz",
    "labels-high": "high",
    "labels-negative": "negative",
    "labels-float": "float",
    "labels-count": "count",
}


def _write_array(case: Case, folder: Path) -> Path:
    make = ARRAY_FAULTS[case.fault]
    batch = (4,) if case.seed == "calib" else ()
    if make == "npz":
        path = folder / "bad.npz"
        np.savez(path, z=_x(*batch, 12, 10, 3))
        return path
    if isinstance(make, str):
        x = _x(4, 12, 10, 3)
        y = {"high": np.array([0, 1, 2, 5]), "negative": np.array([0, -1, 2, 3]),
             "float": np.array([0.0, 1.0, 2.0, 3.0]), "count": np.array([0, 1, 2])}[make]
        path = folder / "bad.npz"
        np.savez(path, x=x, y=y)
        return path
    path = folder / "bad.npy"
    np.save(path, make(batch))  # type: ignore[operator]
    return path


def _make_input(case: Case, seed_dir: Path, folder: Path) -> Path:
    if case.family == "tpm":
        name, fault = seeds.TPM_FAULTS[case.fault]
        return seeds.tpm_fault(seed_dir / name, fault, folder / f"bad{Path(name).suffix}")
    if case.family == "tflite":
        name, fault = seeds.TFLITE_FAULTS[case.fault]
        return seeds.tflite_fault(seed_dir / name, fault, folder / "bad.tflite")
    if case.family == "h5":
        name, fault = {**seeds.H5_FAULTS, **seeds.A121_FAULTS}[case.fault]
        return seeds.h5_fault(seed_dir / name, fault, folder / "bad.h5")
    if case.family == "npy":
        return _write_array(case, folder)
    if case.family == "libhdf5":
        out = folder / "bad.h5"
        out.write_bytes((FUZZ_VECTORS / case.seed).read_bytes())
        return out
    data = (seed_dir / case.seed).read_bytes()
    out = folder / f"bad{Path(case.seed).suffix}"
    if case.fault.startswith("@"):
        at = int(case.fault[1:])
    else:
        i, n = map(int, case.fault.split("/"))
        at = int(len(data) * (i if case.family == "cut" else i + 0.5) / n)
    if case.family == "cut":
        out.write_bytes(data[:at])
    else:
        spoilt = bytearray(data)
        spoilt[at] ^= 0x5A
        out.write_bytes(bytes(spoilt))
    return out


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``tinyprune ARGS`` in-process: (exit status, stdout, stderr). An exception escaping
    ``main`` is a traceback the user would see, so it fails the case."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["tinyprune", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - a traceback is exactly what the corpus looks for
        pytest.fail(f"traceback for tinyprune {' '.join(args)}: {type(exc).__name__}: {exc}")
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seeds")
    made = seeds.make_seeds(folder)
    for name in SHARED_SEEDS:
        (folder / name).write_bytes((MODELS_DIR / name).read_bytes())
    for name in MODEL_SEEDS:  # every seed is valid, so each fault is the only one
        load_any(made[name]).validate()
    return folder


def _structure(graph: Graph) -> tuple:
    return (graph.inputs, graph.outputs,
            [(op.type, op.inputs, op.outputs, sorted((k, str(v)) for k, v in op.attrs.items()))
             for op in graph.ops],
            {n: (t.shape, t.dtype, t.is_constant) for n, t in graph.tensors.items()})


def _accepted_kind(case: Case, seed_dir: Path, bad: Path, stdout: str) -> str:
    """What an accepted flip or cut changed: 'identical' or 'values'; anything else fails."""
    if case.seed.endswith(".h5"):
        original = json.loads(run_cli(["data", "info", str(seed_dir / case.seed), "--json"])[1])
        changed = json.loads(stdout)
        original["path"] = changed["path"]
        assert changed == original, f"{case.id}: accepted with a different summary"
        return "identical"
    a, b = load_any(seed_dir / case.seed), load_any(bad)
    assert _structure(a) == _structure(b), f"{case.id}: accepted with another graph structure"
    same = all(np.array_equal(t.data, b.tensors[n].data) for n, t in a.tensors.items()
               if t.data is not None)
    return "identical" if same else "values"


def _leftovers(folder: Path) -> list[Path]:
    return [p for pattern in LEFTOVER_PATTERNS for p in folder.rglob(pattern)]


# Options checked before any work; {o}: a fresh output path, {s}: the seeds, {t}: the case folder.
OPTION_CASES: list[tuple[str, ...]] = [
    *[("data", "synth", "--out", "{o}.h5", "--per-class", v) for v in ("0", "-1", "-100")],
    *[("data", "synth-stream", "--out", "{o}.h5", "--seconds", v)
      for v in ("0", "-1", "0.01", "1e-9", "nan", "inf", "-inf")],
    *[("data", "synth-stream", "--out", "{o}.h5", opt, "-1")
      for opt in ("--index", "--session", "--seed")],
    ("data", "synth", "--out", "{o}.h5", "--seed", "-1"),
    ("train", "--data", "{s}/data.h5", "--out", "{o}.tpm", "--seed", "-3"),
    ("demo", "--out", "{o}", "--seed", "-1"),
    *[("export", "{s}/float.tpm", "--out", "{o}", "--prefix", v) for v in ("", "1 bad", "a-b")],
    *[("quantize", "{s}/float.tpm", "--calib", "{s}/calib.npy", "--out", "{o}.tpm",
       "--percentile", v) for v in ("0", "-1", "100.5", "nan", "inf", "-inf", "1e9")],
    *[("train", "--data", "{s}/data.h5", "--out", "{o}.tpm", opt, v)
      for opt in ("--epochs", "--patience") for v in ("0", "-2")],
    *[("train", "--data", "{s}/data.h5", "--out", "{o}.tpm", opt, v)
      for opt, v in (("--background-class", "nope"), ("--threshold", "1.5"),
                     ("--threshold", "-0.1"), ("--threshold", "nan"), ("--consecutive", "0"),
                     ("--consecutive", "300"), ("--refractory-s", "-1"),
                     ("--refractory-s", "nan"))],
    *[("data", "show", "{s}/data.h5", "--out", "{o}.png", "--per-class", v) for v in ("0", "-1")],
    *[("demo", "--out", "{o}", opt, v) for opt in ("--per-class", "--epochs") for v in ("0", "-5")],
    # --out a folder, or in a folder that does not exist
    *[(*cmd, "--out", out) for out in ("{t}", "{t}/missing/x")
      for cmd in (("convert", "{s}/float.tpm"), ("quantize", "{s}/float.tpm", "--calib",
                                                   "{s}/calib.npy"),
                  ("data", "synth"), ("data", "synth-stream"), ("data", "show", "{s}/data.h5"),
                  ("train", "--data", "{s}/data.h5"))],
    ("build", "{s}/float.tpm", "--board", "host", "--out", "{s}/x.npy"),
    # a folder `build` did not make is replaced only with --force
    ("build", "{s}/float.tpm", "--board", "host", "--out", "{s}"),
    ("run", "{s}/float.tpm", "--board", "host", "--out", "{t}/missing/w"),
    ("export", "{s}/float.tpm", "--out", "{s}/x.npy"),
    *[("export", "{s}/int8.tpm", "--out", "{o}", "--micropython", *opt)
      for opt in (("--arch", "armv6"), ("--heap-bytes", "0"), ("--prefix", "a-b"),
                  ("--micropython-source", "{t}/none.tar.gz"),
                  ("--micropython-source", "{s}/x.npy"))],
    ("micropython", "run", "{s}/int8.tpm", "--frames", "0"),
    ("micropython", "run", "{s}/int8.tpm", "--micropython-board", "MPS2_AN999"),
    ("micropython", "run", "{s}/int8.tpm", "--data", "{t}/none.h5"),
    ("micropython", "run", "{s}/int8.tpm", "--data", "{s}/rec.h5"),
    ("micropython", "run", "{s}/int8.tpm", "--micropython-source", "{t}/none.tar.gz"),
    ("micropython", "run", "{s}/int8.tpm", "--out", "{s}/x.npy"),
    ("demo", "--out", "{s}/x.npy"),
    # an existing file is never replaced without --force
    ("convert", "{s}/float.tpm", "--out", "{s}/float.tflite"),
    ("quantize", "{s}/float.tpm", "--calib", "{s}/calib.npy", "--out", "{s}/int8.tpm"),
    ("data", "synth", "--out", "{s}/data.h5"),
    ("data", "synth-stream", "--out", "{s}/rec.h5"),
    ("data", "show", "{s}/data.h5", "--out", "{s}/x.npy"),
    ("train", "--data", "{s}/data.h5", "--out", "{s}/float.tpm"),
    # wrong suffixes, missing inputs, unknown choices
    ("convert", "{s}/float.tpm", "--out", "{o}.tpm"),
    ("quantize", "{s}/float.tpm", "--calib", "{s}/calib.npy", "--out", "{o}.onnx"),
    ("inspect", "{s}/model.onnx"),
    ("inspect", "{t}/nothing.tpm"),
    ("inspect", "{t}"),
    ("run", "{s}/float.tpm", "--board", "host", "--out", "{o}", "--input", "{t}/none.npy"),
    ("run", "{s}/float.tpm", "--board", "host", "--out", "{o}", "--input", "{t}"),
    ("run", "{s}/float.tpm", "--board", "host", "--out", "{o}", "--data", "{t}/none.h5"),
    ("build", "{s}/float.tpm", "--board", "pdp11", "--out", "{o}"),
    ("build", "{s}/float.tpm", "--board", "host", "--app", "bogus", "--out", "{o}"),
    # the MSP430's q15 preprocessing feeds int8 models only
    ("build", "{s}/float.tpm", "--board", "msp430fr6989", "--app", "gesture", "--out", "{o}"),
    ("run", "{s}/float.tpm", "--board", "msp430fr6989", "--out", "{o}", "--data", "{s}/rec.h5"),
    ("run", "{s}/int8.tpm", "--board", "msp430fr6989", "--out", "{o}", "--data", "{t}/none.h5"),
    ("quantize", "{s}/float.tpm", "--calib", "{t}/none.npy", "--out", "{o}.tpm"),
    ("quantize", "{s}/int8.tpm", "--calib", "{s}/calib.npy", "--out", "{o}.tpm"),
    ("train", "--data", "{t}/none.h5", "--out", "{o}.tpm"),
    ("train", "--model", "no_such_net", "--data", "{s}/data.h5", "--out", "{o}.tpm"),
    ("data", "info", "{t}/none.h5"),
    ("data", "info", "{s}/x.npy"),
    ("data", "show", "{s}/float.tpm", "--out", "{o}.png"),
    ("data", "synth-stream", "--dataset", "{s}/rec.h5", "--out", "{o}.h5"),
    # data info's recording options, data pack's options and inputs
    *[("data", "info", "{s}/rec.h5", opt, v) for opt, v in (("--sensor", "0"), ("--sensor", "2"),
                                                             ("--session", "-1"), ("--group", "-1"))],
    *[("data", "pack", "{s}/rec.h5", "{s}/rec1.h5", "{s}/rec2.h5", "--out", "{o}.h5", *extra)
      for extra in (("--seed", "-1"), ("--sensor", "0"), ("--sensor", "4"), ("--label-pattern", "("),
                    ("--label-pattern", "(?P<x>rec)"), ("--label-pattern", "(?P<label>nomatch)"),
                    ("--classes", ",a"), ("--classes", "a,a"), ("--classes", "swipe"),
                    ("--test-session", "nope"), ("--intervals", "{t}/none.csv"),
                    ("--intervals", "{s}/x.npy"), ("--segment-against", "{s}/rec1.h5"),
                    ("--segment-against", "{t}/none.h5", "--label-pattern", "(?P<label>rec)"),
                    ("--background-class", " "), ("--window-sweeps", "0"), ("--window-sweeps", "1"),
                    ("--hop", "0"), ("--hop", "21"), ("--depth-bins", "0"),
                    ("--depth-bins", "999"), ("--context-frames", "0"))],
    ("data", "pack", "{s}/rec.h5", "--out", "{o}.h5"),  # one session cannot fill three splits
    ("data", "pack", "{s}/data.h5", "--out", "{o}.h5"),
    ("data", "pack", "{s}/float.tpm", "--out", "{o}.h5"),
    ("data", "pack", "{t}/none.h5", "--out", "{o}.h5"),
    ("data", "pack", "{s}/rec.h5", "--out", "{t}"),
    ("data", "pack", "{s}/rec.h5", "--out", "{t}/missing/x.h5"),
    ("data", "pack", "{s}/rec.h5", "{s}/rec1.h5", "{s}/rec2.h5", "--out", "{s}/data.h5"),
    # capture and profile: checked before any device or emulator is touched
    *[("capture", "--port", "socket://127.0.0.1:9", "--label", "swipe", "--out", "{o}.h5", opt, v)
      for opt, v in (("--sweeps", "0"), ("--sweeps", "-1"), ("--timeout", "0"),
                     ("--timeout", "nan"), ("--timeout", "-inf"))],
    ("capture", "--port", "socket://127.0.0.1:9", "--label", "swipe", "--out", "{t}"),
    ("profile", "{s}/float.tpm", "--data", "{t}/none.h5", "--chart", "{o}.png"),
    ("profile", "{s}/float.tpm", "--chart", "{t}", "--out", "{o}"),
    ("profile", "{s}/float.tpm", "--chart", "{t}/missing/c.png", "--out", "{o}"),
    ("profile", "{s}/float.tpm", "--chart", "{o}.png", "--out", "{s}/x.npy"),
    # prune: amounts outside [0, 1), a layer left without channels, bad methods and targets
    *[("prune", "{s}/float.tpm", "--method", m, "--amount", v, "--out", "{o}.tpm")
      for m in ("magnitude", "l1_filter") for v in ("1", "1.5", "-0.1", "nan", "inf")],
    ("prune", "{s}/int8.tpm", "--method", "l1_filter", "--amount", "0.99", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "bogus", "--amount", "0.5", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "l1_filter", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "l1_filter", "--amount", "0.5", "--target-macs", "99",
     "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "magnitude", "--target-macs", "99", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "l1_filter", "--target-macs", "1", "--out", "{o}.tpm"),
    *[("prune", "{s}/float.tpm", "--method", "l1_filter", "--target-macs", v, "--out", "{o}.tpm")
      for v in ("0", "-5")],
    ("prune", "{s}/float.tpm", "--method", "bn_scale", "--amount", "0.5", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "magnitude", "--amount", "0.5", "--retrain-epochs",
     "2", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "magnitude", "--amount", "0.5", "--retrain-epochs",
     "-1", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "magnitude", "--amount", "0.5", "--data",
     "{t}/none.h5", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "magnitude", "--amount", "0.5", "--out", "{o}.onnx"),
    ("prune", "{s}/float.tpm", "--method", "magnitude", "--amount", "0.5", "--out",
     "{s}/int8.tpm"),
    ("prune", "{s}/float.tpm", "--method", "magnitude", "--amount", "0.5", "--out", "{t}"),
    ("prune", "{t}/nothing.tpm", "--method", "magnitude", "--amount", "0.5", "--out", "{o}.tpm"),
    *[("prune", "sweep", "--data", "{s}/data.h5", "--amounts", v, "--out", "{o}")
      for v in ("1:2", "0.9:0.5", "abc", "0.5,1.0", "0.5:0.9:0", "0.1:0.2:3:4", "-0.5", "nan")],
    *[("prune", "sweep", "--data", "{s}/data.h5", *opt, "--out", "{o}")
      for opt in (("--methods", "magnitude,bogus"), ("--seeds", "-1"), ("--seeds", "a,b"),
                  ("--model", "no_such_net"), ("--board", "pdp11"), ("--board", "host"),
                  ("--workers", "0"), ("--retrain-epochs", "-1"), ("--dense-epochs", "0"),
                  ("--device-frames", "0"), ("--model", "mnist_cnn"), ("--backend", "slurm"),
                  ("--address", "127.0.0.1:6379"), ("--backend", "ray", "--address", "nonsense"),
                  ("--backend", "ray", "--address", "127.0.0.1:1"),
                  ("--backend", "ray", "--address", "ray://head:10001"))],
    ("prune", "sweep", "--data", "{t}/none.h5", "--out", "{o}"),
    # the architecture search: options checked before the data, then the data
    *[("nas", "--data", "{s}/data.h5", "--out", "{o}", *opt)
      for opt in (("--loss", "mse"), ("--margin", "16"), ("--loss", "hinge", "--margin", "-1"),
                  ("--quantizer", "tanh"), ("--ber-trials", "0"), ("--train-ber", "1.5"),
                  ("--train-ber", "-0.01"), ("--train-ber", "nan"), ("--augment",),
                  ("--objective", "accuracy at ber=1.5"),
                  ("--objective", "speed"), ("--space", "cnn"), ("--board", "host"),
                  ("--board", "pdp11"), ("--trials", "0"), ("--epochs", "0"),
                  ("--frame-rate", "0"), ("--frame-rate", "nan"), ("--reserve", "-1"),
                  ("--seed", "-1"), ("--workers", "0"), ("--backend", "slurm"),
                  ("--address", "127.0.0.1:6379"), ("--backend", "ray", "--address", "x"),
                  ("--enqueue", "c16k3-x"), ("--enqueue", "c20k3s2p"),
                  ("--enqueue", "c16k3s2p-d64-h99"))],
    *[("nas", "--data", data, "--out", "{o}") for data in ("{t}/none.h5", "{s}/x.npy",
                                                              "{s}/data.h5")],
    ("nas", "--data", "{s}/data.h5", "--out", "{s}/x.npy"),
    # prune to a size (binary networks): sizes, options that do not go together, a model that
    # is not binary, a target below what the floor allows
    *[("prune", "{s}/binary.tpm", "--method", "flip_frequency", "--data", "{s}/data.h5",
       "--retrain-epochs", "1", "--out", "{o}.tpm", *opt)
      for opt in (("--to-bytes", "abc"), ("--to-bytes", "0"), ("--to-ops", "-5"),
                  ("--to-ops", "150%"), ("--to-bytes", "0%"), ("--to-bytes", "10"),
                  ("--to-ops", "1"), ("--to-bytes", "50%", "--amount", "0.5"),
                  ("--to-bytes", "50%", "--to-ops", "50%"), ("--to-bytes", "50%", "--floor", "0"),
                  ("--to-bytes", "50%", "--floor", "1.5"), ("--to-bytes", "50%", "--rounds", "0"),
                  ("--to-bytes", "50%", "--retrain-epochs", "0"),
                  ("--to-bytes", "50%", "--data", "{t}/none.h5"))],
    ("prune", "{s}/binary.tpm", "--method", "l1_filter", "--to-bytes", "50%", "--data",
     "{s}/data.h5", "--out", "{o}.tpm"),
    ("prune", "{s}/binary.tpm", "--method", "flip_frequency", "--to-bytes", "50%",
     "--retrain-epochs", "1", "--out", "{o}.tpm"),
    ("prune", "{s}/float.tpm", "--method", "flip_frequency", "--to-bytes", "1000", "--data",
     "{s}/data.h5", "--retrain-epochs", "1", "--out", "{o}.tpm"),
    ("prune", "{s}/binary.tpm", "--method", "flip_frequency", "--to-bytes", "50%", "--data",
     "mnist", "--retrain-epochs", "1", "--out", "{o}.tpm"),
    ("prune", "sweep", "--data", "{s}/x.npy", "--out", "{o}"),
    ("prune", "sweep", "--data", "{s}/data.h5", "--out", "{s}/x.npy"),
    # the simulator's calibration, comparison, profiles and A121 mode
    ("data", "calibrate", "{s}/rec.h5", "--out", "{o}.json", "--seed", "-1"),
    *[("data", "calibrate", "{s}/rec.h5", "--out", out) for out in ("{t}", "{t}/missing/s.json",
                                                                      "{s}/x.npy")],
    *[("data", "calibrate", rec, "--out", "{o}.json") for rec in ("{s}/data.h5", "{t}/none.h5",
                                                                  "{s}/float.tpm", "{s}/x.npy")],
    ("data", "compare", "{s}/rec.h5", "{s}/a121.h5", "--plot", "{o}.png"),
    ("data", "compare", "{s}/rec.h5", "{t}/none.h5", "--plot", "{o}.png"),
    ("data", "compare", "{t}", "{s}/rec.h5", "--plot", "{o}.png"),
    *[("data", "compare", "{s}/rec.h5", "{s}/rec1.h5", "--plot", out)
      for out in ("{t}", "{t}/missing/p.png", "{s}/x.npy")],
    *[("data", "compare", "--sim", v, "{s}/rec.h5", "--plot", "{o}.png")
      for v in ("nope", "{s}/x.npy", "{t}/none.json", "{s}/data.h5")],
    *[("data", "compare", "--sim", "builtin", "{s}/rec.h5", "--plot", "{o}.png", *opt)
      for opt in (("--scenes", "0"), ("--seed", "-1"), ("--class", "empty"))],
    ("data", "compare", "--sim", "default", "{s}/a121.h5", "--plot", "{o}.png"),
    ("data", "compare", "--sim", "builtin", "{t}/none.h5", "--plot", "{o}.png"),
    *[("data", "compare", "{s}/rec.h5", "{s}/rec1.h5", "--plot", "{o}.png", *opt)
      for opt in (("--seed", "1"), ("--scenes", "3"))],
    ("data", "compare", "{s}/rec.h5", "--plot", "{o}.png"),
    *[("data", "synth", "--out", "{o}.h5", "--sim", v) for v in ("nope", "{s}/x.npy",
                                                                  "{s}/x.npy:a111/profile2")],
    *[("data", "synth-stream", "--out", "{o}.h5", "--sim", v) for v in ("nope", "{s}/x.npy")],
    ("data", "synth-stream", "--out", "{o}.h5", "--sim", "default", "--dataset", "{s}/data.h5"),
    *[("data", "synth-a121", "--out", "{o}", *opt)
      for opt in (("--per-class", "0"), ("--sweeps-per-frame", "0"), ("--sweep-rate", "nan"),
                  ("--sweep-rate", "0"), ("--frame-rate", "-1"), ("--frames", "0"),
                  ("--sweeps-per-frame", "64"), ("--seed", "-1"), ("--gestures", "clap"),
                  ("--gestures", ""), ("--subsweep", "1,2"), ("--subsweep", "1,2,3,PROFILE_9"),
                  ("--subsweep", "a,2,3,PROFILE_1"), ("--subsweep", "20,0,3,PROFILE_1"),
                  ("--sim", "{t}/none.json"), ("--sim", "{s}/x.npy"), ("--like", "{s}/rec.h5"),
                  ("--like", "{t}/none.h5"))],
    *[("data", "synth-a121", "--out", out) for out in ("{s}/x.npy", "{t}/missing/d")],
    # train --binary: options that do not go together, unknown choices, wrong data for a model
    *[("train", "--binary", "--data", "{s}/data.h5", "--out", "{o}.tpm", *opt)
      for opt in (("--last", "ternary"), ("--quantizer", "tanh"), ("--model", "gesture_cnn"),
                  ("--model", "bnn_mnist"), ("--int8",), ("--c-preprocess",), ("--lr", "0"),
                  ("--lr", "-1"), ("--lr", "nan"), ("--model", "no_such_net"),
                  ("--train-ber", "2"), ("--train-ber", "-0.5"), ("--train-ber", "nan"))],
    *[("train", "--data", "{s}/data.h5", "--out", "{o}.tpm", *opt)
      for opt in (("--model", "bnn_gesture_msp430"), ("--float-twin",), ("--last", "binary"),
                  ("--quantizer", "approx_sign"), ("--train-ber", "0.01"))],
    ("train", "--data", "mnist", "--out", "{o}.tpm"),
    # train --standardize/--no-standardize: gesture datasets only, not with --binary
    ("train", "--binary", "--data", "mnist", "--standardize", "--out", "{o}.tpm"),
    ("train", "--binary", "--data", "mnist", "--no-standardize", "--out", "{o}.tpm"),
    ("train", "--binary", "--data", "{s}/data.h5", "--standardize", "--out", "{o}.tpm"),
    ("train", "--data", "{t}/none.h5", "--standardize", "--out", "{o}.tpm"),
    ("train", "--data", "{s}/data.h5", "--no-standardize", "--out", "{o}.tpm"),
    ("train", "--data", "{s}/data.h5", "--standardize", "--out", "{s}/float.tpm"),
    ("train", "--binary", "--data", "mnist", "--model", "bnn_gesture_cnn", "--out", "{o}.tpm"),
    ("train", "--binary", "--data", "{t}/none.h5", "--out", "{o}.tpm"),
    ("train", "--binary", "--data", "{s}/data.h5", "--out", "{s}/float.tpm"),
    # train --loss / --margin
    *[("train", "--data", "{s}/data.h5", "--out", "{o}.tpm", *opt)
      for opt in (("--loss", "l2"), ("--loss", "ce", "--margin", "3"), ("--margin", "0"),
                  ("--loss", "hinge", "--margin", "nan"), ("--loss", "hinge", "--margin", "-2"))],
    ("train", "--binary", "--data", "{s}/data.h5", "--out", "{o}.tpm", "--loss", "squared"),
    # ber sweep: models without binary weights, missing files, bad rates and option clashes
    *[("ber", "sweep", model, "--data", "{s}/data.h5", "--out", "{o}")
      for model in ("{s}/float.tpm", "{s}/int8.tpm", "{t}/none.tpm", "{t}", "{s}/x.npy")],
    ("ber", "sweep", "{s}/binary.tpm", "--data", "{t}/none.h5", "--out", "{o}"),
    *[("ber", "sweep", "{s}/binary.tpm", "--data", "{s}/data.h5", "--out", "{o}", *opt)
      for opt in (("--rates", "0:0.1"), ("--rates", "a,b"), ("--rates", "0,2"),
                  ("--rates", "0.1:0:0.01"), ("--rates", "0:0.1:0"), ("--rates", "nan"),
                  ("--rates", ""), ("--trials", "0"), ("--seed", "-1"), ("--frames", "-1"),
                  ("--direction", "11"), ("--workers", "0"),
                  ("--device-frames", "1", "--activations"),
                  ("--device-frames", "1", "--board", "msp430fr6989"),
                  ("--device-frames", "1", "--board", "no_board"), ("--device-frames", "-1"))],
    *[("ber", "sweep", "{s}/binary.tpm", "--data", "{s}/data.h5", "--out", out)
      for out in ("{s}/x.npy", "{t}/missing/b")],
]


CASES = _cases()
FAST_EVERY = 6  # one case in six runs in the fast lane; the whole corpus is marked slow


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=() if i % FAST_EVERY == 0 else pytest.mark.slow)
             for i, c in enumerate(CASES)])
def test_bad_input(case: Case, seed_dir: Path, tmp_path: Path, record_property) -> None:
    out = tmp_path / "out"
    if case.family == "option":
        bad = None
        args = [a.format(o=out, s=seed_dir, t=tmp_path) for a in case.command]
    else:
        bad = _make_input(case, seed_dir, tmp_path)
        template = COMMANDS[str(case.command)]
        args = [a.format(f=bad, o=out, s=seed_dir) for a in template]
    before = {p for p in tmp_path.rglob("*")}
    code, stdout, stderr = run_cli(args)
    assert not _leftovers(tmp_path), f"temporary files left: {_leftovers(tmp_path)}"
    if code == 0 and case.family in ("flip", "cut") and bad is not None:
        kind = _accepted_kind(case, seed_dir, bad, stdout)
        assert kind in ("identical", "values"), kind
        record_property("accepted", kind)  # an undetectable change, counted in --junitxml
        return
    lines = stderr.strip().splitlines()
    assert code == 1, f"exit {code} for {args}: {stdout[-400:]} {stderr[-400:]}"
    assert "Traceback" not in stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    if bad is not None:
        assert bad.name in lines[0], f"the error does not name {bad.name}: {lines[0]}"
    assert {p for p in tmp_path.rglob("*")} == before, "a failing command wrote files"


def test_corpus_size() -> None:
    """The issue's target: at least 800 cases."""
    assert len(CASES) >= 800, len(CASES)


def test_a121_seed_reads(seed_dir: Path) -> None:
    """The A121 seed is valid (each A121 fault is the only one) and preprocessable."""
    code, stdout, stderr = run_cli(["data", "info", str(seed_dir / "a121.h5"), "--json"])
    assert code == 0, stderr
    info = json.loads(stdout)
    assert info["generation"] == "a121" and info["gesture"]["preprocessable"], info


def test_pack_seeds_pack(seed_dir: Path, tmp_path: Path) -> None:
    """The valid seeds pack, so every failing `data pack` case fails for its fault."""
    code, stdout, stderr = run_cli(["data", "pack", *(str(seed_dir / f"rec{s}.h5") for s in ("", "1", "2")),
                                    "--out", str(tmp_path / "ds.h5"), "--json"])
    assert code == 0, stderr
    assert json.loads(stdout)["recordings"] == 3
