"""Bit errors in a binary network: independent flips of stored bits, with separate 0 -> 1 and
1 -> 0 rates, in the packed weights (and, on the host, in the binary activations).

The model (docs/bit_errors.md): every real bit of a binary weight tensor, packed as the IR
packs it (:mod:`sdk.kernels.bitpack`: bit 1 = +1, bit 0 = -1; channel-padding bits hold no
weight and never flip), flips independently: a 0 with probability ``p01``, a 1 with
probability ``p10``. One seeded generator decides every flip: numpy's PCG64
(``numpy.random.default_rng(seed)``) draws one uniform number in [0, 1) per real bit, tensor
by tensor in the order the ops use them (each tensor once), within a tensor in the row-major
order of its IR shape (OHWI or [O, K]), which is the order of its real bits in the packed
words; the bit flips when its number is below its rate. So a seed names one corrupted model.

The device (``qemu_m7``, :mod:`host.bit_errors_device`) receives the same flips as a mask: the
XOR of the weight tables the code generator prints for the clean and for the corrupted graph,
in its own layouts, which the firmware XORs into its RAM copy of the binary weights before
the first inference; its outputs equal the reference's on the corrupted graph bit for bit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sdk.errors import TinypruneError, UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.kernels.bitpack import graph_word_bits, pack_bits, unpack_bits

BINARY_WEIGHT_OPS = ("BinaryConv2D", "BinaryDense")


@dataclass(frozen=True)
class BitErrorRates:
    """The probability that a stored 0 reads as 1 (``p01``) and that a 1 reads as 0
    (``p10``); :meth:`symmetric` gives both the same bit error rate."""

    p01: float
    p10: float

    def __post_init__(self) -> None:
        for name, p in (("p01", self.p01), ("p10", self.p10)):
            if not 0.0 <= p <= 1.0:
                raise TinypruneError(f"bit error rate {name} = {p}: expected a probability "
                                     "in [0, 1]")

    @classmethod
    def symmetric(cls, rate: float) -> BitErrorRates:
        """Both directions at ``rate``."""
        return cls(rate, rate)


@dataclass
class FlipCount:
    """Real bits seen and flips made, by direction."""

    bits: int = 0
    zeros: int = 0
    flipped01: int = 0
    flipped10: int = 0

    @property
    def ones(self) -> int:
        """Bits that were 1."""
        return self.bits - self.zeros

    def add(self, bits: np.ndarray, flips: np.ndarray) -> None:
        """Count the flips ``flips`` (bool) of the bits ``bits`` (bool, True = 1)."""
        self.bits += bits.size
        self.zeros += int(np.count_nonzero(~bits))
        self.flipped01 += int(np.count_nonzero(flips & ~bits))
        self.flipped10 += int(np.count_nonzero(flips & bits))

    def to_dict(self) -> dict:
        """For JSON."""
        return {"bits": self.bits, "zeros": self.zeros, "flipped01": self.flipped01,
                "flipped10": self.flipped10}


def flips_of(bits: np.ndarray, rates: BitErrorRates, rng: np.random.Generator) -> np.ndarray:
    """Which of ``bits`` (bool, True = 1, in the order the flips are drawn) flip: one uniform
    draw per bit, below ``p10`` for a 1 and below ``p01`` for a 0."""
    u = rng.random(bits.shape)
    return np.where(bits, u < rates.p10, u < rates.p01)


def flip_packed(words: np.ndarray, length: int, word_bits: int, group: int | None,
                rates: BitErrorRates, rng: np.random.Generator,
                count: FlipCount | None = None) -> np.ndarray:
    """Packed words (:func:`sdk.kernels.bitpack.pack_bits`, ``length`` values per row in
    groups of ``group``) with their real bits flipped; the padding bits stay 0."""
    values = unpack_bits(words, length, word_bits, group)
    bits = values > 0
    flips = flips_of(bits, rates, rng)
    if count is not None:
        count.add(bits, flips)
    mask = pack_bits(np.where(flips, 1, -1).astype(np.int8), word_bits, group)
    return np.bitwise_xor(np.asarray(words), mask)


def binary_weights(graph: Graph) -> list[tuple[str, int]]:
    """The binary weight tensors in the order the ops first use them, with the packing group
    of each (a convolution's input channels, a dense layer's ``group``)."""
    seen: dict[str, int] = {}
    for op in graph.ops:
        if op.type not in BINARY_WEIGHT_OPS:
            continue
        w = graph.tensors[op.inputs[1]]
        if w.dtype == "binary" and w.name not in seen:
            seen[w.name] = int(op.attrs.get("group", w.shape[-1])) if op.type == "BinaryDense" \
                else int(w.shape[-1])
    return list(seen.items())


@dataclass
class Injection:
    """A corrupted copy of a graph and the flips made, per weight tensor and in total."""

    graph: Graph
    total: FlipCount = field(default_factory=FlipCount)
    tensors: dict[str, FlipCount] = field(default_factory=dict)


def inject_weight_errors(graph: Graph, rates: BitErrorRates, seed: int) -> Injection:
    """A copy of ``graph`` whose binary weights went through :func:`flip_packed` (in the
    graph's packing word) with the generator seeded by ``seed`` (see the module docstring)."""
    names = binary_weights(graph)
    if not names:
        raise UnsupportedError(f"bit errors in model {graph.name}: it has no binary weights "
                               "(BinaryConv2D or BinaryDense)")
    out = copy.deepcopy(graph)
    word = graph_word_bits(graph.metadata)
    rng = np.random.default_rng(seed)
    result = Injection(out)
    for name, group in names:
        t = out.tensors[name]
        w = t.const_data()
        count = FlipCount()
        words = flip_packed(pack_bits(w, word, group), w.shape[-1], word, group, rates, rng,
                            count)
        t.data = unpack_bits(words, w.shape[-1], word, group).reshape(w.shape)
        result.tensors[name] = count
        for key in ("bits", "zeros", "flipped01", "flipped10"):
            setattr(result.total, key, getattr(result.total, key) + getattr(count, key))
    return result


def activation_errors(graph: Graph, rates: BitErrorRates,
                      seed: int) -> Callable[[Op, np.ndarray], np.ndarray]:
    """An ``after_op`` hook for :func:`sdk.reference.int8_executor.run_int8` that flips the
    bits of every binary activation an op outputs (host reference only: the device's
    activations live in its arena). Its own generator, seeded by ``seed``, draws in execution
    order, op by op, over the output's elements in row-major order."""
    rng = np.random.default_rng(seed)

    def hook(op: Op, value: np.ndarray) -> np.ndarray:
        if graph.tensors[op.outputs[0]].dtype != "binary":
            return value
        bits = value > 0
        return np.where(bits ^ flips_of(bits, rates, rng), 1, -1).astype(value.dtype)

    return hook
