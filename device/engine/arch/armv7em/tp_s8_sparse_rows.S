/* tp_s8_sparse_rows: one chunk of window rows of a sparse int8 convolution tile, every output
 * channel (tp_s8_sparse_job, tp_conv_sparse_tiles_s8.h): per channel the 8 accumulators start
 * from its bias (or its partial sums in acc), take every entry of its segments of the chunk
 * (pairs of uint8 position step and int8 value; x value-major int16, 8 pixels per position),
 * and are stored to acc.
 *
 * Entry loop: r0 x, r1 entries, r2 their end, r3 the value, r4-r11 the accumulators, r12/lr
 * two words of four pixels: LDRB, ADD (the step), LDRSB, two LDRD and eight SMLABB / SMLABT,
 * CMP and BNE: 15 instructions for 8 MACs. The row and channel state lives in a stack frame
 * that one LDM / STM reads and writes (sp + 0: segment, entries, rows left, row x, row bytes;
 * + 20: rows, x, segment skip, bias, acc, channels left).
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_sparse_rows,"ax",%progbits
.balign 4
.global tp_s8_sparse_rows
.type tp_s8_sparse_rows, %function
.thumb
.thumb_func
tp_s8_sparse_rows:
    push {r4-r11, lr}
    sub sp, sp, #44
    ldm r0, {r1-r9}
    stm sp, {r1-r5}
    add r10, sp, #20
    stm r10, {r3, r4, r6, r7, r8, r9}
.Lchannel:
    ldr r0, [sp, #32]
    cbz r0, .Lresume
    ldr r4, [r0], #4
    str r0, [sp, #32]
    mov r5, r4
    mov r6, r4
    mov r7, r4
    mov r8, r4
    mov r9, r4
    mov r10, r4
    mov r11, r4
    b .Lrow
.Lresume:
    ldr r0, [sp, #36]
    ldm r0, {r4-r11}
.Lrow:
    ldm sp, {r1, r2, r3, r12, lr}
    mov r0, r12
    add r12, r12, lr
    subs r3, r3, #1
    ldrsh lr, [r1], #2
    stm sp, {r1, r2, r3, r12}
    ldrsh r3, [r1]
    add r1, r2, lr, lsl #1
    add r2, r2, r3, lsl #1
    cmp r1, r2
    beq .Lrow_done
.Lentry:
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
    bne .Lentry
.Lrow_done:
    ldr r3, [sp, #8]
    cmp r3, #0
    bne .Lrow
    ldr r0, [sp, #36]
    stm r0!, {r4-r11}
    str r0, [sp, #36]
    ldr r1, [sp, #0]
    ldr r2, [sp, #28]
    add r1, r1, r2
    str r1, [sp, #0]
    ldrd r3, r12, [sp, #20]
    strd r3, r12, [sp, #8]
    ldr r0, [sp, #40]
    subs r0, r0, #1
    str r0, [sp, #40]
    bne .Lchannel
    add sp, sp, #44
    pop {r4-r11, pc}
.size tp_s8_sparse_rows, .-tp_s8_sparse_rows

#endif
