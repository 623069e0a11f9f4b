/* Softmax, int8, exactly as TFLite's reference kernel (and sdk/quant/fixed_point.py): the
 * differences from the row maximum are scaled into Q5.26, exponentiated with gemmlowp's
 * fixed-point exp (a Taylor polynomial on [-1/4, 0) and a barrel shifter of exp(-2^k)),
 * summed in Q12.19 and multiplied by the fixed-point reciprocal of the sum. Output scale
 * 1/256, zero point -128. output may alias input: a row is read completely (maximum, sum)
 * before its values are overwritten one by one, each after its own last read.
 */
#include "tp_engine_s8.h"
#include "tp_softmax_s8.h"

#define DIFF_INTEGER_BITS 5

/* exp(a) for Q0.31 a in [-1/4, 0). */
static int32_t exp_on_interval(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668L;
    const int32_t one_third = 715827883L;
    const int32_t x = a + ((int32_t)1 << 28);
    const int32_t x2 = tp_softmax_mul(x, x);
    const int32_t x3 = tp_softmax_mul(x2, x);
    const int32_t x4 = tp_softmax_mul(x2, x2);
    const int32_t x4_over_4 = tp_saturating_rounding_multiply_by_pot(x4, -2);
    const int32_t poly =
        tp_saturating_rounding_multiply_by_pot(tp_softmax_mul(x4_over_4 + x3, one_third) + x2, -1);
    return exp_minus_one_eighth + tp_softmax_mul(exp_minus_one_eighth, x + poly);
}

/* exp(a) as Q0.31 for a <= 0 in Q5.26. */
static int32_t exp_on_negative_values(int32_t a)
{
    static const int32_t exp_of_minus_pot[7] = {1672461947L, 1302514674L, 790015084L,
                                                290630308L,  39332535L,   720401L, 242L};
    const int32_t fractional_bits = 31 - DIFF_INTEGER_BITS;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
    int32_t result = exp_on_interval(
        tp_saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, DIFF_INTEGER_BITS));
    int32_t k;
    for (k = 0; k < 7; k++) {
        /* exponents -2 .. 4, all below DIFF_INTEGER_BITS */
        if ((remainder & ((int32_t)1 << (fractional_bits - 2 + k))) != 0) {
            result = tp_softmax_mul(result, exp_of_minus_pot[k]);
        }
    }
    return a == 0 ? TP_INT32_MAX : result;
}

tp_status tp_softmax_s8(const tp_softmax_params_s8 *params, const int8_t *input, int32_t rows,
                        int32_t depth, int8_t *output)
{
    int32_t r;
    for (r = 0; r < rows; r++) {
        const int8_t *x = input + r * depth;
        int8_t *out = output + r * depth;
        const int32_t max = tp_softmax_row_max(x, depth);
        int32_t sum = 0;
        int32_t bits_over_unit;
        int32_t reciprocal;
        int32_t i;
        for (i = 0; i < depth; i++) {
            const int32_t diff = x[i] - max;
            if (diff >= params->diff_min) {
                const int32_t scaled =
                    tp_softmax_mul((int32_t)((uint32_t)diff << params->input_left_shift),
                        params->input_multiplier);
                sum += tp_rounding_divide_by_pot(exp_on_negative_values(scaled),
                                                 TP_SOFTMAX_ACCUM_INTEGER_BITS);
            }
        }
        reciprocal = tp_softmax_reciprocal_of_sum(sum, &bits_over_unit);
        for (i = 0; i < depth; i++) {
            const int32_t diff = x[i] - max;
            int32_t v = -128;
            if (diff >= params->diff_min) {
                const int32_t scaled =
                    tp_softmax_mul((int32_t)((uint32_t)diff << params->input_left_shift),
                        params->input_multiplier);
                const int32_t exponent = bits_over_unit + 31 - 8;
                const int32_t p = tp_softmax_mul(reciprocal, exp_on_negative_values(scaled));
                v = exponent > 31 ? 0 : tp_rounding_divide_by_pot(p, exponent);
                v -= 128;
                v = v > 127 ? 127 : v;
                v = v < -128 ? -128 : v;
            }
            out[i] = (int8_t)v;
        }
    }
    return TP_OK;
}
