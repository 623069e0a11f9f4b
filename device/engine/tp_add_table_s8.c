/* Elementwise ADD, int8, through per-layer tables: TFLite Micro's three requantizations
 * (tp_add_s8.c) folded into a 32-bit term per value of each input; the sum of the two terms
 * shifted right indexes the output byte (offset and activation included). The tables are built
 * and proved exact for every input pair when the model is generated
 * (sdk/kernels/add_tables.py), and the output table covers every index that occurs, so no
 * clamp is needed.
 *
 * DSP path (TP_S8_ASM, tp_requant.h; arch/armv7em/tp_s8_add_table.S): four elements per pass
 * with post-indexed loads and stores, 8.5 instructions per element.
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#if TP_S8_ASM
#include "arch/armv7em/tp_armv7em_s8.h"

TP_S8_CHECK_OFFSET(tp_add_tables_s8, a_table, 0);
TP_S8_CHECK_OFFSET(tp_add_tables_s8, b_table, 4);
TP_S8_CHECK_OFFSET(tp_add_tables_s8, output_table, 8);
TP_S8_CHECK_OFFSET(tp_add_tables_s8, shift, 12);
#endif

tp_status tp_add_table_s8(const tp_add_tables_s8 *tables, const int8_t *a, const int8_t *b,
                          int32_t size, int8_t *output)
{
    /* Indexed by the signed value: entry 128 is input value 0. */
    const int32_t *ta = tables->a_table + 128;
    const int32_t *tb = tables->b_table + 128;
    const int8_t *to = tables->output_table;
    const int32_t shift = tables->shift;
    int32_t i = 0;

#if TP_S8_ASM
    i = size & ~3;
    tp_s8_add_table(a, b, i >> 2, output, tables);
#endif
    for (; i < size; i++) {
        output[i] = to[(ta[a[i]] + tb[b[i]]) >> shift];
    }
    return TP_OK;
}
