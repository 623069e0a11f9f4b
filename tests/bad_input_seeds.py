"""Seed files for the bad-input corpus and the mutations that spoil them.

Every seed is small and valid (the corpus test checks that first); every mutation writes a new
file in a case folder. .tpm faults rewrite graph.json or the arrays inside the archive, .tflite
faults go through the schema's object API, HDF5 faults through h5py, so each fault is exactly
the one named.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import flatbuffers
import h5py
import numpy as np

from binary_graphs import binary_net
from graphs import residual_net
from int8_graphs import int8_residual_net
from sdk.frontends.tflite import _schema
from sdk.frontends.tflite_export import export_tflite
from sdk.ir import save_model
from sdk.radar.dataset import synthesize
from sdk.radar.stream import synth_stream

INPUT_SHAPE = (12, 10, 3)


def make_seeds(folder: Path) -> dict[str, Path]:
    """Write every seed file into ``folder``; returns them by name."""
    folder.mkdir(parents=True, exist_ok=True)
    f, q = residual_net(seed=1), int8_residual_net(seed=2)
    rng = np.random.default_rng(0)
    seeds = {
        "float.tpm": save_model(f, folder / "float.tpm"),
        "int8.tpm": save_model(q, folder / "int8.tpm"),
        "float.tflite": export_tflite(f, folder / "float.tflite"),
        "int8.tflite": export_tflite(q, folder / "int8.tflite"),
        "binary.tpm": save_model(binary_net(seed=3), folder / "binary.tpm"),
    }
    np.save(folder / "x.npy", rng.normal(size=INPUT_SHAPE).astype(np.float32))
    np.save(folder / "calib.npy", rng.normal(size=(8, *INPUT_SHAPE)).astype(np.float32))
    np.savez(folder / "calib.npz", x=rng.normal(size=(8, *INPUT_SHAPE)).astype(np.float32),
             y=rng.integers(0, 5, size=8))
    synthesize(folder / "data.h5", per_class=1, seed=0)
    synth_stream(folder / "rec.h5", seed=0, session_id=10_000, seconds=3.0)
    for i in (1, 2):  # two more sessions: with rec.h5, enough for `data pack` to split
        synth_stream(folder / f"rec{i}.h5", seed=0, session_id=10_000 + i, seconds=3.0)
    write_a121_seed(folder / "a121.h5")
    write_binary_seed(folder / "binary.tpm")
    for name in ("binary.tpm", "x.npy", "calib.npy", "calib.npz", "data.h5", "rec.h5", "rec1.h5", "rec2.h5",
                 "a121.h5"):
        seeds[name] = folder / name
    return seeds


def write_binary_seed(path: Path) -> Path:
    """A small binary network (``bnn_gesture_msp430``, untrained, seeded) exported as
    `tinyprune train --binary` writes it: the model `prune --to-bytes/--to-ops` takes."""
    import torch

    from sdk import zoo
    from sdk.bnn.export import export_binary

    entry = zoo.get("bnn_gesture_msp430")
    torch.manual_seed(0)
    model = entry.factory()
    model.head.low.fill_(-4.0)
    model.head.high.fill_(4.0)
    return save_model(export_binary(model, entry.input_shape, "bnn_gesture_msp430"), path)


def write_a121_seed(path: Path, frames: int = 30, points: int = 40) -> Path:
    """A small valid A121 record in the newer layout (one sweep per frame at 18 Hz, one
    subsweep of ``points`` points), written with h5py as Exploration Tool lays it out."""
    text = h5py.string_dtype("utf-8")
    rng = np.random.default_rng(3)
    config = {"groups": [{"1": {"sweep_rate": None, "frame_rate": 18.0, "sweeps_per_frame": 1,
                                "continuous_sweep_mode": False, "subsweeps": [
                                    {"start_point": 80, "num_points": points, "step_length": 2,
                                     "profile": "PROFILE_3"}]}}], "extended": False}
    meta = {"frame_data_length": points, "sweep_data_length": points, "subsweep_data_offset": [0],
            "subsweep_data_length": [points], "base_step_length_m": 0.0025, "tick_period": 0}
    frame = np.zeros((frames, 1, points), dtype=[("real", "<i2"), ("imag", "<i2")])
    frame["real"] = rng.integers(-300, 300, frame.shape)
    frame["imag"] = rng.integers(-300, 300, frame.shape)
    with h5py.File(path, "w") as h5:
        h5.create_dataset("generation", data="a121", dtype=text)
        h5.create_dataset("server_info", data=json.dumps({"ticks_per_second": 1000000}), dtype=text)
        h5.create_dataset("client_info", data="{}", dtype=text)
        session = h5.create_group("sessions/session_0")
        h5["session"] = h5py.SoftLink("/sessions/session_0")
        session.create_dataset("session_config", data=json.dumps(config), dtype=text)
        entry = session.create_group("group_0/entry_0")
        entry.create_dataset("sensor_id", data=1)
        entry.create_dataset("metadata", data=json.dumps(meta), dtype=text)
        result = entry.create_group("result")
        result.create_dataset("frame", data=frame)
        result.create_dataset("tick", data=1000 + np.arange(frames, dtype=np.int64) * 55556)
        for flag in ("data_saturated", "frame_delayed", "calibration_needed"):
            result.create_dataset(flag, data=np.zeros(frames, bool))
        result.create_dataset("temperature", data=np.full(frames, 25))
    return path


# -- .tpm -------------------------------------------------------------------------------

def _read_tpm(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return json.loads(arrays.pop("graph.json").tobytes().decode()), arrays


def write_tpm(path: Path, doc: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write a .tpm archive as save_model does, without validating it."""
    buf = io.BytesIO()
    blob = np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8)
    np.savez_compressed(buf, **{**arrays, "graph.json": blob})  # type: ignore[arg-type]
    path.write_bytes(buf.getvalue())
    return path


