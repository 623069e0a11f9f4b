"""A trained binary network (:mod:`sdk.bnn.models`) as an IR graph, exactly.

Each binary block (``QuantConv2d`` or ``QuantLinear``, then the threshold batch norm) becomes
one ``BinaryConv2D`` / ``BinaryDense`` whose output is +1 iff ``dot >= t[o]``: batch norm plus
sign folded into one integer threshold per channel (docs/binary.md):

* the eval-mode batch norm ``f(d) = (d - mean) g + beta`` is monotone in the integer dot
  product ``d``, so the threshold is the least ``d`` with ``f(d) >= 0``, found by bisection over
  the dot products the layer can produce, evaluating :meth:`eval_output` itself (float32, as
  the model does): the IR decides exactly as the torch model in eval mode, at every ``d``;
* a channel with ``g < 0`` (``f`` decreasing) has its weights negated, so the device only
  compares ``>=``: +1 iff ``-d >= -D`` with ``D`` the largest ``d`` where ``f(d) >= 0``;
* ``g = 0`` (and a channel whose sign never changes over the reachable dot products) is a
  constant channel: ``t = INT32_MIN`` (always +1) or ``INT32_MAX`` (always -1).

Max pools stay after the sign (an OR of bits), Flatten of a binary tensor is a Reshape with the
next dense layer's packing ``group`` set to the channel count, and the dense weights are
permuted from PyTorch's NCHW flattening to the IR's NHWC one. The head becomes a
``BinaryDense`` with an int8 output (per-class scales, :meth:`Head.int8_params`) and a
``Softmax``, or with a binary output.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import sdk.kernels.families  # noqa: F401  (registers the binary ops' specs)
from sdk.bnn.heads import Head
from sdk.bnn.layers import QuantConv2d, QuantLinear, _ThresholdBatchNorm
from sdk.bnn.models import INPUT_SCALE, INPUT_ZERO_POINT, BinaryClassifier
from sdk.errors import UnsupportedError
from sdk.ir import Graph, Op, QuantParams, Tensor
from sdk.quant.arith import INT32_MAX, INT32_MIN

SOFTMAX_OUTPUT = QuantParams(np.array([1.0 / 256.0]), np.array([-128]))


def binary_weights(weight: torch.Tensor) -> np.ndarray:
    """The signs (+1/-1, sign(0) = +1) of latent weights, int8; conv weights as OHWI."""
    w = np.where(weight.detach().numpy() >= 0, 1, -1).astype(np.int8)
    return w.transpose(0, 2, 3, 1) if w.ndim == 4 else w


def fold_thresholds(bn: _ThresholdBatchNorm, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``(flip, t)`` per channel: the weights' sign (+1, or -1 where ``g < 0``) and the int32
    threshold with ``sign(f(d)) = +1`` iff ``flip * d >= t`` for every integer ``|d| <= bound``
    (``f`` the batch norm's eval output; see the module docstring)."""
    gain = bn.gain().numpy()
    flip = np.where(gain < 0, -1, 1).astype(np.int64)

    def positive(d: np.ndarray) -> np.ndarray:
        x = torch.from_numpy((flip * d).astype(np.float32)).reshape(1, -1)
        with torch.no_grad():
            return (bn.eval_output(x) >= 0).numpy()[0]

    channels = gain.size
    lo, hi = np.full(channels, -bound, np.int64), np.full(channels, bound, np.int64)
    always, never = positive(lo), ~positive(hi)
    # Invariant for the others: positive at hi, not at lo.
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        up = positive(mid)
        hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
    t = np.where(always, INT32_MIN, np.where(never, INT32_MAX, hi))
    return flip, t.astype(np.int64)


