/* tp_s8_dw_s2_row3: the first 4 x passes outputs of one output row of a 3 x 3 (or 3 x 4)
 * depthwise convolution with stride 2 along the width, for g input channels and their
 * depth multiplier's output channels, fast or generic requantization
 * (tp_depthwise_conv_s2_s8.c; the job, tp_s8_dw_s2_job, is in tp_armv7em_s8.h).
 *
 * In an expanded ring row the words P_q = (e[2q], e[2q+1]) pair the window's taps, output x
 * of a window row being P_x . W0 + P_{x+1} . W1 (W0 = (w0, w1), W1 = (w2, w3)). Four outputs per
 * pass: per window row one LDRD of the weight pairs, LDRD + LDRD + LDR of P_x .. P_{x+4} and
 * eight SMLAD (36 MACs in 36 instructions for 3 x 3). The accumulators start from the doubled
 * bias (two LDRD of the channel's frame copy); requantization per output as tp_s8_dw_kx1.
 * Registers in a pass: r0-r2 the window rows (advancing), r3 the weight pairs, r4-r7 the
 * accumulators, r8/r9 the pairs of a row, r10-r12 input words, lr the output. The rows stay
 * in r0-r2 from one channel to the next (stepped back by F_BACK, on by F_NEXT), r3 and lr
 * end a channel's passes at the next channel's pairs and output. With the generic
 * requantization the rows wait in the frame while one LDM takes the record's multiplier,
 * rounding, e, left shift and sign shift into r0-r3 and r8.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_dw_s2_row3,"ax",%progbits

    .equ F_B0, 0     @ the output channel's record: bias (twice), multiplier, rounding, e
    .equ F_B1, 4
    .equ F_M, 8
    .equ F_RND, 12
    .equ F_E, 16
    .equ F_OFF, 20
    .equ F_STRIDE, 24
    .equ F_END, 28   @ the output channel's output after the last pass
    .equ F_MULT, 32  @ depth multiplier
    .equ F_CH, 36    @ input channels left
    .equ F_ML, 40    @ output channels of this input channel left
    .equ F_BACK, 44  @ bytes a row advances over the passes (16 per pass)
    .equ F_NEXT, 48  @ chstride - F_BACK: the rows of the next input channel
    .equ F_SPANM1, 52 @ the output's step back to the next output channel: span - 1
    .equ F_WP, 56    @ this output channel's weight pairs
    .equ F_REC, 60   @ the next record
    .equ F_RECM, 64  @ generic: the output channel's record from its multiplier
    .equ F_SPAN, 68  @ bytes of output per output channel and row: 4 passes x stride
    .equ F_R0, 72    @ generic: the rows while the requantization takes r0-r2
    .equ F_R1, 76
    .equ F_R2, 80
    .equ FRAME, 84

.macro S2_KY row, wstep=8
    ldrd r8, r9, [r3], #\wstep
    ldrd r10, r11, [\row], #8
    smlad r4, r10, r8, r4
    smlad r4, r11, r9, r4
    smlad r5, r11, r8, r5
    ldrd r10, r12, [\row], #8
    smlad r5, r10, r9, r5
    smlad r6, r10, r8, r6
    smlad r6, r12, r9, r6
    smlad r7, r12, r8, r7
    ldr r10, [\row]
    smlad r7, r10, r9, r7
.endm

.macro S2_OUT a, relu, at
    smmlar r12, \a, r8, r9
    add r12, r12, \a, asr #31
    asr r12, r12, r10
.if \relu
    bic r12, r12, r12, asr #31
    add r12, r12, r3
.endif
    ssat r12, #8, r12
    strb r12, [lr\at]
.endm

@ The generic requantization (as tp_s8_dw_kx1's): r0 multiplier, r1 rounding, r2 e, r3 left
@ shift, r8 sign shift, r9 output offset.
.macro S2_GEN a, relu, at
    lsl \a, \a, r3
    smull r12, \a, \a, r0
    adds r12, r12, #0x40000000
    adc \a, \a, #0
    lsl \a, \a, #1
    orr \a, \a, r12, lsr #31
    lsr r12, \a, r8
    add \a, \a, r1
    sub \a, \a, r12
    asr \a, \a, r2
.if \relu
    bic \a, \a, \a, asr #31
    add \a, \a, r9
.endif
    ssat \a, #8, \a
    strb \a, [lr\at]
.endm

@ relu: clamp below at the offset (r3 then holds the offset in the requantization, and the
@ pairs are reloaded each pass; otherwise the last row's LDRD steps r3 back to them).
@ m1: depth multiplier 1 (every output channel has its own input channel's rows).
@ generic: the generic requantization (6-word records; the rows are parked in the frame while
@ it runs).
.macro S2_VARIANT relu, m1, generic=0
1:  @ input channel (r0-r2 its rows)
.if !\m1
    ldr r12, [sp, #F_MULT]
    str r12, [sp, #F_ML]
.endif
2:  @ output channel (r3 its weight pairs, lr its output): its record
    ldr r12, [sp, #F_REC]
.if \generic
    ldr r4, [r12], #4
    str r12, [sp, #F_RECM]
    add r12, r12, #20
    str r12, [sp, #F_REC]
    strd r4, r4, [sp, #F_B0]
.else
    ldm r12!, {r4-r7}
    str r12, [sp, #F_REC]
    str r4, [sp, #F_B0]
    strd r4, r5, [sp, #F_B1]
    strd r6, r7, [sp, #F_RND]
.endif
.if \relu | \generic
    str r3, [sp, #F_WP]
.endif
    ldr r12, [sp, #F_SPAN]
    add r12, lr, r12
    str r12, [sp, #F_END]
3:  @ pass: four outputs
    ldrd r4, r5, [sp, #F_B0]
    ldrd r6, r7, [sp, #F_B0]
.if \relu | \generic
    ldr r3, [sp, #F_WP]
    S2_KY r0
    S2_KY r1
    S2_KY r2
.else
    S2_KY r0
    S2_KY r1
    S2_KY r2, -16
.endif
    ldr r11, [sp, #F_STRIDE]
.if \generic
    str r0, [sp, #F_R0]
    strd r1, r2, [sp, #F_R1]
    ldr r12, [sp, #F_RECM]
    ldm r12, {r0-r3, r8}
.if \relu
    ldr r9, [sp, #F_OFF]
.endif
    S2_GEN r4, \relu,
    S2_GEN r5, \relu, ", r11"
    add lr, lr, r11, lsl #1
    S2_GEN r6, \relu,
    S2_GEN r7, \relu, ", r11"
    add lr, lr, r11, lsl #1
    ldr r0, [sp, #F_R0]
    ldrd r1, r2, [sp, #F_R1]
.else
    ldrd r8, r9, [sp, #F_M]
    ldr r10, [sp, #F_E]
.if \relu
    ldr r3, [sp, #F_OFF]
.endif
    S2_OUT r4, \relu,
    S2_OUT r5, \relu, ", r11"
    add lr, lr, r11, lsl #1
    S2_OUT r6, \relu,
    S2_OUT r7, \relu, ", r11"
    add lr, lr, r11, lsl #1
.endif
    ldr r12, [sp, #F_END]
    cmp lr, r12
    bne 3b
    @ next output channel: its pairs follow this channel's, its output is one byte on from
    @ this channel's first
.if \relu | \generic
    ldr r3, [sp, #F_WP]
.endif
    add r3, r3, #24
    ldr r12, [sp, #F_SPANM1]
    sub lr, lr, r12
.if !\m1
    ldr r12, [sp, #F_ML]
    subs r12, r12, #1
    str r12, [sp, #F_ML]
    beq 4f
    ldr r12, [sp, #F_BACK]
    sub r0, r0, r12
    sub r1, r1, r12
    sub r2, r2, r12
    b 2b
.endif
4:  @ next input channel
    ldr r12, [sp, #F_NEXT]
    add r0, r0, r12
    add r1, r1, r12
    add r2, r2, r12
    ldr r12, [sp, #F_CH]
    subs r12, r12, #1
    str r12, [sp, #F_CH]
    bne 1b
    b 9f
.endm

.balign 4
.global tp_s8_dw_s2_row3
.type tp_s8_dw_s2_row3, %function
.thumb_func
tp_s8_dw_s2_row3:
    push {r4-r11, lr}
    sub sp, sp, #FRAME
    ldr r1, [r0, #20]
    str r1, [sp, #F_REC]
    ldr r1, [r0, #28]
    str r1, [sp, #F_STRIDE]
    ldr r2, [r0, #32]
    lsl r3, r2, #4
    str r3, [sp, #F_BACK]
    ldr r4, [r0, #12]
    sub r4, r4, r3
    str r4, [sp, #F_NEXT]
    mul r2, r2, r1
    lsl r2, r2, #2
    str r2, [sp, #F_SPAN]
    sub r2, r2, #1
    str r2, [sp, #F_SPANM1]
    ldr r1, [r0, #36]
    str r1, [sp, #F_MULT]
    ldr r1, [r0, #40]
    str r1, [sp, #F_CH]
    ldr r1, [r0, #48]
    str r1, [sp, #F_OFF]
    ldr r4, [r0, #44]
    ldr r5, [r0, #52]
    ldr r3, [r0, #16]
    ldr lr, [r0, #24]
    ldm r0, {r0-r2}
    cmp r5, #0
    beq 10f
    cmp r4, #0
    bne 14f
    S2_VARIANT 0, 0, 1
14: S2_VARIANT 1, 0, 1
10: ldr r12, [sp, #F_MULT]
    cmp r12, #1
    bne 12f
    cmp r4, #0
    bne 11f
    S2_VARIANT 0, 1
11: S2_VARIANT 1, 1
12: cmp r4, #0
    bne 13f
    S2_VARIANT 0, 0
13: S2_VARIANT 1, 0
9:
    add sp, sp, #FRAME
    pop {r4-r11, pc}
    .size tp_s8_dw_s2_row3, . - tp_s8_dw_s2_row3

#endif
