"""Write an IR graph as a ``.tflite`` flatbuffer, so TFLite Micro, LiteRT and other tools run it.

The file is built with the object API (``ModelT``, ``SubGraphT``, ``TensorT`` ... and their
``Pack`` methods) of the TFLite schema bindings that ship in the pinned ``tflite-micro`` package,
on top of ``flatbuffers.Builder`` -- the same bindings :mod:`sdk.frontends.tflite` reads with,
so export followed by import gives the same graph back.

Mapping (the inverse of the importer): per-side padding becomes SAME or VALID (TFLite has no
other padding; anything else raises :class:`UnsupportedError` naming the op); ``activation``
becomes the fused activation; Dense becomes FULLY_CONNECTED on its ``[batch, features]``
input; Reshape gets its target shape both as an int32 shape operand and in ReshapeOptions
(LiteRT reads the first, TFLite Micro the output tensor's shape). Each exportable op type is
one entry of ``_BUILTINS`` (builtin operator, int8 kernel version, options writer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sdk.atomic import write_bytes_atomic
from sdk.errors import UnsupportedError
from sdk.frontends.tflite import _schema
from sdk.ir import Graph, Op, same_padding

FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3

_TYPE_NAMES = {"float32": "FLOAT32", "int32": "INT32", "uint8": "UINT8", "int16": "INT16",
               "int8": "INT8"}
_ACTIVATION_NAMES = {"none": "NONE", "relu": "RELU", "relu6": "RELU6"}


class _Exporter:
    """Accumulates the flatbuffer objects for one graph."""

    def __init__(self, graph: Graph, fb: Any) -> None:
        self.graph, self.fb = graph, fb
        self.tensors: list[Any] = []
        self.index: dict[str, int] = {}
        self.buffers: list[Any] = [fb.BufferT()]  # buffer 0: the conventional empty buffer
        self.codes: list[Any] = []
        self.code_index: dict[str, int] = {}
        self.operators: list[Any] = []

    # -- tensors -------------------------------------------------------------------------

    def _add_tensor(self, name: str, shape: tuple[int, ...], dtype: str,
                    data: np.ndarray | None, quant: Any) -> int:
        fb = self.fb
        t = fb.TensorT()
        t.name, t.shape = name, list(shape)
        if dtype not in _TYPE_NAMES:
            raise UnsupportedError(f"exporting tensor {name!r} of dtype {dtype} to .tflite")
        t.type = getattr(fb.TensorType, _TYPE_NAMES[dtype])
        t.buffer = 0
        if data is not None:
            buf = fb.BufferT()
            raw = np.ascontiguousarray(data, dtype=np.dtype(data.dtype).newbyteorder("<"))
            buf.data = np.frombuffer(raw.tobytes(), np.uint8)
            self.buffers.append(buf)
            t.buffer = len(self.buffers) - 1
        if quant is not None:
            q = fb.QuantizationParametersT()
            # The file holds float32 scales; the IR's float64 values are those float32s.
            q.scale = [float(np.float32(s)) for s in quant.scale]
            q.zeroPoint = [int(z) for z in quant.zero_point]
            q.quantizedDimension = int(quant.axis or 0)
            t.quantization = q
        self.tensors.append(t)
        return len(self.tensors) - 1

    def tensor(self, name: str) -> int:
        """The flatbuffer index of IR tensor ``name``, adding it on first use."""
        if name not in self.index:
            t = self.graph.tensors[name]
            self.index[name] = self._add_tensor(name, t.shape, t.dtype, t.data, t.quant)
        return self.index[name]

    # -- operators -----------------------------------------------------------------------

    def _opcode(self, builtin: _Builtin) -> int:
        version = 1
        if any(t.dtype == "int8" for t in self.graph.tensors.values()):
            version = builtin.int8_version
        if builtin.name not in self.code_index:
            code = self.fb.OperatorCodeT()
            code.builtinCode = getattr(self.fb.BuiltinOperator, builtin.name)
            # Old readers look only at the deprecated 8-bit field (127 = "see builtinCode").
            code.deprecatedBuiltinCode = min(code.builtinCode, 127)
            code.version = version
            self.code_index[builtin.name] = len(self.codes)
            self.codes.append(code)
        return self.code_index[builtin.name]

    def _padding(self, op: Op, kernel: tuple[int, int]) -> int:
        pads = [int(p) for p in op.attrs["padding"]]
        _, h, w, _ = self.graph.tensors[op.inputs[0]].shape
        stride = [int(s) for s in op.attrs["stride"]]
        dilation = [int(d) for d in op.attrs.get("dilation", (1, 1))]
        same = [*same_padding(h, kernel[0], stride[0], dilation[0]),
                *same_padding(w, kernel[1], stride[1], dilation[1])]
        # VALID first: when SAME needs no padding both are [0, 0, 0, 0] and mean the same.
        if pads == [0, 0, 0, 0]:
            return self.fb.Padding.VALID
        if pads == same:
            return self.fb.Padding.SAME
        raise UnsupportedError(
            f"exporting op {op.name} ({op.type}) to .tflite: padding {pads} [top, bottom, "
            f"left, right] is neither VALID [0, 0, 0, 0] nor SAME {same} for a {h}x{w} input, "
            f"{kernel[0]}x{kernel[1]} window and stride {stride}; TFLite has only these two")

    def _activation(self, op: Op) -> int:
        return getattr(self.fb.ActivationFunctionType,
                       _ACTIVATION_NAMES[op.attrs.get("activation", "none")])

    # Options writers: ``(BuiltinOptions member name, options object)`` of an op.

    def conv_options(self, op: Op) -> tuple[str, Any]:
        fb = self.fb
        w = self.graph.tensors[op.inputs[1]].shape
        depthwise = op.type == "DepthwiseConv2D"
        o = fb.DepthwiseConv2DOptionsT() if depthwise else fb.Conv2DOptionsT()
        o.strideH, o.strideW = (int(s) for s in op.attrs["stride"])
        o.dilationHFactor, o.dilationWFactor = (int(d) for d in
                                                op.attrs.get("dilation", (1, 1)))
        o.padding = self._padding(op, (w[1], w[2]))
        o.fusedActivationFunction = self._activation(op)
        if depthwise:
            o.depthMultiplier = int(op.attrs.get("depth_multiplier", 1))
            return "DepthwiseConv2DOptions", o
        return "Conv2DOptions", o

    def pool_options(self, op: Op) -> tuple[str, Any]:
        o = self.fb.Pool2DOptionsT()
        o.filterHeight, o.filterWidth = (int(k) for k in op.attrs["kernel"])
        o.strideH, o.strideW = (int(s) for s in op.attrs["stride"])
        o.padding = self._padding(op, (o.filterHeight, o.filterWidth))
        o.fusedActivationFunction = self._activation(op)
        return "Pool2DOptions", o

    def dense_options(self, op: Op) -> tuple[str, Any]:
        o = self.fb.FullyConnectedOptionsT()
        o.fusedActivationFunction = self._activation(op)
        return "FullyConnectedOptions", o

    def add_options(self, op: Op) -> tuple[str, Any]:
        o = self.fb.AddOptionsT()
        o.fusedActivationFunction = self._activation(op)
        return "AddOptions", o

    def reshape_options(self, op: Op) -> tuple[str, Any]:
        o = self.fb.ReshapeOptionsT()
        o.newShape = [int(d) for d in op.attrs["shape"]]
        return "ReshapeOptions", o

    def softmax_options(self, op: Op) -> tuple[str, Any]:
        o = self.fb.SoftmaxOptionsT()
        o.beta = float(op.attrs.get("beta", 1.0))
        return "SoftmaxOptions", o

    def operator(self, op: Op) -> None:
        """Append the flatbuffer operator for ``op``."""
        builtin = _BUILTINS.get(op.type)
        if builtin is None:
            raise UnsupportedError(f"exporting op {op.name} of type {op.type} to .tflite "
                                   f"(supported: {', '.join(_BUILTINS)})")
        inputs = [self.tensor(name) for name in op.inputs]
        if builtin.shape_operand:
            shape = np.asarray(op.attrs["shape"], dtype=np.int32)
            inputs.append(self._add_tensor(f"{op.name}/shape", shape.shape, "int32", shape,
                                           None))
        options = builtin.options(self, op) if builtin.options is not None else None
        o = self.fb.OperatorT()
        o.opcodeIndex = self._opcode(builtin)
        o.inputs, o.outputs = inputs, [self.tensor(op.outputs[0])]
        if options is not None:
            o.builtinOptionsType = getattr(self.fb.BuiltinOptions, options[0])
            o.builtinOptions = options[1]
        self.operators.append(o)

    def model(self) -> bytes:
        """Build every op and tensor and return the finished flatbuffer."""
        import flatbuffers

        fb = self.fb
        inputs = [self.tensor(name) for name in self.graph.inputs]
        for op in self.graph.ops:
            self.operator(op)
        sub = fb.SubGraphT()
        sub.name = "main"
        sub.tensors, sub.operators = self.tensors, self.operators
        sub.inputs, sub.outputs = inputs, [self.tensor(n) for n in self.graph.outputs]
        m = fb.ModelT()
        m.version = SCHEMA_VERSION
        m.description = f"tinyprune: {self.graph.name}"
        m.operatorCodes, m.subgraphs, m.buffers = self.codes, [sub], self.buffers
        builder = flatbuffers.Builder(1024)
        builder.Finish(m.Pack(builder), file_identifier=FILE_IDENTIFIER)
        return bytes(builder.Output())


@dataclass(frozen=True)
class _Builtin:
    """The TFLite builtin operator an IR op type becomes.

    ``int8_version`` is the operator version of its int8 kernel (what a runtime needs at least
    to run it; float kernels are version 1). Runtimes register every version from 1 up, so it
    only tells version-checking tools which kernel features the model relies on. ``options``
    writes its BuiltinOptions (None: none worth writing); ``shape_operand`` adds the target
    shape as an int32 operand.
    """

    name: str
    int8_version: int
    options: Callable[[_Exporter, Op], tuple[str, Any]] | None = None
    shape_operand: bool = False


# One entry per IR op type that can be exported.
_BUILTINS: dict[str, _Builtin] = {
    "Conv2D": _Builtin("CONV_2D", 3, _Exporter.conv_options),
    "DepthwiseConv2D": _Builtin("DEPTHWISE_CONV_2D", 3, _Exporter.conv_options),
    "Dense": _Builtin("FULLY_CONNECTED", 4, _Exporter.dense_options),
    "MaxPool2D": _Builtin("MAX_POOL_2D", 2, _Exporter.pool_options),
    "AvgPool2D": _Builtin("AVERAGE_POOL_2D", 2, _Exporter.pool_options),
    "Add": _Builtin("ADD", 2, _Exporter.add_options),
    "Reshape": _Builtin("RESHAPE", 1, _Exporter.reshape_options, shape_operand=True),
    "Softmax": _Builtin("SOFTMAX", 2, _Exporter.softmax_options),
    "Quantize": _Builtin("QUANTIZE", 2),
    "Dequantize": _Builtin("DEQUANTIZE", 2),
}


def tflite_bytes(graph: Graph) -> bytes:
    """The ``.tflite`` flatbuffer of ``graph`` (validated first)."""
    graph.validate()
    return _Exporter(graph, _schema()).model()


def export_tflite(graph: Graph, path: str | Path) -> Path:
    """Write ``graph`` as a ``.tflite`` file at ``path`` (replaced atomically); returns it.

    Raises :class:`UnsupportedError` naming the op for padding that is neither SAME nor VALID,
    an op or a dtype that TFLite cannot express.
    """
    path = Path(path)
    data = tflite_bytes(graph)
    return write_bytes_atomic(path, data)
