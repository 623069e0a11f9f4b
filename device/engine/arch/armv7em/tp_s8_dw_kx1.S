/* tp_s8_dw_kx1: whole output columns of g channels of a K x 1 depthwise convolution from
 * expanded input columns (tp_depthwise_conv_kx1_s8.c; the job, tp_s8_dw_kx1_job, is in
 * tp_armv7em_s8.h), four outputs per pass.
 *
 * A channel's column holds int16 (x + input_offset) along the kernel's axis, zero where the
 * padding is; its words P_i = (col[2i], col[2i+1]) and the channel's weight pairs
 * A_j = (w[2j], w[2j+1]), B_j = (w[2j-1], w[2j]) (w[-1] = w[K] = 0, laid out at lowering) give
 * out[4p + 0] = sum_j P_{2p+j}.A_j, out[4p + 1] = sum_j P_{2p+j}.B_j,
 * out[4p + 2] = sum_j P_{2p+1+j}.A_j, out[4p + 3] = sum_j P_{2p+1+j}.B_j, j < n = K/2 + 1:
 * per pair j one LDRD (A_j, B_j), one LDR (the next P) and four SMLAD, each loaded word
 * feeding two outputs. The eight steps are unrolled and a pass enters them at step 8 - n
 * (BX to a computed address; every step is 24 bytes), so there is no loop counter.
 *
 * Registers in a pass: r0 the column word of step 0 (column - 4 (8 - n) + 8p), r1 the
 * channel's pairs - 8 (8 - n), r2-r5 the accumulators, r6/r7 the current and next P, r8/r9
 * A_j, B_j, r10 the output, r11 the output row stride, lr the entry address.
 * Requantization per output: the fast one (accumulators doubled by the weights and bias:
 * SMMLAR with the rounding as accumuland, then the sign and the shift, as tp_s8_conv_tile)
 * or the generic one (TFLite's double rounding, exact for any accumulator the lowering
 * proved: SMULL, the doubling high product, and the rounding divide by 2^e as
 * (x + 2^(e-1) - (x < 0)) >> e, the sign term shifted out for e = 0). When the activation
 * only saturates the record's rounding also holds output_offset x 2^e, so the shift adds the
 * offset (the code generator proves the sum fits); with ReLU the value is clamped at 0 and the
 * offset added after.
 * Frame (after the 9 saved registers): see the offsets below.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_dw_kx1,"ax",%progbits

    .equ F_B0, 0     @ the channel's record: bias (twice), multiplier, rounding, e
    .equ F_B1, 4
    .equ F_M, 8
    .equ F_RND, 12
    .equ F_E, 16
    .equ F_OFF, 20   @ output offset
    .equ F_L, 24     @ record: left shift, sign shift (31, or 32 for e = 0)
    .equ F_SH, 28
    .equ F_SOFF, 32  @ 4 (8 - n)
    .equ F_WP, 36    @ the channel's pairs - 8 (8 - n)
    .equ F_ENTRY, 40 @ entry address of the pass (Thumb bit set)
    .equ F_END, 44   @ the channel's output after the last pass
    .equ F_JOB, 48
    .equ F_LEFT, 52  @ channels left
    .equ F_COL, 56   @ the channel's column
    .equ F_REC, 60   @ the channel's record
    .equ F_OUT, 64   @ the channel's output
    .equ F_SPAN, 68  @ bytes of output rows per channel: 4 passes x stride
    .equ FRAME, 76

.macro KX1_STEP k, cur, next
    ldrd r8, r9, [r1, #8*\k]
    ldr.w \next, [r0, #4*(\k+1)]
    smlad r2, \cur, r8, r2
    smlad r3, \cur, r9, r3
    smlad r4, \next, r8, r4
    smlad r5, \next, r9, r5
.endm

.macro KX1_FAST a, relu, at
    smmlar r12, \a, r6, r7
    add r12, r12, \a, asr #31
    asr r12, r12, r8
.if \relu
    bic r12, r12, r12, asr #31
    add r12, r12, r9
.endif
    ssat r12, #8, r12
    strb r12, [r10\at]
.endm

.macro KX1_GENERIC a, relu, at
    lsl \a, \a, r1
    smull r12, \a, \a, r6
    adds r12, r12, #0x40000000
    adc \a, \a, #0
    lsl \a, \a, #1
    orr \a, \a, r12, lsr #31
    lsr r12, \a, lr
    add \a, \a, r7
    sub \a, \a, r12
    asr \a, \a, r8
.if \relu
    bic \a, \a, \a, asr #31
    add \a, \a, r9
.endif
    ssat \a, #8, \a
    strb \a, [r10\at]
.endm

@ One variant: the channel loop, the pass loop and its unrolled steps.
.macro KX1_VARIANT generic, relu
    adr.w r12, 3f
    ldr r1, [sp, #F_SOFF]
    add r12, r12, r1, lsl #2
    add r12, r12, r1, lsl #1      @ entry: 3f + 24 (8 - n)
    orr r12, r12, #1
    str r12, [sp, #F_ENTRY]
1:  @ channel: copy its record, set up the pass registers
    ldr r12, [sp, #F_REC]
    ldm r12!, {r2-r7}
    str r12, [sp, #F_REC]
    str r2, [sp, #F_B0]
    strd r2, r3, [sp, #F_B1]
    strd r4, r5, [sp, #F_RND]
    strd r6, r7, [sp, #F_L]
    ldr r0, [sp, #F_COL]
    ldr r1, [sp, #F_SOFF]
    sub r0, r0, r1
    ldrd r10, r2, [sp, #F_OUT]
    add r2, r10, r2
    str r2, [sp, #F_END]
    ldrd r1, lr, [sp, #F_WP]
2:  @ pass: four outputs
    ldrd r2, r3, [sp, #F_B0]
    ldrd r4, r5, [sp, #F_B0]
    ldr r12, [sp, #F_SOFF]
    ldr r6, [r0, r12]
    mov r7, r6
    bx lr
    .balign 4
3:
    KX1_STEP 0, r6, r7
    KX1_STEP 1, r7, r6
    KX1_STEP 2, r6, r7
    KX1_STEP 3, r7, r6
    KX1_STEP 4, r6, r7
    KX1_STEP 5, r7, r6
    KX1_STEP 6, r6, r7
    KX1_STEP 7, r7, r6
    ldrd r6, r7, [sp, #F_M]
    ldrd r8, r9, [sp, #F_E]
.if \generic
    ldrd r1, lr, [sp, #F_L]
    KX1_GENERIC r2, \relu, 
    KX1_GENERIC r3, \relu, ", r11"
    add r10, r10, r11, lsl #1
    KX1_GENERIC r4, \relu, 
    KX1_GENERIC r5, \relu, ", r11"
    add r10, r10, r11, lsl #1
    ldrd r1, lr, [sp, #F_WP]
.else
    KX1_FAST r2, \relu, 
    KX1_FAST r3, \relu, ", r11"
    add r10, r10, r11, lsl #1
    KX1_FAST r4, \relu, 
    KX1_FAST r5, \relu, ", r11"
    add r10, r10, r11, lsl #1
.endif
    add r0, r0, #8
    ldr r12, [sp, #F_END]
    cmp r10, r12
    bne 2b
    @ next channel
    ldr r12, [sp, #F_JOB]
    ldr r2, [sp, #F_COL]
    ldr r3, [r12, #4]
    add r2, r2, r3
    str r2, [sp, #F_COL]
    ldr r2, [sp, #F_WP]
    ldr r3, [r12, #28]
    add r2, r2, r3, lsl #3
    str r2, [sp, #F_WP]
    ldr r2, [sp, #F_OUT]
    add r2, r2, #1
    str r2, [sp, #F_OUT]
    ldr r2, [sp, #F_LEFT]
    subs r2, r2, #1
    str r2, [sp, #F_LEFT]
    bne 1b
    b 9f
.endm

.balign 4
.global tp_s8_dw_kx1
.type tp_s8_dw_kx1, %function
.thumb_func
tp_s8_dw_kx1:
    push {r4-r11, lr}
    sub sp, sp, #FRAME
    str r0, [sp, #F_JOB]
    ldr r1, [r0, #32]
    str r1, [sp, #F_OFF]
    ldr r1, [r0, #28]
    rsb r1, r1, #8
    lsl r2, r1, #2
    str r2, [sp, #F_SOFF]
    ldr r3, [r0, #8]
    sub r3, r3, r1, lsl #3
    str r3, [sp, #F_WP]
    ldr r1, [r0, #36]
    str r1, [sp, #F_LEFT]
    ldr r1, [r0, #0]
    str r1, [sp, #F_COL]
    ldr r1, [r0, #12]
    str r1, [sp, #F_REC]
    ldr r1, [r0, #16]
    str r1, [sp, #F_OUT]
    ldr r11, [r0, #20]
    ldr r1, [r0, #24]
    mul r1, r1, r11
    lsl r1, r1, #2
    str r1, [sp, #F_SPAN]
    ldr r1, [r0, #40]
    tbh [pc, r1, lsl #1]
4:
    .hword (10f - 4b) / 2, (11f - 4b) / 2, (12f - 4b) / 2, (13f - 4b) / 2
10: KX1_VARIANT 0, 0
11: KX1_VARIANT 0, 1
12: KX1_VARIANT 1, 0
13: KX1_VARIANT 1, 1
9:
    add sp, sp, #FRAME
    pop {r4-r11, pc}
    .size tp_s8_dw_kx1, . - tp_s8_dw_kx1

#endif
