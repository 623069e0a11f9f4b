"""numpy reference executors: the golden models every backend is compared against."""

from sdk.reference.float_executor import run_float

__all__ = ["run_float"]
