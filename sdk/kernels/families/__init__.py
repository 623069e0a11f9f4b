"""The built-in kernel families, one module per op; each registers itself on import.
The fusion pattern comes first: lowering tries patterns in registration order."""

from sdk.kernels.families import conv2d, conv_chain_s8, convert, dense, depthwise, elementwise, pool, softmax  # noqa: F401
