"""The built-in kernel families, one module per op; each registers itself on import.
The fusion pattern comes first: lowering tries patterns in registration order. ``conv_sparse``
and ``dense_sparse`` run pruned layers (the code generator picks them, sdk.kernels.sparse_cost);
``binary_*`` run binarized layers (bit-packed, sdk.kernels.bitpack)."""

from sdk.kernels.families import (  # noqa: F401
    binary_conv,
    binary_dense,
    binary_pool,
    conv2d,
    conv_chain_s8,
    conv_sparse,
    convert,
    dense,
    dense_sparse,
    depthwise,
    elementwise,
    pool,
    softmax,
)
