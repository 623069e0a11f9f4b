"""Kernel families: one registry of what each op does at each precision and storage (Python
reference, lowering, C kernel), and the lowered program the code generator prints.

- :mod:`sdk.kernels.registry`: :class:`Family`, :class:`Pattern`, :class:`CKernel`, lookup;
- :mod:`sdk.kernels.storage`: weight storage objects (dense, sparse_csr) and sparse packing;
- :mod:`sdk.kernels.sparse_cost`: sparse or dense weights per layer, by fitted cost models;
- :mod:`sdk.kernels.values`: printer-neutral argument values;
- :mod:`sdk.kernels.program`: :class:`Program`, :class:`KernelCall`, :func:`lower`;
- :mod:`sdk.kernels.requant`: per-channel requantization and its fast-path proof;
- :mod:`sdk.kernels.families`: the built-in families, one module per op.
"""

from sdk.kernels.program import KernelCall, LowerContext, Program, lower
from sdk.kernels.registry import (
                                  CKernel,
                                  Family,
                                  Pattern,
                                  family_for,
                                  family_key,
                                  register_family,
                                  register_pattern,
                                  registered_families,
                                  registered_patterns,
                                  unregister_family,
)
from sdk.kernels.storage import WeightStorage, register_storage, storage_of

__all__ = ["CKernel", "Family", "KernelCall", "LowerContext", "Pattern", "Program",
           "WeightStorage", "family_for", "family_key", "lower", "register_family",
           "register_pattern", "register_storage", "registered_families",
           "registered_patterns", "storage_of", "unregister_family"]
