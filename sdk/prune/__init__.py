"""Pruning: magnitude (unstructured) masks on a polynomial-decay schedule, channel removal
(Torch-Pruning for PyTorch models, the IR itself for imported graphs) and the criteria that
rank weights and channels.

Pruned weights reach the IR as zeros in the weight tensors, with ``Tensor.mask`` marking the
kept ones and ``graph.metadata["pruning"]`` recording the method, amount and per-layer
sparsity; the mask rides through quantization and ``.tpm`` files unchanged.
"""

from sdk.prune.schedule import PolynomialDecay

__all__ = ["PolynomialDecay"]
