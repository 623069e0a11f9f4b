"""Build tiny single-purpose .tflite models for tests, with the TFLite schema's object API.

Test support only (the product's .tflite export will live in sdk/); the builders come from the
flatbuffers bindings that ship in the pinned tflite-micro package.
"""

from __future__ import annotations

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

_TYPES = {"float32": fb.TensorType.FLOAT32, "int8": fb.TensorType.INT8,
          "int32": fb.TensorType.INT32}
_ACT = {"none": fb.ActivationFunctionType.NONE, "relu": fb.ActivationFunctionType.RELU,
        "relu6": fb.ActivationFunctionType.RELU6, "tanh": fb.ActivationFunctionType.TANH}
_PAD = {"same": fb.Padding.SAME, "valid": fb.Padding.VALID}


class TinyModel:
    """Accumulates tensors and operators of one subgraph, then serializes to bytes."""

    def __init__(self) -> None:
        self.tensors: list = []
        self.buffers: list = [fb.BufferT()]  # buffer 0 is the conventional empty buffer
        self.ops: list = []
        self.opcodes: dict[int, int] = {}
        self.codes: list = []

    def tensor(self, shape: tuple[int, ...], dtype: str = "int8", scale=None, zero_point=None,
               axis: int = 0, data: np.ndarray | None = None, name: str | None = None) -> int:
        """Add a tensor (a constant when ``data`` is given); returns its index."""
        t = fb.TensorT()
        t.shape = list(shape)
        t.type = _TYPES[dtype]
        t.name = name or f"t{len(self.tensors)}"
        t.buffer = 0
        if data is not None:
            b = fb.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(data, dtype=dtype).tobytes(), np.uint8)
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        if scale is not None:
            q = fb.QuantizationParametersT()
            q.scale = [float(s) for s in np.atleast_1d(scale)]
            zp = np.zeros(len(q.scale), int) if zero_point is None else np.atleast_1d(zero_point)
            q.zeroPoint = [int(z) for z in zp]
            q.quantizedDimension = axis
            t.quantization = q
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, builtin: int, inputs: list[int], outputs: list[int], options_type: int = 0,
           options=None, custom: str | None = None) -> None:
        """Add an operator of builtin code ``builtin`` (a ``fb.BuiltinOperator`` value)."""
        key = (builtin, custom)
        if key not in self.opcodes:
            oc = fb.OperatorCodeT()
            oc.builtinCode = builtin
            oc.deprecatedBuiltinCode = min(builtin, 127)
            oc.version = 1
            if custom is not None:
                oc.customCode = custom
            self.opcodes[key] = len(self.codes)
            self.codes.append(oc)
        o = fb.OperatorT()
        o.opcodeIndex = self.opcodes[key]
        o.inputs, o.outputs = list(inputs), list(outputs)
        o.builtinOptionsType, o.builtinOptions = options_type, options
        self.ops.append(o)

    def to_bytes(self, inputs: list[int], outputs: list[int]) -> bytes:
        """The finished flatbuffer."""
        sg = fb.SubGraphT()
        sg.tensors, sg.operators = self.tensors, self.ops
        sg.inputs, sg.outputs = list(inputs), list(outputs)
        m = fb.ModelT()
        m.version = 3
        m.operatorCodes, m.subgraphs, m.buffers = self.codes, [sg], self.buffers
        builder = flatbuffers.Builder(1024)
        builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())

    # -- option helpers ------------------------------------------------------------------

    @staticmethod
    def conv_options(stride: int, padding: str, act: str = "none", depthwise: bool = False,
                     multiplier: int = 1):
        o = fb.DepthwiseConv2DOptionsT() if depthwise else fb.Conv2DOptionsT()
        o.strideH = o.strideW = stride
        o.dilationHFactor = o.dilationWFactor = 1
        o.padding, o.fusedActivationFunction = _PAD[padding], _ACT[act]
        if depthwise:
            o.depthMultiplier = multiplier
        return o

    @staticmethod
    def pool_options(kernel: int, stride: int, padding: str, act: str = "none"):
        o = fb.Pool2DOptionsT()
        o.filterHeight = o.filterWidth = kernel
        o.strideH = o.strideW = stride
        o.padding, o.fusedActivationFunction = _PAD[padding], _ACT[act]
        return o

    @staticmethod
    def act_options(cls, act: str = "none"):
        o = cls()
        o.fusedActivationFunction = _ACT[act]
        return o
