/* tp_s8_sparse_rows: one window row of a sparse int8 convolution tile, every output channel
 * (tp_s8_sparse_job, tp_conv_sparse_tiles_s8.h): per channel the 8 accumulators start from its
 * bias (or its partial sums in acc), take every entry of its segment of the row (pairs of
 * uint8 position step and int8 value; x value-major int16, 8 pixels per position), and are
 * stored to acc.
 *
 * Entry loop (ENTRIES): r0 x, r1 entries, r2 their end, r3 the value, r4-r11 the
 * accumulators, r12/lr two words of four pixels: LDRB, ADD (the step), LDRSB, two LDRD and
 * eight SMLABB / SMLABT per entry, two entries per pass so that one CMP/BNE serves both:
 * 14 instructions for 8 MACs (an odd count enters half-way: 3 instructions per segment).
 * The channel loop's state is the job's 7 words on the stack (sp + 0: segment, entries, x,
 * segment step, bias, acc, acc end): 14 instructions per channel around its entries besides
 * the accumulators' load and store.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb

/* The entries [r1, r2) of one segment on the rows at r0; to \done when there are none. */
.macro ENTRIES done
    subs r3, r2, r1
    beq \done
    ands r3, r3, #2
    add r1, r1, r3
    bne 2f
1:
    ldrb r12, [r1], #4
    add r0, r0, r12, lsl #4
    ldrsb r3, [r1, #-3]
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
2:
    ldrb r12, [r1, #-2]
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
.endm

/* The 8 accumulators from the next bias (bias pointer at [sp, #\bias], advanced) or, when it
 * is NULL, from the partial sums at [sp, #\acc]. */
.macro LOAD_ACCS bias, acc
    ldr r0, [sp, #\bias]
    cbz r0, 3f
    ldr r4, [r0], #4
    str r0, [sp, #\bias]
    mov r5, r4
    mov r6, r4
    mov r7, r4
    mov r8, r4
    mov r9, r4
    mov r10, r4
    mov r11, r4
    b 4f
3:
    ldr r0, [sp, #\acc]
    ldm r0, {r4-r11}
4:
.endm

    .section .text.tp_s8_sparse_rows,"ax",%progbits
.balign 4
.global tp_s8_sparse_rows
.type tp_s8_sparse_rows, %function
.thumb
.thumb_func
tp_s8_sparse_rows:
    push {r4-r11, lr}
    sub sp, sp, #28
    ldm r0, {r1-r7}
    add r7, r6, r7, lsl #5
    stm sp, {r1-r7}
.Lchannel:
    LOAD_ACCS 16, 20
    ldrd r1, r2, [sp]
    ldr r3, [sp, #12]
    ldrsh r12, [r1]
    ldrsh lr, [r1, #2]
    add r3, r1, r3
    str r3, [sp]
    ldr r0, [sp, #8]
    add r1, r2, r12, lsl #1
    add r2, r2, lr, lsl #1
    ENTRIES .Lchannel_done
.Lchannel_done:
    ldrd r0, r1, [sp, #20]
    stm r0!, {r4-r11}
    str r0, [sp, #20]
    cmp r0, r1
    bne .Lchannel
    add sp, sp, #28
    pop {r4-r11, pc}
.size tp_s8_sparse_rows, .-tp_s8_sparse_rows

#endif
