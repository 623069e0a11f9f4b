"""Compression passes over the IR: post-training quantization (``quantize``), its per-layer
report and accuracy helpers (``report``), and quantization-aware fine-tuning in PyTorch
(``qat``, needs the ``train`` extra; import it explicitly)."""

from sdk.compress.quantize import calibrate, quantize_graph

__all__ = ["calibrate", "quantize_graph"]
