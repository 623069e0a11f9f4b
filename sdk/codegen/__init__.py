"""C code generation: memory planning, model.c/model.h printing, export for product builds."""

from sdk.codegen.export import export_model
from sdk.codegen.generate import DEFAULT_PREFIX, GeneratedModel, Step, generate_model
from sdk.codegen.memory_planner import ALIGNMENT, MemoryPlan, plan_memory

__all__ = ["ALIGNMENT", "DEFAULT_PREFIX", "GeneratedModel", "MemoryPlan", "Step",
           "export_model", "generate_model", "plan_memory"]
