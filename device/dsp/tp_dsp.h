/* Radar preprocessing on the device: the same steps as sdk/radar/preprocess.py (docs/radar.md).
 *
 * Push one sweep at a time; once TP_DSP_N sweeps are in, every push writes a frame of
 * TP_DSP_BINS rows (depths) x TP_DSP_N columns (Doppler bins -N/2 .. N/2-1), scaled to [0, 1]:
 *   float path (Cortex-M7): interleaved float I,Q in, float frame out;
 *   q15 path (MSP430):      interleaved int16 I,Q (the A111 wire format) in, frame in q15
 *                           (value / 32768) out.
 * State is caller-owned and statically allocated: nothing here allocates.
 */
#ifndef TP_DSP_H
#define TP_DSP_H

#include <stdint.h>

/* The generated tables (sdk/radar/dsp_tables.py); an application with another sweep length
 * generates its own and names it here. Quoted includes search this folder first, so a
 * -I path alone would not override the committed default. */
#ifndef TP_DSP_TABLES_HEADER
#define TP_DSP_TABLES_HEADER "tp_dsp_tables.h"
#endif
#include TP_DSP_TABLES_HEADER

#ifndef TP_DSP_HOP
#define TP_DSP_HOP 1
#endif

/* The q15 ring (2.4 kB for 20 x 30 complex) does not fit the MSP430FR6989's 2 kB SRAM.
 * Declare the state with this attribute to put it in FRAM; ".persistent" is the section TI's
 * MSP430 linker scripts place in FRAM without clearing it at reset (tp_dsp_q15_init does). */
#ifndef TP_DSP_FRAM
#if defined(__MSP430__)
#define TP_DSP_FRAM __attribute__((section(".persistent")))
#else
#define TP_DSP_FRAM
#endif
#endif

typedef struct {
    float ring[TP_DSP_N][TP_DSP_BINS][2];
    uint16_t head;  /* slot of the next sweep = slot of the oldest once full */
    uint16_t count; /* sweeps pushed, saturating at TP_DSP_N */
#if TP_DSP_HOP > 1
    uint16_t since; /* sweeps since the last frame */
#endif
} tp_dsp_f32_state;

/* The q15 path multiplies 16 x 16 -> 32 bits only. On an MSP430 build, define
 * TP_DSP_HWMULT_HEADER as a header defining the hardware multiplier's registers (TP_MPY,
 * TP_MPYS, TP_MAC, TP_MACS, TP_OP2, TP_RESLO, TP_RESHI; boards/msp430fr6989/board.json names
 * msp430fr6989_board.h) and tp_dsp_q15.c uses them directly instead of the compiler's multiply
 * helpers: the same results in about a third of the cycles (docs/benchmarks.md). */
typedef struct {
    int16_t ring[TP_DSP_N][TP_DSP_BINS][2]; /* depth means in raw units * 2^TP_DSP_Q15_FRAC */
    uint16_t head;
    uint16_t count;
#if TP_DSP_HOP > 1
    uint16_t since;
#endif
} tp_dsp_q15_state;

void tp_dsp_f32_init(tp_dsp_f32_state *state);
/* Returns 1 and fills frame once TP_DSP_N sweeps are in and a hop is complete, else 0 (frame
 * untouched). */
int tp_dsp_f32_push(tp_dsp_f32_state *state, const float *iq, float frame[TP_DSP_BINS][TP_DSP_N]);

void tp_dsp_q15_init(tp_dsp_q15_state *state);
int tp_dsp_q15_push(tp_dsp_q15_state *state, const int16_t *iq, int16_t frame[TP_DSP_BINS][TP_DSP_N]);

#endif /* TP_DSP_H */
