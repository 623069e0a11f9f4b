/* Cost of one frame of radar preprocessing: pushes TP_DSP_N - 1 sweeps, then measures the push
 * that completes a frame (depth reduction + mean removal + window + transform + log scaling)
 * with the board counter, and prints "frame <units> <checksum>".  Sweeps come from a fixed
 * linear congruential sequence, so every build measures the same work. */
#include <stdint.h>

#include "tp_board.h"
#include "tp_dsp.h"

#ifdef BENCH_Q15
typedef int16_t sample_t;
static TP_DSP_FRAM tp_dsp_q15_state state;
#define INIT tp_dsp_q15_init
#define PUSH tp_dsp_q15_push
#define CHECK_SCALE 1
#else
typedef float sample_t;
static tp_dsp_f32_state state;
#define INIT tp_dsp_f32_init
#define PUSH tp_dsp_f32_push
#define CHECK_SCALE 1000.0f
#endif

static sample_t sweep[2 * TP_DSP_DEPTHS_IN];
/* The q15 frame (1.2 kB) goes to FRAM with the ring: with the sweep and the stack it would not
 * fit the MSP430FR6989's 2 kB SRAM (TP_DSP_FRAM is empty off the MSP430). */
static TP_DSP_FRAM sample_t frame[TP_DSP_BINS][TP_DSP_N];
static uint32_t lcg = 12345u;

static void next_sweep(void)
{
    for (int i = 0; i < 2 * TP_DSP_DEPTHS_IN; ++i) {
        lcg = lcg * 1103515245u + 12345u;
        sweep[i] = (sample_t)((int16_t)((lcg >> 16) & 0x3FFu) - 512);
    }
}

static void put_u32(uint32_t v, char *end)
{
    *end = '\0';
    do {
        *--end = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    tp_board_puts(end);
}

int main(void)
{
    char text[12];
    tp_board_init();
    INIT(&state);
    for (int i = 0; i < TP_DSP_N - 1; ++i) {
        next_sweep();
        (void)PUSH(&state, sweep, frame);
    }
    next_sweep();
    const uint32_t start = tp_board_counter();
    const int ready = PUSH(&state, sweep, frame);
    const uint32_t stop = tp_board_counter();
    uint32_t checksum = 0;
    for (int b = 0; b < TP_DSP_BINS; ++b) {
        for (int k = 0; k < TP_DSP_N; ++k) {
            checksum = checksum * 31u + (uint32_t)(int32_t)(frame[b][k] * CHECK_SCALE);
        }
    }
    tp_board_puts("frame ");
    put_u32(stop - start, &text[11]);
    tp_board_puts(" ");
    put_u32(checksum, &text[11]);
    tp_board_puts("\n");
    return ready ? 0 : 1;
}
