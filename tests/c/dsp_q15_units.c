/* Unit driver for the q15 preprocessing's internal steps (tests/device/test_radar_dsp_q15.py): includes
 * device/dsp/tp_dsp_q15.c to reach its static functions. Commands on stdin, one per line:
 *   m <count> <v0> ... <v(count-1)>  -> the ring value (depth mean * 2^FRAC) of those samples
 *   s <re> <im>                      -> the q15 log scaling of re^2 + im^2
 * One result per line on stdout. */
#include <stdio.h>

#include "tp_dsp_q15.c"

int main(void)
{
    static int16_t samples[2 * 4096];
    char cmd[2];
    while (scanf("%1s", cmd) == 1) {
        if (cmd[0] == 'm') {
            unsigned count;
            if (scanf("%u", &count) != 1 || count == 0u || count > 4096u) {
                return 2;
            }
            for (unsigned i = 0; i < count; ++i) {
                int v;
                if (scanf("%d", &v) != 1) {
                    return 2;
                }
                samples[2u * i] = (int16_t)v;
            }
            printf("%d\n", depth_mean(samples, (uint16_t)count));
        } else if (cmd[0] == 's') {
            long re, im;
            if (scanf("%ld %ld", &re, &im) != 2) {
                return 2;
            }
            printf("%d\n", scale((int32_t)re, (int32_t)im));
        } else {
            return 2;
        }
    }
    return 0;
}
