"""numpy reference executors: the golden models every backend is compared against."""

from sdk.reference.float_executor import run_float
from sdk.reference.int8_executor import run_int8, trace_int8

__all__ = ["run_float", "run_int8", "trace_int8"]