class _Exporter:
    """Walks the network's modules in order, appending ops to ``graph``."""

    def __init__(self, name: str, input_shape: tuple[int, int, int, int]) -> None:
        _, c, h, w = input_shape
        self.graph = Graph(name)
        self.cur = "input"
        self.graph.add_tensor(Tensor("input", (1, h, w, c), "int8", quant=QuantParams(
            np.array([INPUT_SCALE]), np.array([INPUT_ZERO_POINT]))))
        self.graph.inputs.append("input")
        self.flattened: tuple[int, int, int] | None = None  # (C, H, W) before a Flatten
        self.index = 0

    @property
    def shape(self) -> tuple[int, ...]:
        return self.graph.tensors[self.cur].shape

    @property
    def dtype(self) -> str:
        return self.graph.tensors[self.cur].dtype

    def _new(self, kind: str) -> str:
        self.index += 1
        return f"{kind}{self.index}"

    def _op(self, kind: str, inputs: list[str], out: Tensor, attrs: dict) -> None:
        self.graph.add_tensor(out)
        self.graph.add_op(Op(out.name.replace("/out", ""), kind, [self.cur, *inputs],
                             [out.name], attrs))
        self.cur = out.name

    def _bound(self, terms: int) -> int:
        """Largest |dot| a layer with ``terms`` inputs per output can produce."""
        if self.dtype == "binary":
            return terms
        q = self.graph.tensors[self.cur].qparams()
        zp = int(q.zero_point[0])
        return terms * max(abs(-128 - zp), abs(127 - zp))

    def _consts(self, name: str, w: np.ndarray, flip: np.ndarray, t: np.ndarray,
                wquant: QuantParams | None = None, attrs: dict | None = None) -> list[str]:
        flipped = (w.astype(np.int64) * flip.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.int8)
        meta = {"bitpack_group": attrs["group"]} if attrs and "group" in attrs else {}
        self.graph.add_tensor(Tensor(f"{name}/weights", w.shape, "binary", flipped, wquant,
                                     storage="bitpacked", meta=meta))
        self.graph.add_tensor(Tensor(f"{name}/threshold", t.shape, "int32",
                                     t.astype(np.int32)))
        return [f"{name}/weights", f"{name}/threshold"]

    def conv(self, layer: QuantConv2d, bn: _ThresholdBatchNorm) -> None:
        name = self._new("conv")
        w = binary_weights(layer.weight)
        flip, t = fold_thresholds(bn, self._bound(int(np.prod(w.shape[1:]))))
        stride = tuple(int(s) for s in layer.stride)
        attrs = {"stride": stride, "padding": [layer.pad] * 4, "activation": "none"}
        _, h, wd, _ = self.shape
        oh = (h + 2 * layer.pad - w.shape[1]) // stride[0] + 1
        ow = (wd + 2 * layer.pad - w.shape[2]) // stride[1] + 1
        consts = self._consts(name, w, flip, t)
        self._op("BinaryConv2D", consts, Tensor(f"{name}/out", (1, oh, ow, w.shape[0]), "binary"),
                 attrs)

    def pool(self, layer: nn.MaxPool2d) -> None:
        if layer.kernel_size not in (2, (2, 2)) or layer.stride not in (2, (2, 2)) \
                or layer.padding not in (0, (0, 0)):
            raise UnsupportedError(f"{layer} in a binary network (2x2, stride 2, "
                                   "no padding)")
        _, h, w, c = self.shape
        name = self._new("pool")
        self._op("MaxPool2D", [], Tensor(f"{name}/out", (1, h // 2, w // 2, c), self.dtype),
                 {"kernel": (2, 2), "stride": (2, 2), "padding": [0, 0, 0, 0],
                  "activation": "none"})

    def flatten(self) -> None:
        _, h, w, c = self.shape
        self.flattened = (c, h, w)
        name = self._new("flatten")
        t = self.graph.tensors[self.cur]
        self._op("Reshape", [], Tensor(f"{name}/out", (1, h * w * c), t.dtype, quant=t.quant),
                 {"shape": (1, h * w * c)})

    def _dense_weights(self, layer: nn.Linear) -> tuple[np.ndarray, dict]:
        w = binary_weights(layer.weight)
        attrs: dict = {"activation": "none"}
        if self.flattened is not None:
            c, h, wd = self.flattened
            w = np.ascontiguousarray(w.reshape(-1, c, h, wd).transpose(0, 2, 3, 1)
                                     .reshape(w.shape[0], -1))
            if self.dtype == "binary":
                attrs["group"] = c
            self.flattened = None
        return w, attrs

    def dense(self, layer: QuantLinear, bn: _ThresholdBatchNorm) -> None:
        name = self._new("dense")
        w, attrs = self._dense_weights(layer)
        flip, t = fold_thresholds(bn, self._bound(w.shape[1]))
        consts = self._consts(name, w, flip, t, attrs=attrs)
        self._op("BinaryDense", consts, Tensor(f"{name}/out", (1, w.shape[0]), "binary"), attrs)

    def head(self, head: Head) -> None:
        if head.kind == "binary":
            self.dense(head.linear, head.bn)
            return
        if head.kind != "int8":
            raise UnsupportedError(f"exporting a {head.kind} head (the float "
                                   "twin is for comparison only)")
        name = self._new("dense")
        w, attrs = self._dense_weights(head.linear)
        p = head.int8_params()
        wq = QuantParams(p.scale, np.zeros(p.scale.size, np.int64), 0)
        consts = self._consts(name, w, p.flip, p.bias, wq, attrs)
        self._op("BinaryDense", consts, Tensor(f"{name}/out", (1, w.shape[0]), "int8",
                                              quant=p.output), attrs)
        self._op("Softmax", [], Tensor("softmax/out", (1, w.shape[0]), "int8",
                                       quant=SOFTMAX_OUTPUT), {"beta": 1.0})


def export_binary(model: BinaryClassifier, input_shape: tuple[int, int, int, int],
                  name: str) -> Graph:
    """The IR graph of ``model`` (in eval mode) on NCHW ``input_shape``: int8 input (frames
    in [0, 1] quantized with scale 1/255, zero point -128), binary layers, the head."""
    model.eval()
    ex = _Exporter(name, input_shape)
    mods = [*model.features.children(), *model.classifier.children()]
    i = 0
    while i < len(mods):
        m = mods[i]
        nxt = mods[i + 1] if i + 1 < len(mods) else None
        if isinstance(m, (QuantConv2d, QuantLinear)) and not isinstance(nxt, _ThresholdBatchNorm):
            raise UnsupportedError(f"{type(m).__name__} without the threshold "
                                   "batch norm after it")
        if isinstance(m, QuantConv2d):
            ex.conv(m, nxt)  # type: ignore[arg-type]
            i += 1
        elif isinstance(m, QuantLinear):
            ex.dense(m, nxt)  # type: ignore[arg-type]
            i += 1
        elif isinstance(m, nn.MaxPool2d):
            ex.pool(m)
        elif isinstance(m, nn.Flatten):
            ex.flatten()
        elif isinstance(m, Head):
            ex.head(m)
        else:
            raise UnsupportedError(f"{type(m).__name__} in a binary network")
        i += 1
    ex.graph.outputs.append(ex.cur)
    ex.graph.metadata["binary"] = {"last": model.head.kind}
    ex.graph.validate()
    return ex.graph