def _tensor(doc: dict, pick: Callable[[dict], bool]) -> dict:
    return next(t for t in doc["tensors"] if pick(t))


def _op(doc: dict, kind: str) -> dict:
    return next(o for o in doc["ops"] if o["type"] == kind)


def _quant(kind: str) -> Callable[[dict], bool]:
    def pick(t: dict) -> bool:
        return bool(t.get("quant")) and (t["constant"] == (kind == "weight")) and \
            (kind != "weight" or t["dtype"] == "int8")
    return pick


def _set(target: dict, key: str, value) -> None:
    target[key] = value


TpmFault = Callable[[dict, dict[str, np.ndarray]], None]


def _scale(kind: str, value: float) -> TpmFault:
    return lambda d, a: _set(_tensor(d, _quant(kind))["quant"], "scale",
                             [value] * len(_tensor(d, _quant(kind))["quant"]["scale"]))


def _zero_point(kind: str, value: int) -> TpmFault:
    return lambda d, a: _set(_tensor(d, _quant(kind))["quant"], "zero_point",
                             [value] * len(_tensor(d, _quant(kind))["quant"]["zero_point"]))


def _weights(fill: float) -> TpmFault:
    def fault(doc: dict, arrays: dict[str, np.ndarray]) -> None:
        name = next(k for k in arrays if k.startswith("data/"))
        arr = arrays[name].copy()
        arr.flat[len(arr.flat) // 2] = fill
        arrays[name] = arr
    return fault


def _wrong_dtype(doc: dict, arrays: dict[str, np.ndarray]) -> None:
    name = next(k for k, v in arrays.items() if k.startswith("data/") and v.dtype == np.int8)
    arrays[name] = arrays[name].astype(np.int32) * 300


def _attr(kind: str, key: str, value) -> TpmFault:
    return lambda d, a: _set(_op(d, kind)["attrs"], key, value)


def _doc(key: str, value) -> TpmFault:
    return lambda d, a: _set(d, key, value)


def _shape(doc: dict, arrays: dict[str, np.ndarray]) -> None:
    t = _tensor(doc, lambda t: not t["constant"] and t["name"] not in doc["inputs"])
    t["shape"] = [1, 99, 99, 99]


def _zero_dim(doc: dict, arrays: dict[str, np.ndarray]) -> None:
    _tensor(doc, lambda t: t["name"] in doc["inputs"])["shape"][1] = 0


def _drop_data(doc: dict, arrays: dict[str, np.ndarray]) -> None:
    del arrays[next(k for k in arrays if k.startswith("data/"))]


def _axis(doc: dict, arrays: dict[str, np.ndarray]) -> None:
    _tensor(doc, _quant("weight"))["quant"]["axis"] = 7


# name -> (seed, fault); every one must be refused by every command that reads models.
TPM_FAULTS: dict[str, tuple[str, TpmFault]] = {
    "stride-zero": ("float.tpm", _attr("Conv2D", "stride", [0, 1])),
    "stride-negative": ("float.tpm", _attr("Conv2D", "stride", [1, -2])),
    "stride-float": ("float.tpm", _attr("Conv2D", "stride", [1.5, 1])),
    "stride-short": ("float.tpm", _attr("Conv2D", "stride", [1])),
    "dilation-zero": ("float.tpm", _attr("Conv2D", "dilation", [0, 0])),
    "padding-negative": ("float.tpm", _attr("Conv2D", "padding", [-1, 0, 0, 0])),
    "padding-code": ("float.tpm", _attr("Conv2D", "padding", "SAME")),
    "pool-kernel-zero": ("float.tpm", _attr("MaxPool2D", "kernel", [0, 2])),
    "activation-unknown": ("float.tpm", _attr("Conv2D", "activation", "gelu")),
    "softmax-beta-zero": ("float.tpm", _attr("Softmax", "beta", 0.0)),
    "softmax-beta-nan": ("float.tpm", _attr("Softmax", "beta", float("nan"))),
    "no-outputs": ("float.tpm", _doc("outputs", [])),
    "no-inputs": ("float.tpm", _doc("inputs", [])),
    "unknown-output": ("float.tpm", _doc("outputs", ["ghost"])),
    "schema-future": ("float.tpm", _doc("schema_version", 99)),
    "format-wrong": ("float.tpm", _doc("format", "onnx")),
    "tensors-not-list": ("float.tpm", _doc("tensors", 7)),
    "ops-not-list": ("float.tpm", _doc("ops", {"a": 1})),
    "weight-nan": ("float.tpm", _weights(float("nan"))),
    "weight-inf": ("float.tpm", _weights(float("inf"))),
    "shape-mismatch": ("float.tpm", _shape),
    "shape-zero": ("float.tpm", _zero_dim),
    "data-missing": ("float.tpm", _drop_data),
    "dtype-unknown": ("float.tpm", lambda d, a: _set(d["tensors"][0], "dtype", "float8")),
    "op-unknown": ("float.tpm", lambda d, a: _set(d["ops"][0], "type", "Conv3D")),
    "attr-missing": ("float.tpm", lambda d, a: d["ops"][0]["attrs"].pop("stride")),
    "op-order": ("float.tpm", lambda d, a: d["ops"].reverse()),
    "scale-zero": ("int8.tpm", _scale("activation", 0.0)),
    "scale-negative": ("int8.tpm", _scale("activation", -0.5)),
    "scale-nan": ("int8.tpm", _scale("activation", float("nan"))),
    "scale-inf": ("int8.tpm", _scale("activation", float("inf"))),
    "scale-huge": ("int8.tpm", _scale("activation", 1e39)),
    "weight-scale-zero": ("int8.tpm", _scale("weight", 0.0)),
    "weight-scale-negative": ("int8.tpm", _scale("weight", -1.0)),
    "weight-scale-huge": ("int8.tpm", _scale("weight", 1e30)),
    "zero-point-high": ("int8.tpm", _zero_point("activation", 200)),
    "zero-point-low": ("int8.tpm", _zero_point("activation", -129)),
    "zero-point-huge": ("int8.tpm", _zero_point("activation", 2**40)),
    "quant-axis": ("int8.tpm", _axis),
    "int32-as-int8": ("int8.tpm", _wrong_dtype),
}


def tpm_fault(seed: Path, fault: TpmFault, out: Path) -> Path:
    """Write ``seed`` with ``fault`` applied to ``out``."""
    doc, arrays = _read_tpm(seed)
    fault(doc, arrays)
    return write_tpm(out, doc, arrays)


# -- .tflite ----------------------------------------------------------------------------

def _model(path: Path):
    fb = _schema()
    return fb, fb.ModelT.InitFromPackedBuf(path.read_bytes(), 0)


def _pack(model) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _first_conv(model):
    sub = model.subgraphs[0]
    return next(op for op in sub.operators
                if op.builtinOptions is not None and hasattr(op.builtinOptions, "strideH"))


def _tfl_stride(value: int):
    return lambda m: setattr(_first_conv(m).builtinOptions, "strideW", value)


def _tfl_dilation(m) -> None:
    _first_conv(m).builtinOptions.dilationHFactor = 0


def _tfl_padding(m) -> None:
    _first_conv(m).builtinOptions.padding = 7


def _tfl_quant(field: str, value):
    def fault(m) -> None:
        def activation(t) -> bool:
            data = m.buffers[t.buffer].data
            return data is None or len(data) == 0
        t = next(t for t in m.subgraphs[0].tensors if t.quantization is not None
                 and t.quantization.scale is not None and activation(t))
        setattr(t.quantization, field, [value] * len(t.quantization.scale))
    return fault


def _tfl_outputs(m) -> None:
    m.subgraphs[0].outputs = []


def _tfl_type(code: int):
    """Declare the first weights as type ``code``: int8 (9) leaves the buffer the wrong size,
    int32 (2) the right size under the wrong type for a float op."""
    def fault(m) -> None:
        t = next(t for t in m.subgraphs[0].tensors if m.buffers[t.buffer].data is not None
                 and len(m.buffers[t.buffer].data))
        t.type = code
    return fault


def _tfl_buffer(m) -> None:
    m.subgraphs[0].tensors[1].buffer = 9999


def _tfl_opcode(m) -> None:
    m.subgraphs[0].operators[0].opcodeIndex = 99


def _tfl_tensor_index(m) -> None:
    op = m.subgraphs[0].operators[0]
    op.inputs = [9999, *list(op.inputs)[1:]]


def _tfl_weight_nan(m) -> None:
    t = next(t for t in m.subgraphs[0].tensors if t.type == 0 and m.buffers[t.buffer].data
             is not None and len(m.buffers[t.buffer].data) >= 4)
    data = np.array(m.buffers[t.buffer].data, dtype=np.uint8)
    data[:4] = np.frombuffer(np.float32(np.nan).tobytes(), np.uint8)
    m.buffers[t.buffer].data = data


def _tfl_activation(m) -> None:
    _first_conv(m).builtinOptions.fusedActivationFunction = 4  # TANH


def _tfl_no_subgraph(m) -> None:
    m.subgraphs = []


TFLITE_FAULTS: dict[str, tuple[str, Callable]] = {
    "stride-zero": ("float.tflite", _tfl_stride(0)),
    "stride-negative": ("float.tflite", _tfl_stride(-1)),
    "dilation-zero": ("float.tflite", _tfl_dilation),
    "padding-code": ("float.tflite", _tfl_padding),
    "no-outputs": ("float.tflite", _tfl_outputs),
    "type-int8": ("float.tflite", _tfl_type(9)),
    "type-int32": ("float.tflite", _tfl_type(2)),
    "buffer-index": ("float.tflite", _tfl_buffer),
    "opcode-index": ("float.tflite", _tfl_opcode),
    "tensor-index": ("float.tflite", _tfl_tensor_index),
    "weight-nan": ("float.tflite", _tfl_weight_nan),
    "activation-tanh": ("float.tflite", _tfl_activation),
    "no-subgraph": ("float.tflite", _tfl_no_subgraph),
    "scale-zero": ("int8.tflite", _tfl_quant("scale", 0.0)),
    "scale-negative": ("int8.tflite", _tfl_quant("scale", -0.25)),
    "scale-nan": ("int8.tflite", _tfl_quant("scale", float("nan"))),
    "scale-inf": ("int8.tflite", _tfl_quant("scale", float("inf"))),
    "zero-point-high": ("int8.tflite", _tfl_quant("zeroPoint", 300)),
    "zero-point-low": ("int8.tflite", _tfl_quant("zeroPoint", -1000)),
}


def tflite_fault(seed: Path, fault: Callable, out: Path) -> Path:
    """Write ``seed`` with ``fault`` applied (object API, repacked) to ``out``."""
    _, model = _model(seed)
    fault(model)
    out.write_bytes(_pack(model))
    return out


# -- HDF5 -------------------------------------------------------------------------------

def _first_rec(h5: h5py.File) -> h5py.Group:
    return h5["recordings"][sorted(h5["recordings"])[0]] if "recordings" in h5 else h5


def _replace(h5: h5py.File, key: str, value) -> None:
    group = _first_rec(h5)
    del group[key]
    group.create_dataset(key, data=value)


def _h5_nan(h5: h5py.File) -> None:
    data = _first_rec(h5)["data"]
    arr = data[()]
    arr.flat[len(arr.flat) // 3] = np.nan
    _replace(h5, "data", arr)


def _h5_inf(h5: h5py.File) -> None:
    arr = _first_rec(h5)["data"][()]
    arr.flat[0] = complex(np.inf, 0)
    _replace(h5, "data", arr)


def _h5_empty(h5: h5py.File) -> None:
    arr = _first_rec(h5)["data"][()]
    _replace(h5, "data", arr[:0])
    for key in ("sample_times", "tinyprune_labels"):
        if key in _first_rec(h5):
            _replace(h5, key, _first_rec(h5)[key][()][:0])


def _h5_no_recordings(h5: h5py.File) -> None:
    for name in list(h5["recordings"]):
        del h5["recordings"][name]


def _h5_labels(value: int):
    def fault(h5: h5py.File) -> None:
        lab = _first_rec(h5)["tinyprune_labels"][()]
        lab[len(lab) // 2] = value
        _replace(h5, "tinyprune_labels", lab)
    return fault


def _h5_dtype(h5: h5py.File) -> None:
    _replace(h5, "data", np.abs(_first_rec(h5)["data"][()]).astype(np.int32))


def _h5_shape(h5: h5py.File) -> None:
    _replace(h5, "data", _first_rec(h5)["data"][()][:, 0])


def _h5_times(h5: h5py.File) -> None:
    t = _first_rec(h5)["sample_times"][()]
    t[3] = np.nan
    _replace(h5, "sample_times", t)


def _h5_drop(key: str):
    return lambda h5: _first_rec(h5).__delitem__(key)


def _h5_header(value: str):
    def fault(h5: h5py.File) -> None:
        del h5["tinyprune_dataset"]
        h5.create_dataset("tinyprune_dataset", data=value, dtype=h5py.string_dtype("utf-8"))
    return fault


H5_FAULTS: dict[str, tuple[str, Callable[[h5py.File], None]]] = {
    "nan-sweep": ("data.h5", _h5_nan),
    "inf-sweep": ("data.h5", _h5_inf),
    "no-sweeps": ("data.h5", _h5_empty),
    "no-recordings": ("data.h5", _h5_no_recordings),
    "label-high": ("data.h5", _h5_labels(9)),
    "label-negative": ("data.h5", _h5_labels(-2)),  # -1 is "no class"
    "data-int32": ("data.h5", _h5_dtype),
    "data-rank": ("data.h5", _h5_shape),
    "times-nan": ("data.h5", _h5_times),
    "no-data": ("data.h5", _h5_drop("data")),
    "no-mode": ("data.h5", _h5_drop("mode")),
    "header-json": ("data.h5", _h5_header("{not json")),
    "header-format": ("data.h5", _h5_header('{"format": 99}')),
    "header-classes": ("data.h5", _h5_header(
        '{"format": 1, "classes": [], "preprocess": {}}')),
    "rec-nan-sweep": ("rec.h5", _h5_nan),
    "rec-no-sweeps": ("rec.h5", _h5_empty),
    "rec-data-int32": ("rec.h5", _h5_dtype),
    "rec-no-data": ("rec.h5", _h5_drop("data")),
}


_ENTRY = "sessions/session_0/group_0/entry_0"


def _a121_set(key: str, value):
    def fault(h5: h5py.File) -> None:
        del h5[key]
        if isinstance(value, str):
            h5.create_dataset(key, data=value, dtype=h5py.string_dtype("utf-8"))
        else:
            h5.create_dataset(key, data=value)
    return fault


def _a121_frame(change: Callable[[np.ndarray], np.ndarray]):
    return lambda h5: _a121_set(f"{_ENTRY}/result/frame", change(h5[f"{_ENTRY}/result/frame"][()]))(h5)


def _a121_ticks(h5: h5py.File) -> None:
    ticks = h5[f"{_ENTRY}/result/tick"][()]
    ticks[5] = ticks[4]
    _a121_set(f"{_ENTRY}/result/tick", ticks)(h5)


def _a121_json(key: str, change: Callable[[dict], dict]):
    return lambda h5: _a121_set(key, json.dumps(change(json.loads(h5[key][()]))))(h5)


A121_FAULTS: dict[str, tuple[str, Callable[[h5py.File], None]]] = {
    "a121-generation": ("a121.h5", _a121_set("generation", "a131")),
    "a121-no-sessions": ("a121.h5", lambda h5: (h5.__delitem__("sessions"), h5.__delitem__("session"))),
    "a121-no-entry": ("a121.h5", lambda h5: h5["sessions/session_0/group_0"].__delitem__("entry_0")),
    "a121-no-frame": ("a121.h5", lambda h5: h5[f"{_ENTRY}/result"].__delitem__("frame")),
    "a121-frame-float": ("a121.h5", _a121_frame(lambda f: f["real"].astype(np.float32))),
    "a121-frame-rank": ("a121.h5", _a121_frame(lambda f: f[:, 0])),
    "a121-no-frames": ("a121.h5", _a121_frame(lambda f: f[:0])),
    "a121-ticks": ("a121.h5", _a121_ticks),
    "a121-flags-short": ("a121.h5", _a121_set(f"{_ENTRY}/result/data_saturated", np.zeros(3, bool))),
    "a121-no-tps": ("a121.h5", _a121_set("server_info", "{}")),
    "a121-config-json": ("a121.h5", _a121_set("sessions/session_0/session_config", "{not json")),
    "a121-spf": ("a121.h5", _a121_json("sessions/session_0/session_config", lambda c: {
        "groups": [{"1": {**c["groups"][0]["1"], "sweeps_per_frame": 4}}]})),
    "a121-offsets": ("a121.h5", _a121_json(f"{_ENTRY}/metadata", lambda m: {
        **m, "subsweep_data_offset": [30], "subsweep_data_length": [20]})),
    "a121-base-step": ("a121.h5", _a121_json(f"{_ENTRY}/metadata", lambda m: {
        **m, "base_step_length_m": -1})),
    "a121-sensor-config": ("a121.h5", _a121_set("sessions/session_0/session_config",
                                                '{"groups": [{"2": {}}]}')),
}


def h5_fault(seed: Path, fault: Callable[[h5py.File], None], out: Path) -> Path:
    """Copy ``seed`` to ``out`` and apply ``fault`` with h5py."""
    out.write_bytes(seed.read_bytes())
    with h5py.File(out, "r+") as h5:
        fault(h5)
    return out


def truncations(data: bytes, count: int) -> list[int]:
    """``count`` cut points spread over ``data`` (never 0 bytes kept twice, never the whole)."""
    return sorted({int(round(i * len(data) / (count + 1))) for i in range(count + 1)})


def flip_offsets(size: int, count: int, start: int = 0, end: int | None = None) -> list[int]:
    """``count`` distinct byte offsets spread over ``[start, end)``."""
    end = size if end is None else end
    return sorted({start + int(i * (end - start) / count) for i in range(count)})
