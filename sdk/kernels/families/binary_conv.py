"""BinaryConv2D: a convolution with binary (+1/-1) weights, on binary or int8 input.

Inputs ``[x, w, t]``: x NHWC ``"binary"`` (or ``"int8"``, a first layer: additions and
subtractions of the centered input ``x_q - zero_point`` only), w OHWI binary (storage
``"bitpacked"``, :mod:`sdk.kernels.bitpack`), t int32 per output channel. The window's
``dot = sum x * w``; a padded position of a binary input is -1 (counted, it adds -sum(w)), of an
int8 input the zero point (it adds 0).

- binary output: ``+1`` iff ``dot >= t[o]`` (batch norm and sign folded into the threshold;
  a negative batch-norm scale has its channel's weights and threshold negated at export);
- int8 output: ``t`` is a bias, the real output ``s[o] * (dot + t[o])`` with ``s`` the weights'
  per-channel scale (times the int8 input's scale), requantized as int8 convolutions are
  (TFLite rounding), then the ``activation``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir.graph import Op
from sdk.ir.ops import OpSpec, register_op, window_output
from sdk.ir.tensor import QuantParams
from sdk.kernels.bitpack import graph_word_bits, pack_bits, words_per_group
from sdk.kernels.families.binary_conv_oc import oc_bounds, oc_filter
from sdk.kernels.program import KernelCall, LowerContext, geometry, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import SCRATCH, ConstTable, Int, Struct, struct
from sdk.quant import layer_params as lp
from sdk.reference.common import pad_nhwc, sliding_windows
from sdk.reference.context import RefContext

# The real value of a padded binary input position (all its bits 0).
BINARY_PAD = -1


def _shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    x, w, t = ins
    if len(x) != 4:
        raise ShapeError(f"BinaryConv2D: expected an NHWC input of rank 4, got {list(x)}")
    if len(w) != 4 or w[3] != x[3]:
        raise ShapeError(f"BinaryConv2D: weights must be OHWI with {x[3]} input channels, "
                         f"got {list(w)}")
    if tuple(t) != (w[0],):
        raise ShapeError(f"BinaryConv2D: thresholds must be [{w[0]}], got {list(t)}")
    sh, sw = attrs["stride"]
    pt, pb, pl, pr = attrs["padding"]
    if min(sh, sw) < 1 or min(pt, pb, pl, pr) < 0:
        raise ShapeError(f"BinaryConv2D: stride {[sh, sw]} must be at least 1 and padding "
                         f"{[pt, pb, pl, pr]} not negative")
    oh = window_output(x[1], w[1], sh, pt, pb)
    ow = window_output(x[2], w[2], sw, pl, pr)
    if oh <= 0 or ow <= 0:
        raise ShapeError(f"BinaryConv2D: window {w[1]}x{w[2]} does not fit input {list(x)}")
    return (x[0], oh, ow, w[0])


def _macs(ins: list[tuple[int, ...]], out: tuple[int, ...], attrs: dict) -> int:
    w = ins[1]
    return out[0] * out[1] * out[2] * out[3] * w[1] * w[2] * w[3]


SPEC = register_op(OpSpec("BinaryConv2D", 3, 3, ("stride", "padding"), _shape, _macs))


def binary_output(ctx: RefContext, dot: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The op's output from its dot products: +1/-1 by threshold (binary output) or the
    requantized ``dot + bias`` (int8 output)."""
    if ctx.graph.tensors[ctx.out].dtype == "binary":
        return np.where(dot >= t, 1, -1).astype(np.int64)
    return ctx.requantize(dot + t, *int8_multipliers(ctx, t.shape[0]))


