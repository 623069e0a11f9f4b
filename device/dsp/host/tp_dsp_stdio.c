/* Host build of the device preprocessing (sdk/radar/c_preprocess.py): sweeps in on stdin,
 * every emitted frame out on stdout, in the device's own layout.
 *   default:      float I,Q pairs in (tp_dsp_f32_push), float frames out;
 *   -DTP_DSP_Q15: int16 I,Q pairs in (tp_dsp_q15_push), q15 frames out.
 * Sweeps hold TP_DSP_DEPTHS_IN depths (the generated tables header). */
#include <stdio.h>

#include "tp_dsp.h"

#ifdef TP_DSP_Q15
typedef int16_t sample_t;
typedef tp_dsp_q15_state state_t;
#define INIT tp_dsp_q15_init
#define PUSH tp_dsp_q15_push
#else
typedef float sample_t;
typedef tp_dsp_f32_state state_t;
#define INIT tp_dsp_f32_init
#define PUSH tp_dsp_f32_push
#endif

static state_t state;
static sample_t sweep[2 * TP_DSP_DEPTHS_IN];
static sample_t frame[TP_DSP_BINS][TP_DSP_N];

int main(void)
{
    INIT(&state);
    while (fread(sweep, sizeof sweep, 1, stdin) == 1) {
        if (PUSH(&state, sweep, frame) && fwrite(frame, sizeof frame, 1, stdout) != 1) {
            return 1;
        }
    }
    return 0;
}
