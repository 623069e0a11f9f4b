"""PyTorch frontend: an ``nn.Module`` of standard layers becomes an IR graph.

The module is traced with ``torch.fx.symbolic_trace`` and run once on a zero input to learn
every node's shape (:mod:`.trace`); then the traced graph is walked node by node
(:mod:`.walk`). Each node is

- converted to an IR op (Conv2d, Linear, pools, flatten/view, ``+``, softmax),
- folded into the op that produces its input (BatchNorm with its running statistics;
  ReLU/ReLU6 into the producer's ``activation``),
- removed (Dropout in eval mode, Identity, ``contiguous``),
- or evaluated to a constant (shape arithmetic such as ``x.size(0)``);

anything else raises :class:`UnsupportedError` naming the module path and type (or the
function and node). Which converter handles a node is looked up in the tables of
:mod:`.table` (module class, function, or method name), so supporting another PyTorch layer
is one converter and one table entry.

Layouts change on the way: PyTorch is NCHW and the IR is NHWC, so convolution weights become
OHWI (``[1, kh, kw, C*M]`` for depthwise), and a Linear that reads a flattened feature map has
its weight columns permuted from PyTorch's (C, H, W) flatten order to the IR's (H, W, C)
order. A convolution or linear layer without bias gets no bias input in the IR (the IR's bias
is optional); folding a BatchNorm into it adds one.
"""

from sdk.frontends.pytorch.trace import from_torch

__all__ = ["from_torch"]
