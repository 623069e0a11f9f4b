"""tinyprune SDK: IR, frontends, reference executors, compression passes and C code generation."""

__version__ = "0.1.0"
