/* The gesture pipeline's model input and output: preprocessed frames into the model's input
 * (quantized for an int8 model) and the model's output into RESULT's integer scores, the
 * frame class and its probability x 256 for the detector.
 *
 * Shared by the gesture firmware (gesture_app.c) and the MicroPython module's push_sweep
 * (sdk/codegen/c_module_wrapper.py), so both give the same events. Needs gesture_config.h
 * (TP_APP_*), model.h and tp_dsp.h (TP_DSP_BINS, TP_DSP_N) included first. */
#ifndef TP_GESTURE_IO_H
#define TP_GESTURE_IO_H

#include <stdint.h>

/* One preprocessed frame (TP_DSP_BINS x TP_DSP_N values) into the model's input from element
 * ``offset`` on (a model with a time context takes several frames). */
static inline void tp_gesture_load_frame(const float *x, void *model_input, uint32_t offset)
{
#if TP_APP_INPUT_INT8
    int8_t *in = (int8_t *)model_input + offset;
    for (uint32_t i = 0; i < TP_DSP_BINS * TP_DSP_N; ++i) {
        /* Same arithmetic as sdk/radar/gestures.py:quantize_input: float division, rounded
         * half away from zero (standardized frames are negative too), zero point, saturation. */
        const float v = x[i] / TP_APP_INPUT_SCALE;
        int32_t q = (v >= 0.0f) ? (int32_t)(v + 0.5f) : -(int32_t)(-v + 0.5f);
        q += TP_APP_INPUT_ZP;
        in[i] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
    }
#else
    float *in = (float *)model_input + offset;
    for (uint32_t i = 0; i < TP_DSP_BINS * TP_DSP_N; ++i) {
        in[i] = x[i];
    }
#endif
}

#if defined(TP_APP_DSP_Q15) && TP_APP_DSP_Q15
#if !TP_APP_INPUT_INT8
#error "q15 preprocessing feeds int8 models only"
#endif
#include "gesture_q15_input.h"

/* One q15 frame (value x 32768, in [0, 1)) into the int8 model input: the int8 of q15 value v
 * is tp_app_q15_to_s8[v >> 7], a table of the input quantization at the middle of each run of
 * 128 q15 values (host/gesture_fw.py writes it, host/msp430_stream.py uses the same table), so
 * no multiply or division runs per pixel on a 16-bit core. */
static inline void tp_gesture_load_frame_q15(const int16_t *x, void *model_input,
                                             uint32_t offset)
{
    int8_t *in = (int8_t *)model_input + offset;
    for (uint16_t i = 0; i < TP_DSP_BINS * TP_DSP_N; ++i) {
        const int16_t v = x[i];
        in[i] = tp_app_q15_to_s8[v < 0 ? 0u : (uint16_t)v >> 7];
    }
}

/* A frame's value: q15 on boards that preprocess in q15, float elsewhere. */
typedef int16_t tp_frame_value_t;
#define TP_GESTURE_LOAD_FRAME tp_gesture_load_frame_q15
#else
typedef float tp_frame_value_t;
#define TP_GESTURE_LOAD_FRAME tp_gesture_load_frame
#endif

/* The time context: the last TP_APP_CONTEXT_FRAMES frames, a ring; the model sees them oldest
 * first, stacked along the rows (sdk/radar/preprocess.py:with_context). Without a context
 * nothing of it is read or written, so the compiler drops the state. */
typedef struct {
#if TP_APP_CONTEXT_FRAMES > 1
    tp_frame_value_t frames[TP_APP_CONTEXT_FRAMES][TP_DSP_BINS * TP_DSP_N];
#endif
    uint32_t seen;
} tp_gesture_context_t;

/* A new stream: the context fills again. */
static inline void tp_gesture_context_reset(tp_gesture_context_t *ctx)
{
#if TP_APP_CONTEXT_FRAMES > 1
    ctx->seen = 0u;
#else
    (void)ctx;
#endif
}

/* A new frame into the model's input, after the context's older frames; returns 0 while the
 * context is still filling (no input yet). */
static inline int tp_gesture_load_input(tp_gesture_context_t *ctx, const tp_frame_value_t *frame,
                                        void *model_input)
{
#if TP_APP_CONTEXT_FRAMES > 1
    const uint32_t slot = ctx->seen % TP_APP_CONTEXT_FRAMES;
    for (uint32_t i = 0; i < TP_DSP_BINS * TP_DSP_N; ++i) {
        ctx->frames[slot][i] = frame[i];
    }
    ctx->seen++;
    if (ctx->seen < TP_APP_CONTEXT_FRAMES) {
        return 0;
    }
    for (uint32_t k = 0; k < TP_APP_CONTEXT_FRAMES; ++k) {
        const uint32_t from = (ctx->seen + k) % TP_APP_CONTEXT_FRAMES; /* oldest first */
        TP_GESTURE_LOAD_FRAME(ctx->frames[from], model_input, k * TP_DSP_BINS * TP_DSP_N);
    }
#else
    (void)ctx;
    TP_GESTURE_LOAD_FRAME(frame, model_input, 0u);
#endif
    return 1;
}

static inline int16_t tp_gesture_sat16(int32_t v)
{
    return (int16_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

/* Scores in RESULT's integer form, the frame class (first maximum) and its probability x 256. */
static inline uint8_t tp_gesture_read_output(const void *model_output, int16_t *scores,
                                             int16_t *p256)
{
    uint8_t best = 0;
#if TP_APP_OUTPUT_INT8
    const int8_t *out = (const int8_t *)model_output;
    for (uint8_t c = 0; c < TP_APP_N_CLASSES; ++c) {
        scores[c] = out[c];
        if (out[c] > out[best]) {
            best = c;
        }
    }
    /* ((q - zp) * multiplier) >> 16 with a floor, as sdk/radar/gestures.py:int8_p256. */
    const int32_t d = ((int32_t)out[best] - TP_APP_OUTPUT_ZP) * TP_APP_OUTPUT_P256_MUL;
    *p256 = tp_gesture_sat16(d >= 0 ? (d >> 16) : -((-d + 65535) >> 16));
#else
    const float *out = (const float *)model_output;
    for (uint8_t c = 0; c < TP_APP_N_CLASSES; ++c) {
        const float v = out[c] * 256.0f;
        float r = (v >= 0.0f) ? v + 0.5f : -v + 0.5f;
        if (r > 40000.0f) {
            r = 40000.0f; /* keep the conversion in range; saturated below */
        }
        scores[c] = tp_gesture_sat16(v >= 0.0f ? (int32_t)r : -(int32_t)r);
        if (out[c] > out[best]) {
            best = c;
        }
    }
    *p256 = scores[best];
#endif
    return best;
}

#endif /* TP_GESTURE_IO_H */