def int8_multipliers(ctx: RefContext, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(multipliers, shifts)`` of the int8 output: input scale (1 for a binary
    input) times the weights' scale over the output scale."""
    x = ctx.graph.tensors[ctx.op.inputs[0]]
    inq = ctx.per_tensor(x.name) if x.dtype == "int8" else QuantParams(np.ones(1), np.zeros(1))
    return lp.conv_multipliers(inq, ctx.quant(ctx.op.inputs[1]), ctx.per_tensor(ctx.out),
                               channels)


def centered(ctx: RefContext, x: np.ndarray) -> tuple[np.ndarray, int]:
    """The input as the dot product sees it and the value of a padded position: binary as
    is (-1), int8 minus its zero point (0)."""
    if ctx.graph.tensors[ctx.op.inputs[0]].dtype == "binary":
        return x.astype(np.int64), BINARY_PAD
    return ctx.centered_input(x).astype(np.int64), 0


def conv_dot(ctx: RefContext, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """[N, OH, OW, O] dot products of the padded input's windows with filter ``w``."""
    xc, fill = centered(ctx, x)
    win = sliding_windows(pad_nhwc(xc, ctx.attrs["padding"], fill), w.shape[1], w.shape[2],
                          ctx.attrs["stride"], ctx.out_shape[1:3])
    return np.einsum("nhwijc,oijc->nhwo", win, w.astype(np.int64))


def reference(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """Window dot products of x and the binary filter, then threshold or requantize."""
    return binary_output(ctx, conv_dot(ctx, args[0], args[1]), args[2].astype(np.int64))



def word_table(ctx: LowerContext, name: str, group: int | None = None,
               flat: bool = False) -> ConstTable:
    """Binary constant ``name`` bit-packed in the graph's word (one table per model): along
    its last axis in groups, or (``flat``, the int8-input kernels) as one bit string per
    output over all its other axes."""
    word = graph_word_bits(ctx.graph.metadata)
    t = ctx.graph.tensors[name]
    data = t.const_data()
    if flat:
        data = data.reshape(data.shape[0], -1)
    packed = pack_bits(data, word, None if flat else group).ravel()
    how = "one bit string per output" if flat else "bit-packed"
    return ConstTable(f"uint{word}", packed, f"{name} {list(t.shape)} {how} in {word}-bit "
                      "words", key=f"{name}/{'flat' if flat else 'bitpacked'}", aligned=True,
                      weight_bits=True)


def threshold_tables(ctx: LowerContext, op: Op, terms: int
                     ) -> tuple[str, ConstTable, Struct | None, int]:
    """The output stage of a binary op with ``terms`` real terms per dot product: its kernel
    name suffix ("b1" or "s8"), the table (popcount limits for a binary input and output,
    thresholds for an int8 input, biases for an int8 output), the int8 output's
    tp_channel_quant (None for a binary output) and output offset."""
    g = ctx.graph
    t = g.tensors[op.inputs[2]].const_data().astype(np.int64)
    binary_in = g.tensors[op.inputs[0]].dtype == "binary"
    if g.tensors[op.outputs[0]].dtype == "binary":
        if binary_in:  # +1 iff terms - 2 * popcount >= t, i.e. popcount <= (terms - t) // 2
            limit = np.clip((terms - t) // 2, -1, terms)
            return "b1", ConstTable("int32", limit.astype(np.int32),
                                    "largest popcount of +1", "limit"), None, 0
        return "b1", ConstTable("int32", t.astype(np.int32), "thresholds", "threshold"), None, 0
    bound = int(np.max(np.abs(t))) + terms * (1 if binary_in else 255)
    if bound >= 2**31:
        raise UnsupportedError(f"op {op.name} ({op.type}): biases up to {int(np.max(np.abs(t)))}"
                               f" with {terms} terms overflow the int32 accumulator")
    x = g.tensors[op.inputs[0]]
    inq = ctx.per_tensor(op, x.name) if x.dtype == "int8" else QuantParams(np.ones(1),
                                                                             np.zeros(1))
    outq = ctx.per_tensor(op, op.outputs[0])
    m, shifts = lp.conv_multipliers(inq, ctx.quant(op, op.inputs[1]), outq, t.size)
    quant = struct("tp_channel_quant", "quant",
                   multiplier=ConstTable("int32", m.astype(np.int32), "multipliers",
                                         "multiplier"),
                   shift=ConstTable("int8", shifts.astype(np.int8), "shifts", "shift"))
    return "s8", ConstTable("int32", t.astype(np.int32), "biases", "bias"), quant, \
        int(outq.zero_point[0])


def activation(ctx: LowerContext, op: Op) -> Struct:
    """The int8 output's clamp (the whole int8 range for a binary output)."""
    if ctx.graph.tensors[op.outputs[0]].dtype == "binary":
        return struct("tp_activation_s8", min=-128, max=127)
    return ctx.act_s8(op)


def kernel_name(op_kind: str, ctx: LowerContext, op: Op, out: str) -> str:
    """tp_binary_<op_kind>_b1 (binary input and output), _b1_s8 (binary input, int8 output),
    _s8in_b1 or _s8in_s8 (int8 input)."""
    binary_in = ctx.graph.tensors[op.inputs[0]].dtype == "binary"
    if binary_in:
        return f"tp_binary_{op_kind}_b1" + ("_s8" if out == "s8" else "")
    return f"tp_binary_{op_kind}_s8in_{out}"


def conv_scratch(filter_shape: tuple[int, ...], binary_input: bool, word_bits: int) -> int:
    """Bytes of the window (twin of tp_binary_conv_*_get_buffer_size): kh x kw pixels of packed
    words for a binary input, kh x kw x c int16 values for an int8 one."""
    _, kh, kw, c = filter_shape
    if binary_input:
        return kh * kw * words_per_group(c, word_bits) * word_bits // 8
    return kh * kw * c * 2


# The MSP430's int8-input path tables the window's values in groups of 3 (dot in 16 bits).
MSP430_S8IN_MAX_K = 128


def s8in_b1_scratch(filter_shape: tuple[int, ...], binary_input: bool, word_bits: int) -> int:
    """Bytes of tp_binary_conv_s8in_b1's scratch (twin of its _get_buffer_size): on the MSP430
    (16-bit words) for k <= 128, 8 int16 sums per group of 3 values, an int16 table offset per
    channel and group, the 16-bit thresholds and a k-byte border window; else the window as
    int16."""
    o, kh, kw, c = filter_shape
    k = kh * kw * c
    if word_bits != 16 or k > MSP430_S8IN_MAX_K:
        return conv_scratch(filter_shape, binary_input, word_bits)
    groups = (k + 2) // 3
    return (groups * 8 + o * groups + o) * 2 + k + (k & 1)


def _scratch_of(name: str) -> Callable[[tuple[int, ...], bool, int], int]:
    return s8in_b1_scratch if name == "tp_binary_conv_s8in_b1" else conv_scratch


def _conv_kernel(name: str) -> CKernel:
    return CKernel(name, B1_HEADERS, scratch=_scratch_of(name))


B1_HEADERS = ("tp_engine_b1.h",)
CONV_KERNELS = {name: _conv_kernel(name) for name in (
    "tp_binary_conv_b1_oc", "tp_binary_conv_b1_s8",
    "tp_binary_conv_s8in_b1", "tp_binary_conv_s8in_s8")}


def lower(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_binary_conv_*(params, [quant,] in dims, input, filter dims, filter, thresholds /
    biases, out dims, output, scratch); a binary input and output: tp_binary_conv_b1_oc."""
    ctx.check_window(op)
    g = ctx.graph
    w = g.tensors[op.inputs[1]]
    binary_in = g.tensors[op.inputs[0]].dtype == "binary"
    _, kh, kw, c = w.shape
    out, table, quant, out_off = threshold_tables(ctx, op, kh * kw * c)
    din, dout = ctx.io_dims(op)
    dfilt = ctx.dims("filter", w.shape)
    in_off = 0 if binary_in else -int(ctx.per_tensor(op, op.inputs[0]).zero_point[0])
    params = struct("tp_binary_conv_params", "params", **geometry(op), input_offset=in_off,
                    output_offset=out_off, activation=activation(ctx, op))
    word = graph_word_bits(g.metadata)
    if binary_in and out == "b1":
        return oc_call(ctx, op, w.const_data(), table.data.astype(np.int64) + 1,
                       (params, din, dout, dfilt), word)
    filt = word_table(ctx, op.inputs[1], flat=not binary_in)
    head = (params,) if quant is None else (params, quant)
    args = (*head, din, ctx.tensor(op.inputs[0]), dfilt, filt, table, dout,
            ctx.tensor(op.outputs[0]), SCRATCH)
    name = kernel_name("conv", ctx, op, out)
    return simple_call(ctx, op, CONV_KERNELS[name], args,
                       (*head[1:], filt, table, din, dout, dfilt, params),
                       scratch_bytes=_scratch_of(name)(w.shape, binary_in, word),
                       size_args=(dfilt,))


def oc_call(ctx: LowerContext, op: Op, weights: np.ndarray, bound: np.ndarray,
            statics: tuple[Struct, ...], word: int) -> KernelCall:
    """tp_binary_conv_b1_oc(params, in dims, input, filter dims, filter, bounds, planes,
    out dims, output, scratch): filters (+1/-1 OHWI ``weights``) packed along output
    channels; ``bound`` = popcount limit + 1 per channel."""
    params, din, dout, dfilt = statics
    w = ctx.graph.tensors[op.inputs[1]]
    words = oc_filter(weights, word)
    filt = ConstTable(f"uint{word}", words.ravel(), f"{w.name} {list(weights.shape)} packed "
                      f"along output channels in {word}-bit words", "lanes", aligned=True,
                      weight_bits=True)
    _, kh, kw, c = weights.shape
    planes_words, planes = oc_bounds(bound, kh * kw * c, word)
    bounds = ConstTable(f"uint{word}", planes_words.ravel(), "bounds, bit-sliced", "bounds")
    args = (params, din, ctx.tensor(op.inputs[0]), dfilt, filt, bounds, Int(planes), dout,
            ctx.tensor(op.outputs[0]), SCRATCH)
    return simple_call(ctx, op, CONV_KERNELS["tp_binary_conv_b1_oc"], args,
                       (filt, bounds, din, dout, dfilt, params),
                       scratch_bytes=conv_scratch(weights.shape, True, word), size_args=(dfilt,))


for _act in ("binary", "int8"):
    register_family(Family("BinaryConv2D", _act, "binary", "bitpacked", reference, lower, None))
