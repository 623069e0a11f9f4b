/* tp_s8_sparse_dot8: acc[0..7] += value * x[position][0..7] over the entries [entry, end) of
 * one sparse segment (tp_conv_sparse_tiles_s8.c): entry pairs (uint8 position step, int8
 * value), x value-major int16 (8 pixels, 16 bytes per position), word-aligned.
 *
 * r0 x, r1 entries, r2 their end, r3 the value; r4-r11 the 8 accumulators, r12/lr two words
 * of four pixels. Per entry: LDRB, ADD (the step), LDRSB, two LDRD and eight SMLABB / SMLABT,
 * CMP and BNE: 15 instructions for 8 MACs.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_sparse_dot8,"ax",%progbits
.balign 4
.global tp_s8_sparse_dot8
.type tp_s8_sparse_dot8, %function
.thumb
.thumb_func
tp_s8_sparse_dot8:
    cmp r1, r2
    it eq
    bxeq lr
    push {r3-r11, lr}
    ldm r3, {r4-r11}
1:
    ldrb r12, [r1], #2
    add r0, r0, r12, lsl #4
    ldrsb r3, [r1, #-1]
    ldrd r12, lr, [r0]
    smlabb r4, r3, r12, r4
    smlabt r5, r3, r12, r5
    smlabb r6, r3, lr, r6
    smlabt r7, r3, lr, r7
    ldrd r12, lr, [r0, #8]
    smlabb r8, r3, r12, r8
    smlabt r9, r3, r12, r9
    smlabb r10, r3, lr, r10
    smlabt r11, r3, lr, r11
    cmp r1, r2
    bne 1b
    pop {r3}
    stm r3, {r4-r11}
    pop {r4-r11, pc}
.size tp_s8_sparse_dot8, .-tp_s8_sparse_dot8

#endif
