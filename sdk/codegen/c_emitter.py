"""Generate ``model.c`` / ``model.h``: a graph as a fixed sequence of engine kernel calls.

Float32 graphs call the f32 kernels; int8 graphs (TFLite quantization) call the s8 kernels with
int8 weights, int32 biases and per-channel multiplier/shift tables as ``static const`` arrays
(flash), their integer parameters taken from :mod:`sdk.quant.layer_params`; Quantize and
Dequantize ops convert at the graph boundary.

The generated API (``PREFIX`` stands for the symbol prefix, ``tp_model`` by default; macros use
it in upper case):

- ``PREFIX_ARENA_SIZE``, ``PREFIX_NUM_INPUTS/OUTPUTS``, ``PREFIX_INPUT<i>_SIZE`` (elements),
  ``_BYTES``, ``_RANK``, ``_SHAPE`` (an initializer), the same for outputs, ``PREFIX_NUM_STEPS``;
- ``int32_t PREFIX_init(void *arena, uint32_t arena_size)``: NULL selects a static arena
  inside model.c (left out when compiled with ``-DTP_NO_STATIC_ARENA``);
- ``float *PREFIX_input(int32_t i)``, ``const float *PREFIX_output(int32_t i)`` (``int8_t``
  for a graph whose inputs / outputs are all int8, ``void`` for a mix),
  ``uint32_t PREFIX_input_bytes(int32_t i)``, ``uint32_t PREFIX_output_bytes(int32_t i)``;
- ``int32_t PREFIX_invoke(void)``; ``const char *PREFIX_step_name(int32_t i)``.

With ``-DTP_PROFILE_HOOK=fn``, invoke calls ``fn(-1)`` before the first step and ``fn(i)``
after step ``i``, so a board can read its counter between steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from sdk.codegen.kernels import ENGINE_HEADER, INT8_HEADERS, Kernel
from sdk.codegen.lowering import Call, lower
from sdk.codegen.memory_planner import MemoryPlan, plan_lowered
from sdk.errors import ShapeError, UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.ir.tensor import QuantParams, Tensor
from sdk.quant import layer_params as lp

DEFAULT_PREFIX = "tp_model"
_PREFIX_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,30}")
_ACTIVATION = {"none": ("-FLT_MAX", "FLT_MAX"), "relu": ("0.0f", "FLT_MAX"),
               "relu6": ("0.0f", "6.0f")}
# Activation dtypes the engine computes on, with the C type and arena accessor of each.
_ARENA_TYPES = {"float32": ("float", "TP_ARENA_F32"), "int8": ("int8_t", "TP_ARENA_S8")}
_CONST_TYPES = {"float32": "float", "int8": "int8_t", "int32": "int32_t"}
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


@dataclass
class Step:
    """One kernel call of the generated invoke."""

    index: int
    name: str
    op: str
    kernel: str
    layers: list[str]
    macs: int
    output: str

    def to_json(self) -> dict:
        """The entry written to steps.json."""
        return {"index": self.index, "name": self.name, "op": self.op, "kernel": self.kernel,
                "layers": self.layers, "macs": self.macs, "output": self.output}


@dataclass
class GeneratedModel:
    """The generated sources, the steps they execute, and the memory plan they use."""

    prefix: str
    model_c: str
    model_h: str
    steps: list[Step]
    plan: MemoryPlan
    kernel_sources: list[str] = field(default_factory=list)
    # Bytes of model constants in flash: weights, biases and, for int8 graphs, the per-channel
    # requantization tables (int32 multipliers and int8 shifts) and folded int32 biases.
    weights_bytes: int = 0
    # Engine headers the kernels need besides tp_engine.h.
    engine_headers: list[str] = field(default_factory=list)

    def steps_json(self) -> dict:
        """Contents of steps.json."""
        return {"prefix": self.prefix, "arena_bytes": self.plan.arena_bytes,
                "weights_bytes": self.weights_bytes,
                "steps": [s.to_json() for s in self.steps]}


def _c_comment(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_ .,:;/+=()\[\]-]", "?", text)


def _c_string(text: str) -> str:
    safe = "".join(c if 32 <= ord(c) < 127 and c not in '"\\?' else "_" for c in text)
    return f'"{safe}"'


def _c_float(value: float) -> str:
    # 9 significant digits identify every float32 exactly.
    text = f"{float(value):.9g}"
    if "e" not in text and "." not in text and "inf" not in text and "nan" not in text:
        text += ".0"
    return text + "f"


def _float_array(name: str, data: np.ndarray) -> str:
    flat = np.asarray(data, dtype=np.float32).ravel()
    if not np.all(np.isfinite(flat)):
        raise ShapeError(f"constant {name!r} holds inf or nan; the C engine needs finite weights")
    parts = [_c_float(v) for v in flat.tolist()]
    lines = [", ".join(parts[i:i + 8]) for i in range(0, len(parts), 8)]
    return "{\n    " + ",\n    ".join(lines) + "\n}"


def _int_array(values: np.ndarray) -> str:
    parts = [str(int(v)) for v in np.asarray(values).ravel().tolist()]
    lines = [", ".join(parts[i:i + 16]) for i in range(0, len(parts), 16)]
    return "{\n    " + ",\n    ".join(lines) + "\n}"


def _dims(shape: tuple[int, ...]) -> str:
    """A tp_dims initializer: NHWC for rank 4, [batch, features] as n and c otherwise."""
    if len(shape) == 4:
        n, h, w, c = shape
    else:
        n = shape[0] if len(shape) > 1 else 1
        c = int(np.prod(shape[1:] if len(shape) > 1 else shape, dtype=np.int64))
        h = w = 1
    return f"{{{n}, {h}, {w}, {c}}}"


def _activation(op: Op) -> str:
    lo, hi = _ACTIVATION[op.attrs.get("activation", "none")]
    return f"{{{lo}, {hi}}}"


def _geometry(op: Op) -> str:
    """Stride and padding of a windowed op as the C initializer ``{sh, sw}, {top, left}`` (the
    padding after the data is implied by the output size, see tp_padding in tp_engine.h)."""
    sh, sw = op.attrs["stride"]
    pt, _, pl, _ = op.attrs["padding"]
    return f"{{{sh}, {sw}}}, {{{pt}, {pl}}}"


class _Emitter:
    """Builds the text of model.c for one graph and plan."""

    def __init__(self, graph: Graph, plan: MemoryPlan, prefix: str) -> None:
        self.graph = graph
        self.plan = plan
        self.prefix = prefix
        self.const_names: dict[str, str] = {}
        self.const_defs: list[str] = []
        self.step_defs: list[str] = []
        self.calls: list[str] = []
        self.weights_bytes = 0

    def tensor(self, name: str) -> str:
        """A C expression for a tensor: a constant array or an arena pointer."""
        t = self.graph.tensors[name]
        if t.is_constant:
            return self.constant(t)
        return f"{_ARENA_TYPES[t.dtype][1]}({self.plan.offsets[name]}u)"

    def constant(self, t: Tensor, pad: int = 0) -> str:
        """The C array of constant ``t``; ``pad`` zero elements are appended (a kernel that
        reads a few bytes past the data, see tp_convolve_s8)."""
        if t.name not in self.const_names:
            if t.dtype not in _CONST_TYPES or t.storage != "dense":
                raise UnsupportedError(f"constant {t.name} of dtype {t.dtype} with storage "
                                       f"{t.storage} in the C engine")
            ident = f"s_const{len(self.const_names)}"
            self.const_names[t.name] = ident
            self.weights_bytes += t.nbytes + pad * t.itemsize
            data = np.asarray(t.data).ravel()
            if pad:
                data = np.concatenate([data, np.zeros(pad, dtype=data.dtype)])
            body = (_float_array(t.name, data) if t.dtype == "float32"
                    else _int_array(data))
            self.const_defs.append(f"/* {_c_comment(t.name)} {list(t.shape)}"
                                   f"{f' + {pad} zeros' if pad else ''} */\n"
                                   f"static const {_CONST_TYPES[t.dtype]} {ident}[{data.size}] "
                                   f"= {body};\n")
        return self.const_names[t.name]

    def table(self, ident: str, ctype: str, values: np.ndarray, what: str,
              aligned: bool = False) -> str:
        """A derived constant table (folded biases, multipliers, shifts, rearranged weights),
        counted as weights; ``aligned``: on a 4-byte boundary (a kernel reads it by words)."""
        values = np.asarray(values, dtype=np.int64).ravel()
        size = {"int8_t": 1, "int32_t": 4}[ctype]
        self.weights_bytes += values.size * size
        align = " TP_ALIGNED4" if aligned else ""
        self.const_defs.append(f"/* {_c_comment(what)} */\n"
                               f"static const {ctype} {ident}[{values.size}]{align} = "
                               f"{_int_array(values)};\n")
        return ident

    def optional(self, op: Op, pos: int) -> str:
        return self.tensor(op.inputs[pos]) if len(op.inputs) > pos else "NULL"

    # -- shared by the float and int8 steps ------------------------------------------------

    def check_window(self, op: Op) -> None:
        """Refuse a windowed op (Conv2D, DepthwiseConv2D, pooling) the C engine cannot run:
        dilation other than 1, or an input that is not NHWC."""
        if tuple(op.attrs.get("dilation", (1, 1))) != (1, 1):
            raise UnsupportedError(f"op {op.name} ({op.type}): dilation "
                                   f"{list(op.attrs['dilation'])} in the C engine (1 only)")
        x = self.graph.tensors[op.inputs[0]]
        if len(x.shape) != 4:
            raise ShapeError(f"op {op.name} ({op.type}): input must be NHWC, got "
                             f"{list(x.shape)}")

    def io_dims(self, s: str, op: Op, defs: list[str]) -> None:
        """Define the step's input and output shapes ``{s}_in`` and ``{s}_out``."""
        g = self.graph
        defs.append(f"static const tp_dims {s}_in = {_dims(g.tensors[op.inputs[0]].shape)};")
        defs.append(f"static const tp_dims {s}_out = {_dims(g.tensors[op.outputs[0]].shape)};")

    def window(self, s: str, op: Op, defs: list[str]) -> str:
        """check_window, io_dims, and the op's stride and padding initializer (_geometry)."""
        self.check_window(op)
        self.io_dims(s, op, defs)
        return _geometry(op)

    def pool_kernel(self, s: str, op: Op, defs: list[str]) -> None:
        """Define a pooling step's window ``{s}_kernel``, refusing padding at least as large as
        the window: such a window would hold no input, and the kernels (which skip padding,
        as TFLite) would have nothing to take the max or the average of."""
        kh, kw = op.attrs["kernel"]
        pt, pb, pl, pr = op.attrs["padding"]
        if max(pt, pb) >= kh or max(pl, pr) >= kw:
            raise UnsupportedError(f"op {op.name} ({op.type}): padding "
                                   f"{list(op.attrs['padding'])} leaves windows with no "
                                   f"input for kernel {[kh, kw]}")
        defs.append(f"static const tp_tile {s}_kernel = {{{kh}, {kw}}};")

    def step(self, index: int, op: Op, kernel: Kernel, call: Call | None = None) -> None:
        if kernel.function.endswith(("_s8", "_s8_f32")):
            self.step_s8(index, op, kernel, call)
            return
        g = self.graph
        s = f"s_step{index}"
        y = g.tensors[op.outputs[0]]
        out = self.tensor(op.outputs[0])
        defs = [f"/* step {index}: {_c_comment(op.name)} ({op.type}) */"]
        if op.type in ("Conv2D", "DepthwiseConv2D", "MaxPool2D", "AvgPool2D"):
            geometry = self.window(s, op, defs)
        if op.type == "Conv2D":
            w = g.tensors[op.inputs[1]]
            defs.append(f"static const tp_dims {s}_filter = {_dims(w.shape)};")
            defs.append(f"static const tp_conv_params_f32 {s}_params = "
                        f"{{{geometry}, {_activation(op)}}};")
            args = (f"&{s}_params, &{s}_in, {self.tensor(op.inputs[0])}, &{s}_filter, "
                    f"{self.tensor(op.inputs[1])}, {self.optional(op, 2)}, &{s}_out, {out}")
        elif op.type == "DepthwiseConv2D":
            w = g.tensors[op.inputs[1]]
            mult = int(op.attrs.get("depth_multiplier", 1))
            defs.append(f"static const tp_dims {s}_filter = {_dims(w.shape)};")
            defs.append(f"static const tp_dw_conv_params_f32 {s}_params = "
                        f"{{{geometry}, {mult}, {_activation(op)}}};")
            args = (f"&{s}_params, &{s}_in, {self.tensor(op.inputs[0])}, &{s}_filter, "
                    f"{self.tensor(op.inputs[1])}, {self.optional(op, 2)}, &{s}_out, {out}")
        elif op.type in ("MaxPool2D", "AvgPool2D"):
            self.pool_kernel(s, op, defs)
            defs.append(f"static const tp_pool_params_f32 {s}_params = "
                        f"{{{geometry}, {_activation(op)}}};")
            args = (f"&{s}_params, &{s}_in, {self.tensor(op.inputs[0])}, &{s}_kernel, "
                    f"&{s}_out, {out}")
        elif op.type == "Dense":
            self.io_dims(s, op, defs)
            defs.append(f"static const tp_fc_params_f32 {s}_params = {{{_activation(op)}}};")
            args = (f"&{s}_params, &{s}_in, {self.tensor(op.inputs[0])}, "
                    f"{self.tensor(op.inputs[1])}, {self.optional(op, 2)}, &{s}_out, {out}")
        elif op.type == "Add":
            defs.append(f"static const tp_activation_f32 {s}_act = {_activation(op)};")
            args = (f"&{s}_act, {self.tensor(op.inputs[0])}, {self.tensor(op.inputs[1])}, "
                    f"{y.size}, {out}")
        elif op.type == "Softmax":
            depth = y.shape[-1]
            defs.append(f"static const tp_softmax_params_f32 {s}_params = "
                        f"{{{_c_float(op.attrs.get('beta', 1.0))}}};")
            args = (f"&{s}_params, {self.tensor(op.inputs[0])}, {y.size // depth}, {depth}, "
                    f"{out}")
        else:
            raise UnsupportedError(f"op {op.name} of type {op.type} in the C code generator")
        self.finish_step(index, kernel, defs, args)

    def finish_step(self, index: int, kernel: Kernel, defs: list[str], args: str) -> None:
        self.step_defs.append("\n".join(defs) + "\n")
        self.calls.append(f"    if ({kernel.function}({args}) != TP_OK) {{\n"
                          f"        return {self.prefix.upper()}_ERR_KERNEL;\n    }}\n"
                          f"    TP_STEP_DONE({index});\n")

    # -- int8 ------------------------------------------------------------------------------

    def quant(self, op: Op, name: str) -> QuantParams:
        q = self.graph.tensors[name].quant
        if q is None:
            raise UnsupportedError(f"op {op.name} ({op.type}): tensor {name!r} has no "
                                   "quantization parameters")
        return q

    def per_tensor(self, op: Op, name: str) -> QuantParams:
        q = self.quant(op, name)
        if q.scale.size != 1:
            raise UnsupportedError(f"op {op.name} ({op.type}): per-channel quantization of "
                                   f"activation {name!r}")
        return q

    def act_s8(self, op: Op) -> str:
        lo, hi = lp.activation_range(op.attrs.get("activation", "none"),
                                     self.per_tensor(op, op.outputs[0]))
        return f"{{{lo}, {hi}}}"

    def channel_quant(self, s: str, multipliers: np.ndarray, shifts: np.ndarray,
                      defs: list[str]) -> None:
        mult = self.table(f"{s}_mult", "int32_t", multipliers, f"{s} multipliers")
        shift = self.table(f"{s}_shift", "int8_t", shifts, f"{s} shifts")
        defs.append(f"static const tp_channel_quant {s}_quant = {{{mult}, {shift}}};")

    def symmetric_weights(self, op: Op) -> QuantParams:
        wq = self.quant(op, op.inputs[1])
        if np.any(wq.zero_point != 0):
            raise UnsupportedError(f"op {op.name} ({op.type}): weights with a non-zero zero "
                                   "point (int8 weights must be symmetric)")
        return wq

    def effective_bias(self, op: Op, s: str, input_offset: int, weight_sums: np.ndarray) -> str:
        """bias + input_offset * sum(weights) per output channel (see tp_engine_s8.h)."""
        bias = (self.graph.tensors[op.inputs[2]].data.astype(np.int64) if len(op.inputs) > 2
                else np.zeros(weight_sums.size, dtype=np.int64))
        folded = bias + input_offset * weight_sums
        if folded.min() < INT32_MIN or folded.max() > INT32_MAX:
            raise UnsupportedError(f"op {op.name} ({op.type}): folded bias outside int32")
        return self.table(f"{s}_bias", "int32_t", folded, f"{s} bias + input offset x weights")

    def conv_s8(self, s: str, op: Op, chunk_rows: int, defs: list[str]) -> tuple[str, str]:
        """Definitions of int8 Conv2D ``op`` under the prefix ``s``: dims ``{s}_in``,
        ``{s}_filter``, ``{s}_out``, ``{s}_params``, ``{s}_quant``; returns the C names of the
        filter and of the effective bias.

        ``fast_requant`` is set when every channel's shift is <= -1 and the accumulator is
        provably below 2^30 in magnitude: |bias + input_offset * sum w| + 128 * sum |w| (an int8
        input, padding included, is at most 128 in magnitude)."""
        g = self.graph
        w = g.tensors[op.inputs[1]]
        self.check_window(op)
        inq, outq = self.per_tensor(op, op.inputs[0]), self.per_tensor(op, op.outputs[0])
        wq = self.symmetric_weights(op)
        in_off, out_off = -int(inq.zero_point[0]), int(outq.zero_point[0])
        m, shifts = lp.conv_multipliers(inq, wq, outq, w.shape[0])
        self.channel_quant(s, m, shifts, defs)
        wdata = w.data.astype(np.int64).reshape(w.shape[0], -1)
        bias = (g.tensors[op.inputs[2]].data.astype(np.int64) if len(op.inputs) > 2
                else np.zeros(w.shape[0], dtype=np.int64))
        folded = bias + in_off * wdata.sum(axis=1)
        if folded.min() < INT32_MIN or folded.max() > INT32_MAX:
            raise UnsupportedError(f"op {op.name} ({op.type}): folded bias outside int32")
        bound = np.abs(folded) + 128 * np.abs(wdata).sum(axis=1)
        fast = int(bool(np.all(np.asarray(shifts) <= -1) and np.all(bound < (1 << 30))))
        bias_ident = self.table(f"{s}_bias", "int32_t", folded,
                                f"{s} bias + input offset x weights")
        filt = self.constant(w, pad=3 if wdata.shape[1] % 4 else 0)
        self.io_dims(s, op, defs)
        defs.append(f"static const tp_dims {s}_filter = {_dims(w.shape)};")
        defs.append(f"static const tp_conv_params_s8 {s}_params = "
                    f"{{{_geometry(op)}, {in_off}, {out_off}, {self.act_s8(op)}, {fast}, "
                    f"{chunk_rows}}};")
        return filt, bias_ident

    def step_fused(self, index: int, call: Call) -> None:
        """A fused convolution call: tp_conv_chain_s8 over one or two layers."""
        s = f"s_step{index}"
        names = " + ".join(f"{op.name} ({op.type})" for op in call.ops)
        defs = [f"/* step {index}: {_c_comment(names)} */"]
        convs = call.convs
        layers = []
        for k, op in enumerate(convs):
            ls = f"{s}_{'ab'[k]}"
            filt, bias = self.conv_s8(ls, op, call.chunk_rows[k], defs)
            pool = 2 if call.pool and k == len(convs) - 1 else 0
            defs.append(f"static const tp_conv_layer_s8 {ls} = {{&{ls}_params, &{ls}_quant, "
                        f"&{ls}_in, &{ls}_filter, {filt}, {bias}, &{ls}_out, {pool}}};")
            layers.append(f"&{ls}")
        if len(layers) == 1:
            layers.append("NULL")
        defs.append(f"static const tp_conv_chain_params_s8 {s}_chain = {{{{{', '.join(layers)}}}, "
                    f"{len(convs)}, {call.ring_rows}, {int(call.align)}}};")
        scratch = self.plan.scratch[call.name]
        args = (f"&{s}_chain, {self.tensor(call.ops[0].inputs[0])}, "
                f"{self.tensor(call.output)}, TP_ARENA_PTR({scratch[0]}u)")
        self.finish_step(index, call.kernel, defs, args)

    def step_s8(self, index: int, op: Op, kernel: Kernel, call: Call | None = None) -> None:
        g = self.graph
        s = f"s_step{index}"
        x = g.tensors[op.inputs[0]]
        y = g.tensors[op.outputs[0]]
        xin = self.tensor(op.inputs[0])
        out = self.tensor(op.outputs[0])
        defs = [f"/* step {index}: {_c_comment(op.name)} ({op.type}) */"]
        if op.type in ("Conv2D", "DepthwiseConv2D", "MaxPool2D", "AvgPool2D"):
            geometry = self.window(s, op, defs)
        if op.type in ("Conv2D", "DepthwiseConv2D", "Dense"):
            inq = self.per_tensor(op, op.inputs[0])
            outq = self.per_tensor(op, op.outputs[0])
            wq = self.symmetric_weights(op)
            w = g.tensors[op.inputs[1]]
            in_off, out_off = -int(inq.zero_point[0]), int(outq.zero_point[0])
        if op.type == "Conv2D":
            defs = defs[:1]
            chunk = call.chunk_rows[0] if call is not None and call.chunk_rows else 0
            filt, bias = self.conv_s8(s, op, chunk, defs)
            scratch = self.plan.scratch.get(op.name)
            buf = f"TP_ARENA_PTR({scratch[0]}u)" if scratch else "NULL"
            args = (f"&{s}_params, &{s}_quant, &{s}_in, {xin}, &{s}_filter, "
                    f"{filt}, {bias}, &{s}_out, {out}, {buf}")
        elif op.type == "DepthwiseConv2D":
            m, sh_ = lp.conv_multipliers(inq, wq, outq, w.shape[3])
            self.channel_quant(s, m, sh_, defs)
            mult = int(op.attrs.get("depth_multiplier", 1))
            # |acc| <= |bias| + 255 * sum |w| (an input plus its offset is at most 255).
            wabs = np.abs(w.data.astype(np.int64)).reshape(-1, w.shape[3]).sum(axis=0)
            bias = (np.abs(g.tensors[op.inputs[2]].data.astype(np.int64)) if len(op.inputs) > 2
                    else np.zeros(w.shape[3], dtype=np.int64))
            fast = int(bool(np.all(np.asarray(sh_) <= -1)
                            and np.all(bias + 255 * wabs < (1 << 30))))
            defs.append(f"static const tp_dims {s}_filter = {_dims(w.shape)};")
            defs.append(f"static const tp_dw_conv_params_s8 {s}_params = "
                        f"{{{geometry}, {mult}, {in_off}, {out_off}, {self.act_s8(op)}, "
                        f"{fast}}};")
            scratch = self.plan.scratch.get(op.name)
            buf = f"TP_ARENA_PTR({scratch[0]}u)" if scratch else "NULL"
            args = (f"&{s}_params, &{s}_quant, &{s}_in, {xin}, &{s}_filter, "
                    f"{self.tensor(op.inputs[1])}, {self.optional(op, 2)}, &{s}_out, {out}, "
                    f"{buf}")
        elif op.type == "Dense":
            units = w.shape[0]
            m, sh_ = lp.dense_multipliers(inq, wq, outq, units)
            per_channel = int(bool(np.any(m != m[0]) or np.any(sh_ != sh_[0])))
            if not per_channel:
                m, sh_ = m[:1], sh_[:1]
            self.channel_quant(s, m, sh_, defs)
            wdata = w.data.astype(np.int64)
            bias = self.effective_bias(op, s, in_off, wdata.sum(axis=1))
            folded = ((g.tensors[op.inputs[2]].data.astype(np.int64) if len(op.inputs) > 2
                       else 0) + in_off * wdata.sum(axis=1))
            fast = int(bool(np.all(np.asarray(sh_) <= -1) and np.all(
                np.abs(folded) + 128 * np.abs(wdata).sum(axis=1) < (1 << 30))))
            n_out, n_in = w.shape
            interleaved = int(n_out % 4 == 0 and n_in % 4 == 0)
            if interleaved:
                # Blocks of 4 outputs x 4 inputs (the order tp_s8_fc4 reads): same bytes.
                order = w.data.reshape(n_out // 4, 4, n_in // 4, 4).transpose(0, 2, 1, 3)
                weights = self.table(f"{s}_weights", "int8_t", order.ravel(),
                                     f"{s} weights {list(w.shape)}, 4x4 interleaved",
                                     aligned=True)
            else:
                weights = self.tensor(op.inputs[1])
            self.io_dims(s, op, defs)
            defs.append(f"static const tp_fc_params_s8 {s}_params = "
                        f"{{{out_off}, {per_channel}, {self.act_s8(op)}, {fast}, "
                        f"{interleaved}}};")
            args = (f"&{s}_params, &{s}_quant, &{s}_in, {xin}, {weights}, "
                    f"{bias}, &{s}_out, {out}")
        elif op.type in ("MaxPool2D", "AvgPool2D"):
            self.pool_kernel(s, op, defs)
            defs.append(f"static const tp_pool_params_s8 {s}_params = "
                        f"{{{geometry}, {self.act_s8(op)}}};")
            args = f"&{s}_params, &{s}_in, {xin}, &{s}_kernel, &{s}_out, {out}"
        elif op.type == "Add":
            a, b = (g.tensors[n] for n in op.inputs[:2])
            if not (a.shape == b.shape == y.shape):
                raise UnsupportedError(f"op {op.name} (Add): broadcasting {list(a.shape)} + "
                                       f"{list(b.shape)} in the int8 C engine")
            p = lp.add_params(self.per_tensor(op, a.name), self.per_tensor(op, b.name),
                              self.per_tensor(op, y.name), op.attrs.get("activation", "none"))
            defs.append(f"static const tp_add_params_s8 {s}_params = {{{p.input1_offset}, "
                        f"{p.input2_offset}, {p.output_offset}, {p.left_shift}, "
                        f"{p.input1_multiplier}, {p.input1_shift}, {p.input2_multiplier}, "
                        f"{p.input2_shift}, {p.output_multiplier}, {p.output_shift}, "
                        f"{{{p.activation_min}, {p.activation_max}}}}};")
            args = f"&{s}_params, {xin}, {self.tensor(op.inputs[1])}, {y.size}, {out}"
        elif op.type == "Softmax":
            outq = self.per_tensor(op, y.name)
            if int(outq.zero_point[0]) != -128 or np.float32(outq.scale[0]) != np.float32(1 / 256):
                raise UnsupportedError(f"int8 softmax {op.name} with output scale "
                                       f"{outq.scale[0]} and zero point {outq.zero_point[0]} "
                                       "(TFLite requires 1/256 and -128)")
            p = lp.softmax_params(self.per_tensor(op, x.name), op.attrs.get("beta", 1.0))
            depth = y.shape[-1]
            defs.append(f"static const tp_softmax_params_s8 {s}_params = "
                        f"{{{p.input_multiplier}, {p.input_left_shift}, {p.diff_min}}};")
            args = f"&{s}_params, {xin}, {y.size // depth}, {depth}, {out}"
        elif op.type == "Quantize" and x.dtype == "float32":
            q = self.per_tensor(op, y.name)
            defs.append(f"static const tp_quant_params_f32 {s}_params = "
                        f"{{{_c_float(np.float32(q.scale[0]))}, {int(q.zero_point[0])}}};")
            args = f"&{s}_params, {xin}, {y.size}, {out}"
        elif op.type == "Quantize":
            inq, outq = self.per_tensor(op, x.name), self.per_tensor(op, y.name)
            m, sh_ = lp.requantize_multiplier(inq, outq)
            defs.append(f"static const tp_requantize_params_s8 {s}_params = "
                        f"{{{-int(inq.zero_point[0])}, {int(outq.zero_point[0])}, {m}, {sh_}}};")
            args = f"&{s}_params, {xin}, {y.size}, {out}"
        elif op.type == "Dequantize":
            q = self.per_tensor(op, x.name)
            defs.append(f"static const tp_quant_params_f32 {s}_params = "
                        f"{{{_c_float(np.float32(q.scale[0]))}, {int(q.zero_point[0])}}};")
            args = f"&{s}_params, {xin}, {y.size}, {out}"
        else:
            raise UnsupportedError(f"op {op.name} of type {op.type} in the int8 C code "
                                   "generator")
        self.finish_step(index, kernel, defs, args)


def _check_graph(graph: Graph) -> None:
    graph.validate()
    for name in list(graph.inputs) + [op.outputs[0] for op in graph.ops]:
        t = graph.tensors[name]
        if t.dtype not in _ARENA_TYPES:
            raise UnsupportedError(f"tensor {name} of dtype {t.dtype} in the C engine "
                                   f"(activations: {', '.join(_ARENA_TYPES)})")


def generate_model(graph: Graph, prefix: str = DEFAULT_PREFIX,
                   plan: MemoryPlan | None = None) -> GeneratedModel:
    """Plan memory (unless ``plan`` is given) and generate model.c and model.h for ``graph``.

    ``prefix`` is the C symbol prefix (an identifier of at most 31 characters), so that several
    generated models link into one program.
    """
    if not _PREFIX_RE.fullmatch(prefix):
        raise UnsupportedError(f"symbol prefix {prefix!r}: use a C identifier of at most 31 "
                               "characters")
    _check_graph(graph)
    if plan is None:
        calls, plan = plan_lowered(graph)
    else:
        calls = lower(graph)
    em = _Emitter(graph, plan, prefix)
    steps: list[Step] = []
    sources: list[str] = []
    headers: list[str] = []
    for call in calls:
        kernel = call.kernel
        if kernel is None:
            continue
        index = len(steps)
        if call.fused:
            em.step_fused(index, call)
        else:
            em.step(index, call.ops[0], kernel, call)
        layers: list[str] = []
        for op in call.ops:
            layers += [op.name] + [str(n) for n in op.attrs.get("fused", []) if n != op.name]
        steps.append(Step(index, call.name, "+".join(op.type for op in call.ops),
                          kernel.function, layers, sum(graph.macs(op) for op in call.ops),
                          call.output))
        if kernel.source not in sources:
            sources.append(kernel.source)
        if "_s8" in kernel.function and not headers:
            headers = list(INT8_HEADERS)
    model_h = _model_h(graph, plan, prefix, len(steps))
    model_c = _model_c(graph, em, prefix, steps, headers)
    return GeneratedModel(prefix, model_c, model_h, steps, plan, sources, em.weights_bytes,
                          headers)


def _io_ctype(graph: Graph, names: list[str]) -> str:
    """The C element type of the model's input (or output) pointers."""
    types = {_ARENA_TYPES[graph.tensors[n].dtype][0] for n in names}
    return types.pop() if len(types) == 1 else "void"


def _shape_macros(up: str, kind: str, index: int, t: Tensor) -> list[str]:
    base = f"{up}_{kind}{index}"
    return [f"#define {base}_SIZE {t.size}u",
            f"#define {base}_BYTES {t.nbytes}u",
            f"#define {base}_RANK {len(t.shape)}",
            f"#define {base}_SHAPE {{{', '.join(str(d) for d in t.shape)}}}"]


def _model_h(graph: Graph, plan: MemoryPlan, prefix: str, num_steps: int) -> str:
    up = prefix.upper()
    lines = [f"/* Generated by tinyprune from model {_c_comment(graph.name)!s}. Do not edit. */",
             f"#ifndef {up}_MODEL_H", f"#define {up}_MODEL_H", "", "#include <stdint.h>", "",
             "#ifdef __cplusplus", 'extern "C" {', "#endif", "",
             "/* Bytes of activations and scratch; the arena must be 4-byte aligned. */",
             f"#define {up}_ARENA_SIZE {plan.arena_bytes}u",
             f"#define {up}_NUM_INPUTS {len(graph.inputs)}",
             f"#define {up}_NUM_OUTPUTS {len(graph.outputs)}",
             f"#define {up}_NUM_STEPS {num_steps}"]
    for i, name in enumerate(graph.inputs):
        lines += _shape_macros(up, "INPUT", i, graph.tensors[name])
    for i, name in enumerate(graph.outputs):
        lines += _shape_macros(up, "OUTPUT", i, graph.tensors[name])
    lines += ["", "/* Return codes. */",
              f"#define {up}_OK 0",
              f"#define {up}_ERR_ARENA_TOO_SMALL (-1)",
              f"#define {up}_ERR_ARENA_ALIGNMENT (-2)",
              f"#define {up}_ERR_NO_ARENA (-3)",
              f"#define {up}_ERR_NOT_INITIALIZED (-4)",
              f"#define {up}_ERR_KERNEL (-5)", "",
              "/* Bind the model to an arena of at least ARENA_SIZE bytes; NULL uses a static one",
              " * inside model.c (absent when compiled with -DTP_NO_STATIC_ARENA). */",
              f"int32_t {prefix}_init(void *arena, uint32_t arena_size);",
              "/* Where to write input i / read output i (NULL before init or out of range). */",
              f"{_io_ctype(graph, graph.inputs)} *{prefix}_input(int32_t i);",
              f"const {_io_ctype(graph, graph.outputs)} *{prefix}_output(int32_t i);",
              f"uint32_t {prefix}_input_bytes(int32_t i);",
              f"uint32_t {prefix}_output_bytes(int32_t i);",
              "/* Run every step once; OK or an error code. */",
              f"int32_t {prefix}_invoke(void);",
              "/* Name of step i (the IR op it executes), NULL out of range. */",
              f"const char *{prefix}_step_name(int32_t i);", "",
              "#ifdef __cplusplus", "}", "#endif", "", f"#endif /* {up}_MODEL_H */", ""]
    return "\n".join(lines)


def _table(kind: str, ctype: str, values: list[str]) -> str:
    return f"static const {ctype} s_{kind}[] = {{{', '.join(values)}}};\n"


def _model_c(graph: Graph, em: _Emitter, prefix: str, steps: list[Step],
             headers: list[str]) -> str:
    up = prefix.upper()
    plan = em.plan
    in_offs = [f"{plan.offsets[n]}u" for n in graph.inputs]
    out_offs = [f"{plan.offsets[n]}u" for n in graph.outputs]
    in_bytes = [f"{graph.tensors[n].nbytes}u" for n in graph.inputs]
    out_bytes = [f"{graph.tensors[n].nbytes}u" for n in graph.outputs]
    names = [_c_string(s.name) for s in steps] or ['""']
    parts = [
        f"/* Generated by tinyprune from model {_c_comment(graph.name)}. Do not edit.",
        f" * {len(steps)} steps, arena {plan.arena_bytes} bytes, weights {em.weights_bytes} "
        "bytes. */",
        '#include "model.h"', f'#include "{ENGINE_HEADER}"',
        *[f'#include "{h}"' for h in headers if h == "tp_engine_s8.h"], "",
        "#include <float.h>", "#include <stddef.h>", "",
        "#ifdef TP_PROFILE_HOOK",
        "void TP_PROFILE_HOOK(int32_t step);",
        "#define TP_STEP_DONE(i) TP_PROFILE_HOOK(i)",
        "#else",
        "#define TP_STEP_DONE(i) ((void)0)",
        "#endif", "",
        "/* Word-aligned constant tables (a kernel may read them with LDRD). */",
        "#ifdef __GNUC__",
        "#define TP_ALIGNED4 __attribute__((aligned(4)))",
        "#else",
        "#define TP_ALIGNED4",
        "#endif", "",
        "static uint8_t *s_arena;",
        "#define TP_ARENA_PTR(offset) ((void *)(s_arena + (offset)))",
        "#define TP_ARENA_F32(offset) ((float *)TP_ARENA_PTR(offset))",
        "#define TP_ARENA_S8(offset) ((int8_t *)TP_ARENA_PTR(offset))", "",
        "#ifndef TP_NO_STATIC_ARENA",
        "#ifdef __GNUC__",
        f"static uint32_t s_static_arena[({up}_ARENA_SIZE + 3u) / 4u] "
        "__attribute__((aligned(8)));",
        "#else",
        f"static uint32_t s_static_arena[({up}_ARENA_SIZE + 3u) / 4u];",
        "#endif",
        "#endif", "",
        _table("input_offsets", "uint32_t", in_offs),
        _table("output_offsets", "uint32_t", out_offs),
        _table("input_bytes", "uint32_t", in_bytes),
        _table("output_bytes", "uint32_t", out_bytes),
        _table("step_names", "char *const", names),
        "".join(em.const_defs),
        "\n".join(em.step_defs),
        f"int32_t {prefix}_init(void *arena, uint32_t arena_size)",
        "{",
        "    if (arena == NULL) {",
        "#ifdef TP_NO_STATIC_ARENA",
        f"        return {up}_ERR_NO_ARENA;",
        "#else",
        "        s_arena = (uint8_t *)(void *)s_static_arena;",
        f"        return {up}_OK;",
        "#endif",
        "    }",
        f"    if (arena_size < {up}_ARENA_SIZE) {{",
        f"        return {up}_ERR_ARENA_TOO_SMALL;",
        "    }",
        "    /* float loads from a misaligned address fault on Cortex-M7. */",
        "    if (((uintptr_t)arena & 3u) != 0u) {",
        f"        return {up}_ERR_ARENA_ALIGNMENT;",
        "    }",
        "    s_arena = (uint8_t *)arena;",
        f"    return {up}_OK;",
        "}", "",
        f"{_io_ctype(graph, graph.inputs)} *{prefix}_input(int32_t i)",
        "{",
        f"    if (s_arena == NULL || i < 0 || i >= {up}_NUM_INPUTS) {{",
        "        return NULL;",
        "    }",
        f"    return ({_io_ctype(graph, graph.inputs)} *)TP_ARENA_PTR(s_input_offsets[i]);",
        "}", "",
        f"const {_io_ctype(graph, graph.outputs)} *{prefix}_output(int32_t i)",
        "{",
        f"    if (s_arena == NULL || i < 0 || i >= {up}_NUM_OUTPUTS) {{",
        "        return NULL;",
        "    }",
        f"    return (const {_io_ctype(graph, graph.outputs)} *)"
        "TP_ARENA_PTR(s_output_offsets[i]);",
        "}", "",
        f"uint32_t {prefix}_input_bytes(int32_t i)",
        "{",
        f"    return (i < 0 || i >= {up}_NUM_INPUTS) ? 0u : s_input_bytes[i];",
        "}", "",
        f"uint32_t {prefix}_output_bytes(int32_t i)",
        "{",
        f"    return (i < 0 || i >= {up}_NUM_OUTPUTS) ? 0u : s_output_bytes[i];",
        "}", "",
        f"const char *{prefix}_step_name(int32_t i)",
        "{",
        f"    return (i < 0 || i >= {up}_NUM_STEPS) ? NULL : s_step_names[i];",
        "}", "",
        f"int32_t {prefix}_invoke(void)",
        "{",
        "    if (s_arena == NULL) {",
        f"        return {up}_ERR_NOT_INITIALIZED;",
        "    }",
        "    TP_STEP_DONE(-1);",
        "".join(em.calls) + f"    return {up}_OK;",
        "}", "",
    ]
    return "\n".join(parts)
