"""Binarized neural networks: quantizers, binary layers, models, training and export to IR.

Needs the ``train`` extra (torch). Import the pieces from their modules:
``sdk.bnn.quantizers`` (STE sign, approx-sign, the int8 input), ``sdk.bnn.layers``
(QuantConv2d, QuantLinear, the batch norm whose sign the export folds), ``sdk.bnn.heads``
(the last layer, int8 or binary), ``sdk.bnn.models`` (the zoo's binary networks),
``sdk.bnn.fit`` (training with the shared loop) and ``sdk.bnn.export`` (torch -> IR).
docs/binary.md states the math.
"""
