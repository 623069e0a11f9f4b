/* void tp_s8_add_table(const int8_t *a, const int8_t *b, int32_t quads, int8_t *out,
 *                      const struct tp_add_tables_s8 *tables): the bulk of tp_add_table_s8.c,
 * 4 * quads elements (quads >= 0). out may alias a or b: each element is read before it is
 * written, at the same index.
 *
 * In assembly for the post-indexed byte loads and stores: written in C, gcc 12 advances the
 * three pointers with separate adds. Per element: LDRSB a, LDRSB b, two table LDR, ADD, ASR,
 * LDRSB output, STRB; per four elements SUBS and BNE: 8.5 instructions per element.
 * tables: a_table at 0, b_table at 4, output_table at 8, shift at 12 (checked in the C file).
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_add_table,"ax",%progbits
    .balign 2
    .global tp_s8_add_table
    .type tp_s8_add_table, %function
    .thumb_func
tp_s8_add_table:
    push {r4, r5, r6, r7, r8, r9, r10, lr}
    cmp r2, #0
    ble 2f
    ldr ip, [sp, #32]
    ldr r4, [ip, #0]
    ldr r5, [ip, #4]
    ldr r6, [ip, #8]
    ldr r7, [ip, #12]
    add r4, r4, #512        /* entry 128: input value 0 */
    add r5, r5, #512
1:
    ldrsb r8, [r0], #1
    ldrsb r9, [r1], #1
    ldrsb r10, [r0], #1
    ldrsb lr, [r1], #1
    ldr r8, [r4, r8, lsl #2]
    ldr r9, [r5, r9, lsl #2]
    ldr r10, [r4, r10, lsl #2]
    ldr lr, [r5, lr, lsl #2]
    add r8, r8, r9
    add r10, r10, lr
    asr r8, r8, r7
    asr r10, r10, r7
    ldrsb r8, [r6, r8]
    ldrsb r10, [r6, r10]
    strb r8, [r3], #1
    strb r10, [r3], #1
    ldrsb r8, [r0], #1
    ldrsb r9, [r1], #1
    ldrsb r10, [r0], #1
    ldrsb lr, [r1], #1
    ldr r8, [r4, r8, lsl #2]
    ldr r9, [r5, r9, lsl #2]
    ldr r10, [r4, r10, lsl #2]
    ldr lr, [r5, lr, lsl #2]
    add r8, r8, r9
    add r10, r10, lr
    asr r8, r8, r7
    asr r10, r10, r7
    ldrsb r8, [r6, r8]
    ldrsb r10, [r6, r10]
    strb r8, [r3], #1
    strb r10, [r3], #1
    subs r2, r2, #1
    bne 1b
2:
    pop {r4, r5, r6, r7, r8, r9, r10, pc}

    .size tp_s8_add_table, . - tp_s8_add_table

#endif
