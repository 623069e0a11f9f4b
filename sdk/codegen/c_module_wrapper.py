"""Print the MicroPython wrapper of a generated model (``tp_module.c``).

One C file serves both ways of putting the model into MicroPython: a dynamic native module
(compiled with ``py/dynruntime.mk``, ``MICROPY_ENABLE_DYNRUNTIME`` defined, entry ``mpy_init``)
and a user C module compiled into the firmware (``USER_C_MODULES``, registered with
``MP_REGISTER_MODULE``). The functions:

- ``predict(buffer)`` -> ``(class, scores)``: the buffer is the model's input as raw elements
  (int8: ``bytearray``/``bytes``/``array('b')``; float: ``array('f')``), copied into the arena
  once; ``scores`` a tuple of the output's raw values (int8 as ints), ``class`` its argmax;
- ``predict_into(buffer, scores)`` -> class: the same, the output written into the caller's
  ``scores`` buffer; allocates nothing (the class is a small int);
- ``info()`` -> a dict of the model's sizes and tensors.

The arena is a global (not ``static``: mpy_ld accepts no fixed relocation into ``.bss``)
array, so it lives in the module's own RAM, allocated with the module at import time.
Wrong buffer types and sizes raise ``TypeError`` / ``ValueError`` naming the function and
what it expected.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdk.codegen.c_text import c_string
from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph

# Buffer type codes each input/output dtype accepts. bytearray reports typecode 1
# (BYTEARRAY_TYPECODE), bytes and array('B') 'B'; int8 data may come in any of them.
_TYPECODES = {"int8": ("'b'", "'B'", "1"), "float32": ("'f'",)}
_WHAT = {"int8": "int8 (bytearray, bytes or array('b'))", "float32": "float32 (array('f'))"}
_CTYPE = {"int8": "int8_t", "float32": "float"}


@dataclass(frozen=True)
class TensorFacts:
    """What the wrapper checks and reports of one model input or output."""

    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    offset: int

    @property
    def size(self) -> int:
        """Elements."""
        return self.nbytes // (1 if self.dtype == "int8" else 4)


def io_facts(graph: Graph, offsets: dict[str, int]) -> tuple[TensorFacts, TensorFacts]:
    """The single input and output of ``graph`` as the wrapper needs them."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UnsupportedError(f"MicroPython module of {graph.name}: {len(graph.inputs)} inputs "
                               f"and {len(graph.outputs)} outputs (one of each expected)")
    facts = []
    for name in (graph.inputs[0], graph.outputs[0]):
        t = graph.tensors[name]
        if t.dtype not in _TYPECODES:
            raise UnsupportedError(f"MicroPython module of {graph.name}: tensor {name} of dtype "
                                   f"{t.dtype} (int8 or float32 expected)")
        facts.append(TensorFacts(t.dtype, tuple(t.shape), t.nbytes, offsets[name]))
    return facts[0], facts[1]


def _check_buffer(fn: str, t: TensorFacts, what: str) -> str:
    codes = " && ".join(f"info.typecode != {c}" for c in _TYPECODES[t.dtype])
    shape = ", ".join(str(d) for d in t.shape)
    kind = c_string(f"{fn}: {what} must be {_WHAT[t.dtype]}")
    size = c_string(f"{fn}: {what} must be {t.nbytes} bytes ({t.dtype} [{shape}]), got ")
    return f"""static void {fn}_{what}_check(mp_obj_t obj, mp_buffer_info_t *info, mp_uint_t flags)
{{
    if (!mp_get_buffer(obj, info, flags) || ({codes})) {{
        mp_raise_TypeError(MP_ERROR_TEXT({kind}));
    }}
    if (info->len != {t.nbytes}u) {{
        tp_raise_size({size}, info->len);
    }}
}}
""".replace("info.typecode", "info->typecode")


def _argmax(t: TensorFacts) -> str:
    ctype = _CTYPE[t.dtype]
    return f"""static mp_int_t tp_argmax(const {ctype} *out)
{{
    mp_int_t best = 0;
    for (mp_int_t i = 1; i < {t.size}; i++) {{
        if (out[i] > out[best]) {{
            best = i;
        }}
    }}
    return best;
}}
"""


def _shape_table(kind: str, t: TensorFacts) -> str:
    items = ", ".join(f"MP_OBJ_NEW_SMALL_INT({d})" for d in t.shape)
    return f"static const mp_obj_t tp_{kind}_shape[] = {{{items}}};\n"


