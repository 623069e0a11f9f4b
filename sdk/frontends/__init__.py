"""Frontends: turn models from other frameworks into the tinyprune IR (and back).

Each frontend lives in its own module so that importing one never pulls in another
framework: ``sdk.frontends.pytorch`` (``from_torch``; needs the ``train`` extra),
``sdk.frontends.tflite`` and ``sdk.frontends.tflite_export`` (the ``interop`` extra), and
``sdk.frontends.load`` (open a ``.tpm`` or ``.tflite`` file by its suffix).
"""
