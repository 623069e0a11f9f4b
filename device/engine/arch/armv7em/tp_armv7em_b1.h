/* Private: the ARMv7E-M assembly routines of the binary kernels. */
#ifndef TP_ARMV7EM_B1_H
#define TP_ARMV7EM_B1_H

#include <stdint.h>

/* tp_b1_oc_words.S: a tile's bit-sliced counts (tp_binary_conv_b1_oc.c). */
void tp_b1_oc_words(const uint32_t *col, int32_t words, const uint32_t *wt, uint32_t *planes);

#endif /* TP_ARMV7EM_B1_H */