def _score(dtype: str) -> str:
    return "mp_obj_new_int(out[i])" if dtype == "int8" else "mp_obj_new_float(out[i])"


def _info_items(graph: Graph, arena: int, weights: int, steps: int, inp: TensorFacts,
                out: TensorFacts) -> list[tuple[str, str]]:
    def shape(t: TensorFacts) -> str:
        kind = "input" if t is inp else "output"
        return f"mp_obj_new_tuple({len(t.shape)}, tp_{kind}_shape)"

    def text(s: str) -> str:
        return f"mp_obj_new_str({c_string(s)}, {len(s.encode())})"

    return [("MP_QSTR_model", text(graph.name)),
            ("MP_QSTR_arena", f"mp_obj_new_int({arena})"),
            ("MP_QSTR_weights", f"mp_obj_new_int({weights})"),
            ("MP_QSTR_steps", f"mp_obj_new_int({steps})"),
            ("MP_QSTR_input_shape", shape(inp)), ("MP_QSTR_input_dtype", text(inp.dtype)),
            ("MP_QSTR_output_shape", shape(out)), ("MP_QSTR_output_dtype", text(out.dtype))]


def _gesture_c(prefix: str) -> str:
    """push_sweep and reset: the gesture firmware's per-sweep pipeline (tp_dsp_f32 push, the
    shared time context and model input/output of tp_gesture_io.h, tp_gesture_step) on module
    state."""
    return f"""
#include "gesture_config.h"
#include "tp_dsp.h"
/* tp_gesture_io.h names the input size as the firmware's model (prefix tp_model) does. */
#ifndef TP_MODEL_INPUT0_SIZE
#define TP_MODEL_INPUT0_SIZE {prefix.upper()}_INPUT0_SIZE
#endif
#include "tp_gesture.h"
#include "tp_gesture_io.h"

typedef struct {{
    tp_dsp_f32_state dsp;
    float frame[TP_DSP_BINS][TP_DSP_N];
#if TP_APP_CONTEXT_FRAMES > 1
    tp_gesture_context_t context;
#endif
    float iq[2u * TP_APP_N_DEPTHS];
    int16_t scores[TP_APP_N_CLASSES];
    tp_gesture_t gesture;
    uint8_t ready; /* zero (BSS) until the first push or reset */
}} tp_pipeline_t;

/* Global for the same reason as the arena. */
tp_pipeline_t {prefix}_mp_pipeline;
#define TP_PIPE (&{prefix}_mp_pipeline)
/* Without a time context there is no context state (tp_gesture_io.h never reads it). */
#if TP_APP_CONTEXT_FRAMES > 1
#define TP_CONTEXT (&TP_PIPE->context)
#else
#define TP_CONTEXT ((tp_gesture_context_t *)0)
#endif

static void tp_pipeline_reset(void)
{{
    static const tp_gesture_config_t cfg = {{TP_APP_G_THRESHOLD, TP_APP_G_CONSECUTIVE,
                                            TP_APP_G_REFRACTORY, TP_APP_G_BACKGROUND}};
    tp_dsp_f32_init(&TP_PIPE->dsp);
    tp_gesture_init(&TP_PIPE->gesture, &cfg);
    tp_gesture_context_reset(TP_CONTEXT);
    TP_PIPE->ready = 1u;
}}

static mp_obj_t tp_reset(void)
{{
    tp_pipeline_reset();
    return mp_const_none;
}}
static MP_DEFINE_CONST_FUN_OBJ_0(tp_reset_obj, tp_reset);

/* One radar sweep (int16 I, Q per depth, array('h')): None, or the class of a gesture event.
 * Nothing allocates on this path; an event is a small int. */
static mp_obj_t tp_push_sweep(mp_obj_t sweep_obj)
{{
    mp_buffer_info_t info;
    if (!mp_get_buffer(sweep_obj, &info, MP_BUFFER_READ) || info.typecode != 'h') {{
        mp_raise_TypeError(MP_ERROR_TEXT("push_sweep: sweep must be array('h') of I, Q per depth"));
    }}
    if (info.len != 4u * TP_APP_N_DEPTHS) {{
        tp_raise_size("push_sweep: sweep must be " TP_APP_N_DEPTHS_TEXT
                      " depths x (I, Q) int16, got ", info.len);
    }}
    const int16_t *iq = (const int16_t *)info.buf;
    uint8_t frame_class = TP_GESTURE_NONE;
    int16_t p256 = 0;
    uint8_t event = TP_GESTURE_NONE;
    if (!TP_PIPE->ready) {{
        tp_pipeline_reset();
    }}
    TP_MARK(0);
    for (uint32_t i = 0; i < 2u * TP_APP_N_DEPTHS; ++i) {{
        TP_PIPE->iq[i] = (float)iq[i];
    }}
    if (tp_dsp_f32_push(&TP_PIPE->dsp, TP_PIPE->iq, TP_PIPE->frame)
        && tp_gesture_load_input(TP_CONTEXT, &TP_PIPE->frame[0][0], TP_INPUT)) {{
        if ({prefix}_run(TP_ARENA) != {prefix.upper()}_OK) {{
            mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("push_sweep: a kernel failed"));
        }}
        frame_class = tp_gesture_read_output(TP_OUTPUT, TP_PIPE->scores, &p256);
        /* The detector counts frames, as the firmware's (gesture_app.c). */
        event = tp_gesture_step(&TP_PIPE->gesture, frame_class, p256);
    }}
    TP_MARK(1);
    return event == TP_GESTURE_NONE ? mp_const_none : MP_OBJ_NEW_SMALL_INT(event);
}}
static MP_DEFINE_CONST_FUN_OBJ_1(tp_push_sweep_obj, tp_push_sweep);
"""


