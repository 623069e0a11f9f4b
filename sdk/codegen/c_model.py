"""Print ``model.c`` of a planned program: constants, step statics, the invoke, the API.

Knows no kernel: every call is ``function(args...)`` with its arguments printed by
:class:`~sdk.codegen.c_text.ValuePrinter`; named structs become ``static const`` statics of the
step, constant tables ``static const`` arrays (flash, or the weights section of the board's
memory layout). ``PREFIX_check_scratch`` calls each scratch kernel's C ``_get_buffer_size``
with the step's own statics and returns the first step whose planned scratch differs (-1: none);
invoke never calls it, so firmware linked with --gc-sections does not contain it.
"""

from __future__ import annotations

from sdk.codegen.c_header import io_ctype
from sdk.codegen.c_text import ValuePrinter, array_body, c_comment, c_string
from sdk.codegen.memory_planner import MemoryPlan
from sdk.kernels.program import KernelCall, Program, call_tables
from sdk.kernels.values import CTYPES, ConstTable, Struct

ENGINE_HEADER = "tp_engine.h"


def _attribute(section: str | None) -> str:
    return f", section(\"{section}\")" if section else ""


class StepTexts:
    """The constants, statics, calls and scratch checks of the program's steps."""

    def __init__(self, program: Program, plan: MemoryPlan, prefix: str) -> None:
        self.printer = ValuePrinter(program.graph, plan)
        self.plan = plan
        self.up = prefix.upper()
        weights = plan.layout.section("weights") if plan.layout else None
        self.weights_attr = " TP_WEIGHTS" if weights else ""
        self.consts: list[str] = []
        self.bit_tables: list[tuple[str, int]] = []  # (identifier, bytes) of weight bits
        self.statics: list[str] = []
        self.calls: list[str] = []
        self.checks: list[str] = []
        index = 0
        for call in program.calls:
            if call.kernel is not None:
                self.step(index, call)
                index += 1

    def scratch(self, call: KernelCall) -> str | None:
        if call.name not in self.plan.scratch:
            return None
        offset = self.plan.scratch[call.name][0]
        macro = "TP_SCRATCH_PTR" if self.plan.scratch_arena_bytes else "TP_ARENA_PTR"
        return f"{macro}({offset}u)"

    def step(self, index: int, call: KernelCall) -> None:
        s, p, kernel = f"s_step{index}", self.printer, call.kernel
        assert kernel is not None
        for table in call_tables(call):
            if table.key is not None and table.key in p.const_names:
                continue
            ident = p.table_name(table, s)
            what = table.comment if table.key is not None else (
                f"{ident.rsplit('_', 1)[0]} {table.comment}")
            align = " TP_ALIGNED4" if table.aligned else ""
            const = "const"
            if table.weight_bits:
                const = "TP_BITS_CONST"
                self.bit_tables.append((ident, table.nbytes))
            self.consts.append(f"/* {c_comment(what)} */\n"
                               f"static {const} {CTYPES[table.dtype]} {ident}[{table.data.size}]"
                               f"{align}{self.weights_attr} = {array_body(table)};\n")
        names = " + ".join(f"{op.name} ({op.type})" for op in call.ops)
        lines = [f"/* step {index}: {c_comment(names)} */"]
        lines += [f"static const {d.ctype} {s}_{d.name} = {p.init(d, s)};"
                  for d in call.defs if isinstance(d, Struct) and d.name]
        self.statics.append("\n".join(lines) + "\n")
        args = ", ".join(p.value(a, s, self.scratch(call)) for a in call.args)
        self.calls.append(f"    if ({kernel.function}({args}) != TP_OK) {{\n"
                          f"        return {self.up}_ERR_KERNEL;\n    }}\n"
                          f"    TP_STEP_DONE({index});\n")
        if kernel.size_function is not None:
            size_args = ", ".join(p.value(a, s) for a in call.size_args)
            planned = self.plan.scratch.get(call.name, (0, 0))[1]
            self.checks.append(f"    if ({kernel.size_function}({size_args}) != "
                               f"{planned}) {{\n        return {index};\n    }}\n")


