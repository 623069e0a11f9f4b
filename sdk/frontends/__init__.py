"""Frontends: turn models from other frameworks into the tinyprune IR.

Each frontend lives in its own module so that importing one never pulls in another
framework: ``sdk.frontends.pytorch`` (``from_torch``, needs the ``train`` extra).
"""
