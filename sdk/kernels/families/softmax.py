"""Softmax families: float32 (tp_softmax_f32) and TFLite's int8 softmax (tp_softmax_s8,
output scale 1/256, zero point -128). Both may run in place over their input.

In TFLite's int8 softmax the exponential of a value depends only on its difference from the
row maximum, an integer in [-255, 0]: on the architectures of TABLE_ARCHES the lowering computes
those exponentials once with the reference's own arithmetic (:func:`exp_table`) and
tp_softmax_table_s8 looks them up, bit-exact and at a cost that does not depend on the
scores; elsewhere tp_softmax_s8 computes them as TFLite does."""

from __future__ import annotations

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Op
from sdk.kernels.families.conv2d import S8_HEADERS
from sdk.kernels.program import KernelCall, LowerContext, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import ConstTable, Float, Int, struct
from sdk.quant import layer_params as lp
from sdk.quant.arith import rounding_divide_by_pot
from sdk.quant.arith import saturating_rounding_doubling_high_mul as fixed_mul
from sdk.quant.fixed_point import exp_on_negative_values, get_reciprocal, rescale
from sdk.reference.context import RefContext, activate

F32_KERNEL = CKernel("tp_softmax_f32", in_place_inputs=(0,))
S8_KERNEL = CKernel("tp_softmax_s8", S8_HEADERS,
                    in_place_inputs=(0,))
S8_TABLE_KERNEL = CKernel("tp_softmax_table_s8", S8_HEADERS, in_place_inputs=(0,))
# The engine architectures (graph metadata "arch", which host.build and the NAS budget set)
# whose int8 softmax reads a table: the MSP430, where the fixed-point exponential multiplies
# 32 x 32 bits in software (the table is about 7x faster and smaller than the exponential's
# code), and the host board (no flash limit; its tests run the table). Not the Cortex-M
# (armv7em): there the exponential is a few SMULLs and 416 bytes of code, the table up to
# 1,028 bytes of flash for about 1,100 instructions fewer per inference of the gesture CNN, and
# issue 4's weights target has no room for it. Without "arch" (export, MicroPython modules)
# the exponential is computed.
TABLE_ARCHES = ("msp430", "host")


def reference_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """exp(beta * (x - max)) / sum over the last axis."""
    z = args[0] * ctx.attrs.get("beta", 1.0)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return activate(e / e.sum(axis=-1, keepdims=True), ctx.attrs.get("activation", "none"))


def _check_output(op: Op, q) -> None:
    if int(q.zero_point[0]) != -128 or np.float32(q.scale[0]) != np.float32(1 / 256):
        raise UnsupportedError(f"int8 softmax {op.name} with output scale {q.scale[0]} and "
                               f"zero point {q.zero_point[0]} (TFLite requires 1/256 and -128)")


def reference_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """TFLite's int8 softmax: exp of Q5.26 differences from the row maximum, summed in Q12.19,
    multiplied by the fixed-point reciprocal of the sum."""
    _check_output(ctx.op, ctx.per_tensor(ctx.out))
    p = lp.softmax_params(ctx.per_tensor(ctx.op.inputs[0]), ctx.attrs.get("beta", 1.0))
    x = args[0]
    diff = x - x.max(axis=-1, keepdims=True)
    counted = diff >= p.diff_min
    # MultiplyByQuantizedMultiplierGreaterThanOne: a left shift, then the doubling high multiply.
    scaled = fixed_mul(diff << p.input_left_shift, p.input_multiplier)
    exp = exp_on_negative_values(scaled, lp.SOFTMAX_DIFF_INTEGER_BITS)
    exp_accum = rescale(exp, 0, lp.SOFTMAX_ACCUM_INTEGER_BITS)
    sums = np.where(counted, exp_accum, 0).sum(axis=-1, keepdims=True)
    reciprocal, bits_over_unit = get_reciprocal(sums, lp.SOFTMAX_ACCUM_INTEGER_BITS)
    out = rounding_divide_by_pot(fixed_mul(reciprocal, exp), bits_over_unit + 31 - 8) - 128
    return np.where(counted, np.clip(out, lp.INT8_MIN, lp.INT8_MAX), lp.INT8_MIN)


def exp_table(p: lp.SoftmaxParams) -> np.ndarray:
    """The int32 Q0.31 exponential of every difference ``-d`` from the row maximum, indexed by
    ``d`` in [0, 255], as :func:`reference_s8` computes it (0 for differences below
    ``diff_min``: they do not count), cut after its last non-zero entry and ended by one 0,
    which the kernel reads for every larger difference."""
    d = np.arange(256, dtype=np.int64)
    d = d[-d >= p.diff_min]
    scaled = fixed_mul(-d << p.input_left_shift, p.input_multiplier)
    exp = exp_on_negative_values(scaled, lp.SOFTMAX_DIFF_INTEGER_BITS)
    return np.append(exp[:int(np.flatnonzero(exp)[-1]) + 1], 0).astype(np.int32)


def _rows(ctx: LowerContext, op: Op) -> tuple[Int, Int]:
    y = ctx.graph.tensors[op.outputs[0]]
    return Int(y.size // y.shape[-1]), Int(y.shape[-1])


def lower_f32(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_softmax_f32(params, input, rows, depth, output)."""
    params = struct("tp_softmax_params_f32", "params", beta=Float(op.attrs.get("beta", 1.0)))
    args = (params, ctx.tensor(op.inputs[0]), *_rows(ctx, op), ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, F32_KERNEL, args, (params,))


def lower_s8(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_softmax_table_s8(params, input, rows, depth, output), params the layer's table of
    exponentials (:func:`exp_table`), on the architectures of TABLE_ARCHES; elsewhere
    tp_softmax_s8(params, ...), params TFLite's SoftmaxParams."""
    _check_output(op, ctx.per_tensor(op, op.outputs[0]))
    p = lp.softmax_params(ctx.per_tensor(op, op.inputs[0]), op.attrs.get("beta", 1.0))
    io = (ctx.tensor(op.inputs[0]), *_rows(ctx, op), ctx.tensor(op.outputs[0]))
    if ctx.graph.metadata.get("arch") in TABLE_ARCHES:
        table = exp_table(p)
        exp = ConstTable("int32", table, "Q0.31 exp of each difference -d from the row maximum",
                         "exp_table", aligned=True)
        lut = struct("tp_softmax_table_params_s8", "params", exp_table=exp,
                     table_size=table.size)
        return simple_call(ctx, op, S8_TABLE_KERNEL, (lut, *io), (exp, lut))
    params = struct("tp_softmax_params_s8", "params", input_multiplier=p.input_multiplier,
                    input_left_shift=p.input_left_shift, diff_min=p.diff_min)
    return simple_call(ctx, op, S8_KERNEL, (params, *io), (params,))


register_family(Family("Softmax", "float32", None, None, reference_f32, lower_f32, F32_KERNEL))
register_family(Family("Softmax", "int8", None, None, reference_s8, lower_s8, S8_KERNEL))