def print_wrapper_c(graph: Graph, prefix: str, module: str, arena: int, weights: int,
                    steps: int, offsets: dict[str, int], gesture: bool = False) -> str:
    """The text of tp_module.c for the model of ``prefix`` imported as ``module``;
    ``gesture``: with push_sweep and reset (the sources then hold gesture_config.h and the
    radar preprocessing)."""
    inp, out = io_facts(graph, offsets)
    up = prefix.upper()
    ctype_out = _CTYPE[out.dtype]
    info = "\n".join(f"    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR({key}), {value});"
                     for key, value in _info_items(graph, arena, weights, steps, inp, out))
    funcs = ("predict", "predict_into", "info") + (("push_sweep", "reset") if gesture else ())
    return f"""/* Generated by tinyprune: the MicroPython module {module} of model.c. Do not edit.
 * A dynamic native module with MICROPY_ENABLE_DYNRUNTIME (py/dynruntime.mk), else a user C
 * module compiled into the firmware. */
#ifdef MICROPY_ENABLE_DYNRUNTIME
#include "py/dynruntime.h"
/* The C library of a native module is MicroPython's (the engine's loops may compile to these). */
void *memcpy(void *dst, const void *src, size_t n)
{{
    return mp_fun_table.memmove_(dst, src, n);
}}
void *memset(void *s, int c, size_t n)
{{
    return mp_fun_table.memset_(s, c, n);
}}
/* newlib's libm (linked into ARM modules for expf) reports range errors through errno. */
int {prefix}_mp_errno;
int *__errno(void);
int *__errno(void)
{{
    return &{prefix}_mp_errno;
}}
#else
#include "py/obj.h"
#include "py/runtime.h"
#include <string.h>
#endif

#include "model.h"

int32_t {prefix}_run(uint8_t *arena);

/* Global, not static: a native module may not relocate a static .bss symbol. Allocated with
 * the module (import time), never by a call. */
uint32_t {prefix}_mp_arena[({up}_ARENA_SIZE + 3u) / 4u];

#define TP_ARENA ((uint8_t *){prefix}_mp_arena)
#define TP_INPUT (TP_ARENA + {inp.offset}u)
#define TP_OUTPUT ((const {ctype_out} *)(TP_ARENA + {out.offset}u))

/* A size error with the size received: the message is built here because native modules have
 * no formatted exceptions. */
static void tp_raise_size(const char *text, size_t got)
{{
    char msg[160];
    char digits[24];
    size_t n = 0, k = 0;
    while (text[n] != '\\0' && n < sizeof(msg) - sizeof(digits) - 8u) {{
        msg[n] = text[n];
        n++;
    }}
    do {{
        digits[k++] = (char)('0' + got % 10u);
        got /= 10u;
    }} while (got != 0u);
    while (k != 0u) {{
        msg[n++] = digits[--k];
    }}
    memcpy(msg + n, " bytes", 6);
    n += 6;
    mp_raise_type_arg(&mp_type_ValueError, mp_obj_new_str(msg, n));
}}

{_check_buffer("predict", inp, "input")}
{_check_buffer("predict_into", inp, "input")}
{_check_buffer("predict_into", out, "scores")}
{_argmax(out)}
#ifdef TP_MP_COUNTER
/* Measurement builds only (tinyprune micropython run): TP_MP_COUNTER is the address of a
 * 30-bit down-counter (MPS2 timer0's VALUE), read around the bare inference. */
uint32_t {prefix}_mp_marks[2];
#define TP_MARK(k) ({prefix}_mp_marks[k] = *(volatile const uint32_t *)(TP_MP_COUNTER))
static mp_obj_t tp_c_ticks(void)
{{
    return MP_OBJ_NEW_SMALL_INT(({prefix}_mp_marks[0] - {prefix}_mp_marks[1]) & 0x3FFFFFFFu);
}}
static MP_DEFINE_CONST_FUN_OBJ_0(tp_c_ticks_obj, tp_c_ticks);
#else
#define TP_MARK(k) ((void)0)
#endif

static void tp_run(const mp_buffer_info_t *input)
{{
    memcpy(TP_INPUT, input->buf, {inp.nbytes}u);
    TP_MARK(0);
    const int32_t status = {prefix}_run(TP_ARENA);
    TP_MARK(1);
    if (status != {up}_OK) {{
        mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("{module}: a kernel failed"));
    }}
}}

static mp_obj_t tp_predict(mp_obj_t input_obj)
{{
    mp_buffer_info_t input;
    predict_input_check(input_obj, &input, MP_BUFFER_READ);
    tp_run(&input);
    const {ctype_out} *out = TP_OUTPUT;
    mp_obj_t scores[{out.size}];
    for (mp_int_t i = 0; i < {out.size}; i++) {{
        scores[i] = {_score(out.dtype)};
    }}
    mp_obj_t pair[2] = {{MP_OBJ_NEW_SMALL_INT(tp_argmax(out)),
                        mp_obj_new_tuple({out.size}, scores)}};
    return mp_obj_new_tuple(2, pair);
}}
static MP_DEFINE_CONST_FUN_OBJ_1(tp_predict_obj, tp_predict);

static mp_obj_t tp_predict_into(mp_obj_t input_obj, mp_obj_t scores_obj)
{{
    mp_buffer_info_t input, scores;
    predict_into_input_check(input_obj, &input, MP_BUFFER_READ);
    predict_into_scores_check(scores_obj, &scores, MP_BUFFER_WRITE);
    tp_run(&input);
    memcpy(scores.buf, TP_OUTPUT, {out.nbytes}u);
    return MP_OBJ_NEW_SMALL_INT(tp_argmax(TP_OUTPUT));
}}
static MP_DEFINE_CONST_FUN_OBJ_2(tp_predict_into_obj, tp_predict_into);

{_gesture_c(prefix) if gesture else ""}{_shape_table("input", inp)}{_shape_table("output", out)}
static mp_obj_t tp_info(void)
{{
    mp_obj_t d = mp_obj_new_dict(8);
{info}
    return d;
}}
static MP_DEFINE_CONST_FUN_OBJ_0(tp_info_obj, tp_info);

#ifdef MICROPY_ENABLE_DYNRUNTIME
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args)
{{
    MP_DYNRUNTIME_INIT_ENTRY
{"".join(f"    mp_store_global(MP_QSTR_{f}, MP_OBJ_FROM_PTR(&tp_{f}_obj));{chr(10)}"
         for f in funcs)}#ifdef TP_MP_COUNTER
    mp_store_global(MP_QSTR_c_ticks, MP_OBJ_FROM_PTR(&tp_c_ticks_obj));
#endif
    MP_DYNRUNTIME_INIT_EXIT
}}
#else
static const mp_rom_map_elem_t tp_module_globals_table[] = {{
    {{MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_{module})}},
{"".join(f"    {{MP_ROM_QSTR(MP_QSTR_{f}), MP_ROM_PTR(&tp_{f}_obj)}},{chr(10)}" for f in funcs)}}};
static MP_DEFINE_CONST_DICT(tp_module_globals, tp_module_globals_table);

const mp_obj_module_t tp_module_{module} = {{
    .base = {{&mp_type_module}},
    .globals = (mp_obj_dict_t *)&tp_module_globals,
}};
MP_REGISTER_MODULE(MP_QSTR_{module}, tp_module_{module});
#endif
"""
