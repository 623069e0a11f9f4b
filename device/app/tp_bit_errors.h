/* Bit errors in the binary weights (docs/bit_errors.md): the run app built with
 * -DTP_BIT_ERRORS keeps the model's packed binary weights in RAM and XORs a mask file from
 * the host into them before the first inference. */
#ifndef TP_BIT_ERRORS_H
#define TP_BIT_ERRORS_H

#include <stdint.h>

/* model.c (generated, -DTP_BIT_ERRORS): weight table i's address and byte size, NULL past
 * the last table. */
uint8_t *tp_model_weight_bits(int32_t i, uint32_t *bytes);

/* XOR file `name` into the weight tables, table 0 first, each table's bytes in memory order;
 * the file must hold exactly the tables' bytes. Returns 0, or -1 when it is missing, short
 * or too long (the weights are then partly flipped: the app stops). */
int32_t tp_bit_errors_apply(const char *name);

#endif