def _arena_lines(plan: MemoryPlan, up: str) -> list[str]:
    section = plan.layout.section("arena") if plan.layout else None
    lines = ["#ifndef TP_NO_STATIC_ARENA", "#ifdef __GNUC__",
             f"static uint32_t s_static_arena[({up}_ARENA_SIZE + 3u) / 4u] "
             f"__attribute__((aligned(8){_attribute(section)}));",
             "#else", f"static uint32_t s_static_arena[({up}_ARENA_SIZE + 3u) / 4u];",
             "#endif", "#endif", ""]
    if plan.scratch_arena_bytes:
        section = plan.layout.section("scratch") if plan.layout else None
        lines += ["/* Kernel scratch, in its own memory region (the board's description). */",
                  "#ifdef __GNUC__",
                  f"static uint32_t s_scratch[{-(-plan.scratch_arena_bytes // 4)}u] "
                  f"__attribute__((aligned(8){_attribute(section)}));",
                  "#else", f"static uint32_t s_scratch[{-(-plan.scratch_arena_bytes // 4)}u];",
                  "#endif",
                  "#define TP_SCRATCH_PTR(offset) ((void *)((uint8_t *)s_scratch + (offset)))",
                  ""]
    return lines


def weight_bit_tables(program: Program) -> list[ConstTable]:
    """The packed binary weight tables of ``program`` in the order model.c prints them (each
    graph constant once): the order of ``PREFIX_weight_bits`` and of a bit-error mask."""
    seen: set[str] = set()
    tables: list[ConstTable] = []
    for call in program.calls:
        if call.kernel is None:
            continue
        for table in call_tables(call):
            if table.key is not None:
                if table.key in seen:
                    continue
                seen.add(table.key)
            if table.weight_bits:
                tables.append(table)
    return tables


def _bit_error_lines(st: StepTexts, prefix: str) -> tuple[list[str], list[str]]:
    """(before the tables, after them): binary weights stay in flash unless the firmware is
    built with -DTP_BIT_ERRORS, which puts them in RAM (initialized from flash at startup) and
    adds ``PREFIX_weight_bits(i, &bytes)``, table ``i``'s address and size (NULL past the
    last), so an app can flip their bits (docs/bit_errors.md)."""
    if not st.bit_tables:
        return [], []
    before = ["/* Binary weights: in RAM with -DTP_BIT_ERRORS (bit errors, docs/bit_errors.md). */",
              "#ifdef TP_BIT_ERRORS", "#define TP_BITS_CONST", "#else",
              "#define TP_BITS_CONST const", "#endif", ""]
    n = len(st.bit_tables)
    after = ["#ifdef TP_BIT_ERRORS",
             _table("weight_bits_bytes", "uint32_t", [f"{b}u" for _, b in st.bit_tables]),
             f"static uint8_t *const s_weight_bits[] = "
             f"{{{', '.join(f'(uint8_t *){i}' for i, _ in st.bit_tables)}}};",
             f"uint8_t *{prefix}_weight_bits(int32_t i, uint32_t *bytes);",
             f"uint8_t *{prefix}_weight_bits(int32_t i, uint32_t *bytes)", "{",
             f"    if (i < 0 || i >= {n}) {{", "        return NULL;", "    }",
             "    *bytes = s_weight_bits_bytes[i];", "    return s_weight_bits[i];", "}",
             "#endif", ""]
    return before, after


def _table(kind: str, ctype: str, values: list[str]) -> str:
    return f"static const {ctype} s_{kind}[] = {{{', '.join(values)}}};\n"


