"""Quantization: TFLite's integer arithmetic and the per-op integer parameters derived from it.

``arith`` holds the primitive helpers (quantized multipliers, rounding shifts), ``fixed_point``
gemmlowp's fixed-point exp and reciprocal used by int8 softmax, ``layer_params`` the multipliers,
offsets and clamp bounds of each op as TFLite Micro computes them from the scales.
"""

from sdk.quant.arith import (
    INT32_MAX,
    INT32_MIN,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    quantize_multipliers,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    tflite_round,
)

__all__ = [
    "INT32_MAX", "INT32_MIN", "multiply_by_quantized_multiplier", "quantize_multiplier",
    "quantize_multipliers", "rounding_divide_by_pot", "saturating_rounding_doubling_high_mul",
    "tflite_round",
]
