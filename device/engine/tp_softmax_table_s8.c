/* Softmax, int8, exactly as TFLite's reference kernel (and tp_softmax_s8.c, which
 * sdk/kernels/families/softmax.py chooses on the architectures where this table does not pay).
 * TFLite exponentiates each value's difference from the row maximum, scaled into Q5.26, with
 * gemmlowp's fixed-point exp; that difference is an integer in [-255, 0], so the code generator
 * computes those exponentials once per layer with the same arithmetic and this kernel reads
 * them from params->exp_table. They are summed in Q12.19 and each is multiplied by the
 * fixed-point reciprocal of the sum. Output scale 1/256, zero point -128.
 *
 * Every value takes the same path, so the cost follows the depth, not the scores: a value
 * whose exponential is 0 (below diff_min, or beyond the table, whose last entry is 0) adds 0
 * to the sum, and 0 x reciprocal gives -128, TFLite's output for it. output may alias input:
 * a row is read completely (maximum, sum) before its values are overwritten one by one, each
 * after its own last read.
 */
#include "tp_engine_s8.h"
#include "tp_softmax_s8.h"

/* The Q0.31 exponential of value - max (max >= value): a difference beyond the table reads
 * its last entry, 0, through a minimum rather than a branch around the arithmetic. */
static int32_t exp_of(const tp_softmax_table_params_s8 *params, int32_t max, int32_t value)
{
    const int32_t d = max - value;
    const int32_t last = params->table_size - 1;
    return params->exp_table[d < last ? d : last];
}

tp_status tp_softmax_table_s8(const tp_softmax_table_params_s8 *params, const int8_t *input,
                              int32_t rows, int32_t depth, int8_t *output)
{
    int32_t r;
    for (r = 0; r < rows; r++) {
        const int8_t *x = input + r * depth;
        int8_t *out = output + r * depth;
        const int32_t max = tp_softmax_row_max(x, depth);
        int32_t sum = 0;
        int32_t bits_over_unit;
        int32_t exponent;
        int32_t reciprocal;
        uint32_t half;
        int32_t i;
        for (i = 0; i < depth; i++) {
            sum += tp_rounding_divide_by_pot(exp_of(params, max, x[i]),
                                             TP_SOFTMAX_ACCUM_INTEGER_BITS);
        }
        /* The maximum's exponential is 1.0, so sum >= 2^19. The output keeps 8 of the
         * 31 + (bits of the sum over 1.0) fraction bits of exp x reciprocal: exponent >= 23. */
        reciprocal = tp_softmax_reciprocal_of_sum(sum, &bits_over_unit);
        exponent = bits_over_unit + 31 - 8;
        /* tp_rounding_divide_by_pot(p, exponent) for p >= 0 is (p + 2^(exponent - 1)) >>
         * exponent; the shift is taken as 16 then exponent - 16 (< 16), which a 16-bit core
         * makes on one word. */
        half = exponent > 31 ? 0 : (uint32_t)1 << (exponent - 1);
        for (i = 0; i < depth; i++) {
            const int32_t p = tp_doubling_high_mul_no_sat(reciprocal, exp_of(params, max, x[i]));
            const uint16_t high = (uint16_t)(((uint32_t)p + half) >> 16);
            const int32_t v = (exponent > 31 ? 0 : (int32_t)(high >> (exponent - 16))) - 128;
            out[i] = (int8_t)(v > 127 ? 127 : v);
        }
    }
    return TP_OK;
}
