"""The IR's operators: their attributes, shape inference and cost.

Each op type has an :class:`OpSpec` that knows which inputs it takes, which attributes it
requires, how to infer the output shape, and how many multiply-accumulates it performs. The
built-in types are below; :func:`register_op` adds one (a kernel family for a new op brings
its spec along, so no table here is edited).
Padding is stored per side ``[top, bottom, left, right]`` because TFLite's stride-2 SAME
padding is asymmetric.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sdk.errors import ShapeError

ACTIVATIONS = ("none", "relu", "relu6")


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TFLite/TensorFlow SAME padding ``(before, after)`` for one spatial dimension.

    The output has ``ceil(size / stride)`` elements; when the total padding is odd the extra
    element goes after, as in TensorFlow.
    """
    eff = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def window_output(size: int, kernel: int, stride: int, pad_before: int, pad_after: int,
                  dilation: int = 1) -> int:
    """Output length of a sliding window (no partial windows)."""
    eff = (kernel - 1) * dilation + 1
    return (size + pad_before + pad_after - eff) // stride + 1


@dataclass(frozen=True)
class OpSpec:
    """What the IR knows about one op type."""

    name: str
    min_inputs: int
    max_inputs: int
    required_attrs: tuple[str, ...]
    infer_shape: Callable[[list[tuple[int, ...]], dict], tuple[int, ...]]
    macs: Callable[[list[tuple[int, ...]], tuple[int, ...], dict], int]


def _nhwc(shape: tuple[int, ...], what: str) -> tuple[int, int, int, int]:
    if len(shape) != 4:
        raise ShapeError(f"{what}: expected an NHWC input of rank 4, got shape {list(shape)}")
    return shape


def _spatial_out(shape: tuple[int, ...], kh: int, kw: int, attrs: dict, what: str,
                 channels: int) -> tuple[int, ...]:
    n, h, w, _ = _nhwc(shape, what)
    sh, sw = attrs["stride"]
    pt, pb, pl, pr = attrs["padding"]
    dh, dw = attrs.get("dilation", (1, 1))
    if min(sh, sw, dh, dw) < 1:
        raise ShapeError(f"{what}: stride {[sh, sw]} and dilation {[dh, dw]} must be at least 1")
    oh = window_output(h, kh, sh, pt, pb, dh)
    ow = window_output(w, kw, sw, pl, pr, dw)
    if oh <= 0 or ow <= 0:
        raise ShapeError(f"{what}: window {kh}x{kw} does not fit input {list(shape)}")
    return (n, oh, ow, channels)


def _conv_shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    x, w = ins[0], ins[1]
    if len(w) != 4:
        raise ShapeError(f"Conv2D: weights must be OHWI of rank 4, got {list(w)}")
    if w[3] != _nhwc(x, "Conv2D")[3]:
        raise ShapeError(f"Conv2D: weights expect {w[3]} input channels, input has {x[3]}")
    return _spatial_out(x, w[1], w[2], attrs, "Conv2D", w[0])


def _conv_macs(ins: list[tuple[int, ...]], out: tuple[int, ...], attrs: dict) -> int:
    w = ins[1]
    return out[0] * out[1] * out[2] * out[3] * w[1] * w[2] * w[3]


def _dw_shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    x, w = ins[0], ins[1]
    mult = attrs.get("depth_multiplier", 1)
    if len(w) != 4 or w[0] != 1:
        raise ShapeError(f"DepthwiseConv2D: weights must be [1, kh, kw, C*M], got {list(w)}")
    if w[3] != _nhwc(x, "DepthwiseConv2D")[3] * mult:
        raise ShapeError(
            f"DepthwiseConv2D: weights have {w[3]} channels, expected {x[3]} x {mult}"
        )
    return _spatial_out(x, w[1], w[2], attrs, "DepthwiseConv2D", w[3])


def _dw_macs(ins: list[tuple[int, ...]], out: tuple[int, ...], attrs: dict) -> int:
    w = ins[1]
    return out[0] * out[1] * out[2] * out[3] * w[1] * w[2]


def _pool_shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    kh, kw = attrs["kernel"]
    return _spatial_out(ins[0], kh, kw, attrs, "Pool2D", ins[0][3] if len(ins[0]) == 4 else 0)


def no_macs(ins: list[tuple[int, ...]], out: tuple[int, ...], attrs: dict) -> int:
    """Cost of ops without multiply-accumulates."""
    return 0


def _dense_shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    x, w = ins[0], ins[1]
    if len(w) != 2:
        raise ShapeError(f"Dense: weights must be [out, in], got {list(w)}")
    if len(x) != 2 or x[1] != w[1]:
        raise ShapeError(f"Dense: input must be [batch, {w[1]}], got {list(x)}")
    return (x[0], w[0])


def _dense_macs(ins: list[tuple[int, ...]], out: tuple[int, ...], attrs: dict) -> int:
    return out[0] * out[1] * ins[1][1]


def _reshape_shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    new = tuple(int(d) for d in attrs["shape"])
    size_in = 1
    for d in ins[0]:
        size_in *= d
    size_out = 1
    for d in new:
        size_out *= d
    if size_in != size_out:
        raise ShapeError(f"Reshape: cannot reshape {list(ins[0])} to {list(new)}")
    return new


def same_shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    """Shape inference of elementwise ops: every input has the output's shape."""
    for s in ins[1:]:
        if s != ins[0]:
            raise ShapeError(f"elementwise op: input shapes differ: {list(ins[0])} vs {list(s)}")
    return ins[0]


OP_SPECS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in (
        OpSpec("Conv2D", 2, 3, ("stride", "padding", "activation"), _conv_shape, _conv_macs),
        OpSpec("DepthwiseConv2D", 2, 3, ("stride", "padding", "activation"), _dw_shape,
               _dw_macs),
        OpSpec("MaxPool2D", 1, 1, ("kernel", "stride", "padding", "activation"), _pool_shape,
               no_macs),
        OpSpec("AvgPool2D", 1, 1, ("kernel", "stride", "padding", "activation"), _pool_shape,
               no_macs),
        OpSpec("Dense", 2, 3, ("activation",), _dense_shape, _dense_macs),
        OpSpec("Reshape", 1, 1, ("shape",), _reshape_shape, no_macs),
        OpSpec("Add", 2, 2, ("activation",), same_shape, no_macs),
        OpSpec("Softmax", 1, 1, ("beta",), same_shape, no_macs),
        # Boundary ops of quantized graphs: float <-> int8 (and int8 -> int8 requantize).
        OpSpec("Quantize", 1, 1, (), same_shape, no_macs),
        OpSpec("Dequantize", 1, 1, (), same_shape, no_macs),
    )
}


def op_spec(name: str) -> OpSpec | None:
    """The spec of op type ``name`` (None when unknown). Op types that kernel families register
    (the binary ones) are loaded on first need, so a model file naming them reads without
    importing their modules first."""
    spec = OP_SPECS.get(name)
    if spec is None:
        import sdk.kernels.families  # noqa: F401  (registers their op types)

        spec = OP_SPECS.get(name)
    return spec


def register_op(spec: OpSpec) -> OpSpec:
    """Add (or replace) the op type ``spec.name``; returns the spec."""
    OP_SPECS[spec.name] = spec
    return spec


def unregister_op(name: str) -> None:
    """Remove op type ``name`` (for tests that register temporary op types)."""
    OP_SPECS.pop(name, None)
