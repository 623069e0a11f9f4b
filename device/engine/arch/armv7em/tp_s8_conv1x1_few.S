/* tp_s8_conv1x1_few: a 1x1 convolution of pixels with at most 8 input channels
 * (tp_convolve_1x1_s8.c; the job, tp_s8_conv1x1_job, is in tp_armv7em_s8.h).
 *
 * Per pixel the input is loaded as one or two words and sign-extended once into int16 pairs,
 * (x0, x2) and (x1, x3) per four channels (SXTB16, SXTB16 ROR #8); every output channel's
 * record (the code generator's layout: its weight pairs in that order, doubled, then the
 * doubled folded bias, the multiplier, the rounding with the output offset folded in when
 * the activation only saturates, e) is one LDM, the bias being the first accumulator of the SMLADs: per output one
 * LDM, 2 (or 4) SMLAD, SMMLAR / ADD sign / ASR / SSAT / STRB, the loop. With the generic
 * requantization the weights and bias are not doubled and the record ends with the left shift
 * and the sign shift: TFLite's double rounding as tp_s8_dw_kx1. Words past the pixel's
 * channels meet zero weights; the caller keeps the reads inside the input (the last pixel from
 * a copy).
 * Registers: r0 the output, r1 the record; one group: r2/r3 the pairs, r4-r9 the record, r10
 * the output offset (ReLU), r11 the end of the records; two groups: r2/r3/r12/lr the pairs,
 * r4-r11 the record. Frame: [sp] input, [4] pixels left, [8] first record, [12] end of the
 * records, [16] bytes per input pixel, [20] output offset.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_conv1x1_few,"ax",%progbits

    .equ F_IN, 0
    .equ F_LEFT, 4
    .equ F_REC, 8
    .equ F_END, 12
    .equ F_CIN, 16
    .equ F_OFF, 20
    .equ FRAME, 28

@ h = requantized accumulator acc (multiplier m, rounding r, shift e), clamped, stored at r0.
.macro C1_OUT h, acc, m, r, e, relu, off
    smmlar \h, \acc, \m, \r
    add \h, \h, \acc, asr #31
    asr \h, \h, \e
.if \relu
    bic \h, \h, \h, asr #31
    add \h, \h, \off
.endif
    ssat \h, #8, \h
    strb \h, [r0], #1
.endm

@ The generic requantization of acc (TFLite's double rounding): left shift l, multiplier m,
@ rounding r, sign shift sh (31, or 32 for e = 0), shift e; t a temporary.
.macro C1_OUT_GENERIC acc, t, l, m, r, sh, e, relu, off
    lsl \acc, \acc, \l
    smull \t, \acc, \acc, \m
    adds \t, \t, #0x40000000
    adc \acc, \acc, #0
    lsl \acc, \acc, #1
    orr \acc, \acc, \t, lsr #31
    lsr \t, \acc, \sh
    add \acc, \acc, \r
    sub \acc, \acc, \t
    asr \acc, \acc, \e
.if \relu
    bic \acc, \acc, \acc, asr #31
    add \acc, \acc, \off
.endif
    ssat \acc, #8, \acc
    strb \acc, [r0], #1
.endm

.macro C1_ONE relu
1:  @ pixel: two pairs
    ldr r4, [sp, #F_IN]
    ldr r2, [r4]
    ldr r5, [sp, #F_CIN]
    add r5, r4, r5
    str r5, [sp, #F_IN]
    sxtb16 r3, r2, ror #8
    sxtb16 r2, r2
    ldr r1, [sp, #F_REC]
.if \relu
    ldr r10, [sp, #F_OFF]
.endif
2:  @ output channel
    ldm r1!, {r4-r9}
    smlad r6, r2, r4, r6
    smlad r6, r3, r5, r6
    C1_OUT r4, r6, r7, r8, r9, \relu, r10
    cmp r1, r11
    bne 2b
    ldr r4, [sp, #F_LEFT]
    subs r4, r4, #1
    str r4, [sp, #F_LEFT]
    bne 1b
    b 9f
.endm

.macro C1_TWO relu
1:  @ pixel: four pairs
    ldr r4, [sp, #F_IN]
    ldr r2, [r4]
    ldr r12, [r4, #4]
    ldr r5, [sp, #F_CIN]
    add r5, r4, r5
    str r5, [sp, #F_IN]
    sxtb16 r3, r2, ror #8
    sxtb16 r2, r2
    sxtb16 lr, r12, ror #8
    sxtb16 r12, r12
    ldr r1, [sp, #F_REC]
2:  @ output channel
    ldm r1!, {r4-r11}
    smlad r8, r2, r4, r8
    smlad r8, r3, r5, r8
    smlad r8, r12, r6, r8
    smlad r8, lr, r7, r8
.if \relu
    ldr r5, [sp, #F_OFF]
.endif
    C1_OUT r4, r8, r9, r10, r11, \relu, r5
    ldr r4, [sp, #F_END]
    cmp r1, r4
    bne 2b
    ldr r4, [sp, #F_LEFT]
    subs r4, r4, #1
    str r4, [sp, #F_LEFT]
    bne 1b
    b 9f
.endm

.macro C1_ONE_GENERIC relu
1:
    ldr r4, [sp, #F_IN]
    ldr r2, [r4]
    ldr r5, [sp, #F_CIN]
    add r5, r4, r5
    str r5, [sp, #F_IN]
    sxtb16 r3, r2, ror #8
    sxtb16 r2, r2
    ldr r1, [sp, #F_REC]
.if \relu
    ldr r12, [sp, #F_OFF]
.endif
2:
    ldm r1!, {r4-r11}
    smlad r6, r2, r4, r6
    smlad r6, r3, r5, r6
    C1_OUT_GENERIC r6, r4, r10, r7, r8, r11, r9, \relu, r12
    cmp r1, lr
    bne 2b
    ldr r4, [sp, #F_LEFT]
    subs r4, r4, #1
    str r4, [sp, #F_LEFT]
    bne 1b
    b 9f
.endm

.macro C1_TWO_GENERIC relu
1:
    ldr r4, [sp, #F_IN]
    ldr r2, [r4]
    ldr r12, [r4, #4]
    ldr r5, [sp, #F_CIN]
    add r5, r4, r5
    str r5, [sp, #F_IN]
    sxtb16 r3, r2, ror #8
    sxtb16 r2, r2
    sxtb16 lr, r12, ror #8
    sxtb16 r12, r12
    ldr r1, [sp, #F_REC]
2:
    ldm r1!, {r4-r11}
    smlad r8, r2, r4, r8
    smlad r8, r3, r5, r8
    smlad r8, r12, r6, r8
    smlad r8, lr, r7, r8
    ldrd r4, r5, [r1], #8
.if \relu
    ldr r7, [sp, #F_OFF]
.endif
    C1_OUT_GENERIC r8, r6, r4, r9, r10, r5, r11, \relu, r7
    ldr r4, [sp, #F_END]
    cmp r1, r4
    bne 2b
    ldr r4, [sp, #F_LEFT]
    subs r4, r4, #1
    str r4, [sp, #F_LEFT]
    bne 1b
    b 9f
.endm

.balign 4
.global tp_s8_conv1x1_few
.type tp_s8_conv1x1_few, %function
.thumb_func
tp_s8_conv1x1_few:
    push {r4-r11, lr}
    sub sp, sp, #FRAME
    ldm r0, {r1-r8}         @ in, pixels, cin, rec, cout, out, off, mode
    str r1, [sp, #F_IN]
    str r2, [sp, #F_LEFT]
    str r3, [sp, #F_CIN]
    str r4, [sp, #F_REC]
    str r7, [sp, #F_OFF]
    ldr r9, [r0, #32]       @ groups
    ldr r12, [r0, #36]      @ generic
    add r10, r9, #2         @ record words: 2 groups + 4 (+ 2 generic)
    add r10, r10, r12
    lsl r10, r10, #3        @ bytes per record
    mul r5, r5, r10
    add r11, r4, r5
    str r11, [sp, #F_END]
    mov lr, r11
    mov r0, r6
    add r8, r8, r12, lsl #1 @ variant: relu + 2 generic (+ 4 two groups)
    cmp r9, #1
    it ne
    addne r8, r8, #4
    tbh [pc, r8, lsl #1]
4:
    .hword (10f - 4b) / 2, (11f - 4b) / 2, (12f - 4b) / 2, (13f - 4b) / 2
    .hword (14f - 4b) / 2, (15f - 4b) / 2, (16f - 4b) / 2, (17f - 4b) / 2
10: C1_ONE 0
11: C1_ONE 1
12: C1_ONE_GENERIC 0
13: C1_ONE_GENERIC 1
14: C1_TWO 0
15: C1_TWO 1
16: C1_TWO_GENERIC 0
17: C1_TWO_GENERIC 1
9:
    add sp, sp, #FRAME
    pop {r4-r11, pc}
    .size tp_s8_conv1x1_few, . - tp_s8_conv1x1_few

#endif