def print_model_c(program: Program, plan: MemoryPlan, prefix: str, step_names: list[str],
                  headers: list[str]) -> tuple[str, int]:
    """The text of model.c and its weight bytes; ``headers``: what it includes besides
    model.h and tp_engine.h."""
    graph, up = program.graph, prefix.upper()
    st = StepTexts(program, plan, prefix)
    weights = plan.layout.section("weights") if plan.layout else None
    bits_before, bits_after = _bit_error_lines(st, prefix)
    in_ctype, out_ctype = io_ctype(graph, graph.inputs), io_ctype(graph, graph.outputs)
    parts = [
        f"/* Generated by tinyprune from model {c_comment(graph.name)}. Do not edit.",
        f" * {len(step_names)} steps, arena {plan.arena_bytes} bytes, weights "
        f"{program.weights_bytes} bytes. */",
        '#include "model.h"', f'#include "{ENGINE_HEADER}"',
        *[f'#include "{h}"' for h in headers], "",
        "#include <float.h>", "#include <stddef.h>", "",
        "#ifdef TP_PROFILE_HOOK", "void TP_PROFILE_HOOK(int32_t step);",
        "#define TP_STEP_DONE(i) TP_PROFILE_HOOK(i)", "#else", "#define TP_STEP_DONE(i) ((void)0)",
        "#endif", "",
        "/* Word-aligned constant tables (a kernel may read them with LDRD). */",
        "#ifdef __GNUC__", "#define TP_ALIGNED4 __attribute__((aligned(4)))", "#else",
        "#define TP_ALIGNED4", "#endif", "",
        *([f"/* Weights in the board's {plan.layout.weights if plan.layout else ''} region. */",
           f'#define TP_WEIGHTS __attribute__((section("{weights}")))', ""] if weights else []),
        "static uint8_t *s_arena;",
        "#define TP_ARENA_PTR(offset) ((void *)(s_arena + (offset)))",
        "#define TP_ARENA_F32(offset) ((float *)TP_ARENA_PTR(offset))",
        "#define TP_ARENA_S8(offset) ((int8_t *)TP_ARENA_PTR(offset))", "",
        *_arena_lines(plan, up),
        _table("input_offsets", "uint32_t", [f"{plan.offsets[n]}u" for n in graph.inputs]),
        _table("output_offsets", "uint32_t", [f"{plan.offsets[n]}u" for n in graph.outputs]),
        _table("input_bytes", "uint32_t", [f"{graph.tensors[n].nbytes}u" for n in graph.inputs]),
        _table("output_bytes", "uint32_t",
               [f"{graph.tensors[n].nbytes}u" for n in graph.outputs]),
        _table("step_names", "char *const", [c_string(n) for n in step_names] or ['""']),
        *bits_before,
        "".join(st.consts),
        *bits_after,
        "\n".join(st.statics),
        f"int32_t {prefix}_init(void *arena, uint32_t arena_size)", "{",
        "    if (arena == NULL) {", "#ifdef TP_NO_STATIC_ARENA",
        f"        return {up}_ERR_NO_ARENA;", "#else",
        "        s_arena = (uint8_t *)(void *)s_static_arena;", f"        return {up}_OK;",
        "#endif", "    }",
        f"    if (arena_size < {up}_ARENA_SIZE) {{", f"        return {up}_ERR_ARENA_TOO_SMALL;",
        "    }", "    /* float loads from a misaligned address fault on Cortex-M7. */",
        "    if (((uintptr_t)arena & 3u) != 0u) {", f"        return {up}_ERR_ARENA_ALIGNMENT;",
        "    }", "    s_arena = (uint8_t *)arena;", f"    return {up}_OK;", "}", "",
        f"{in_ctype} *{prefix}_input(int32_t i)", "{",
        f"    if (s_arena == NULL || i < 0 || i >= {up}_NUM_INPUTS) {{", "        return NULL;",
        "    }", f"    return ({in_ctype} *)TP_ARENA_PTR(s_input_offsets[i]);", "}", "",
        f"const {out_ctype} *{prefix}_output(int32_t i)", "{",
        f"    if (s_arena == NULL || i < 0 || i >= {up}_NUM_OUTPUTS) {{", "        return NULL;",
        "    }", f"    return (const {out_ctype} *)TP_ARENA_PTR(s_output_offsets[i]);", "}", "",
        f"uint32_t {prefix}_input_bytes(int32_t i)", "{",
        f"    return (i < 0 || i >= {up}_NUM_INPUTS) ? 0u : s_input_bytes[i];", "}", "",
        f"uint32_t {prefix}_output_bytes(int32_t i)", "{",
        f"    return (i < 0 || i >= {up}_NUM_OUTPUTS) ? 0u : s_output_bytes[i];", "}", "",
        f"const char *{prefix}_step_name(int32_t i)", "{",
        f"    return (i < 0 || i >= {up}_NUM_STEPS) ? NULL : s_step_names[i];", "}", "",
        f"int32_t {prefix}_invoke(void)", "{", "    if (s_arena == NULL) {",
        f"        return {up}_ERR_NOT_INITIALIZED;", "    }", "    TP_STEP_DONE(-1);",
        "".join(st.calls) + f"    return {up}_OK;", "}", "",
        f"int32_t {prefix}_check_scratch(void)", "{",
        "".join(st.checks) + "    return -1;", "}", "",
    ]
    return "\n".join(parts), program.weights_bytes
