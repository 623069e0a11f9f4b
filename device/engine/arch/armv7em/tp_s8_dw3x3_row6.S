/* tp_s8_dw3x3_row6: tp_s8_dw3x3_row for rows of at most 6 outputs (one block): per channel a
 * 64-byte record {bias, multiplier, -shift, 2^(-shift-1), 12 weight pairs} walked by the
 * weight pointer r0, the store entry computed once per call, and with 5 or fewer outputs the
 * sixth accumulator left out of the window loop. Frame: [0..8] ring rows (channel 0), [12]
 * bytes between channels, [16] offset of this channel, [20] its output, [24] (ow - 1) * c,
 * [28] TBH index, [32] c, [36] output offset, [40] channels left. Job fields as tp_s8_dw_job
 * (tp_armv7em_s8.h), records in place of pairs.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_dw3x3_row6,"ax",%progbits
.macro TP_DW6_KY six
    ldrd r10, r11, [r0], #8
    ldrd r12, lr, [r0], #8
    ldrd r2, r3, [r1]
    smlad r4, r2, r10, r4
    smlad r4, r3, r11, r4
    smlad r5, r2, r12, r5
    smlad r5, r3, lr, r5
    ldr r2, [r1, #8]
    smlad r6, r3, r10, r6
    smlad r6, r2, r11, r6
    smlad r7, r3, r12, r7
    smlad r7, r2, lr, r7
    ldr r3, [r1, #12]
    smlad r8, r2, r10, r8
    smlad r8, r3, r11, r8
.if \six
    smlad r9, r2, r12, r9
    smlad r9, r3, lr, r9
.endif
.endm
.macro TP_DW6_REQ a, relu
    add.w r3, r12, \a, asr #31
    add.w \a, \a, \a
    smmlar \a, \a, r10, r3
    asr.w \a, \a, r11
.if \relu
    bic.w \a, \a, \a, asr #31
.endif
    add.w \a, \a, lr
    ssat \a, #8, \a
    strb.w \a, [r1]
    sub.w r1, r1, r2
.endm
.macro TP_DW6_ROW k
    ldr r2, [sp, #16]
    ldr r1, [sp, #\k]
    add r1, r1, r2
.endm
.balign 4
.global tp_s8_dw3x3_row6
.type tp_s8_dw3x3_row6, %function
.thumb
.thumb_func
tp_s8_dw3x3_row6:
    push {r4-r11, lr}
    sub sp, sp, #48
    ldr r1, [r0]
    str r1, [sp]
    ldr r1, [r0, #4]
    str r1, [sp, #4]
    ldr r1, [r0, #8]
    str r1, [sp, #8]
    ldr r1, [r0, #12]
    str r1, [sp, #12]
    movs r1, #0
    str r1, [sp, #16]
    ldr r1, [r0, #24]
    str r1, [sp, #20]
    ldr r2, [r0, #28]
    str r2, [sp, #32]
    ldr r3, [r0, #32]
    sub r1, r3, #1
    mul r1, r1, r2
    str r1, [sp, #24]
    rsb r1, r3, #6
    ldr r2, [r0, #40]
    cmp r2, #0
    it ne
    addne r1, r1, #6
    str r1, [sp, #28]
    ldr r1, [r0, #36]
    str r1, [sp, #36]
    ldr r1, [r0, #44]
    str r1, [sp, #40]
    cmp r3, #6
    ldr r0, [r0, #16]
    beq 60f
50:
    ldr r4, [r0], #16
    mov r5, r4
    mov r6, r4
    mov r7, r4
    mov r8, r4
    TP_DW6_ROW 0
    TP_DW6_KY 0
    TP_DW6_ROW 4
    TP_DW6_KY 0
    TP_DW6_ROW 8
    TP_DW6_KY 0
    bl 70f
    ldr r1, [sp, #40]
    subs r1, r1, #1
    str r1, [sp, #40]
    bne 50b
    b 80f
60:
    ldr r4, [r0], #16
    mov r5, r4
    mov r6, r4
    mov r7, r4
    mov r8, r4
    mov r9, r4
    TP_DW6_ROW 0
    TP_DW6_KY 1
    TP_DW6_ROW 4
    TP_DW6_KY 1
    TP_DW6_ROW 8
    TP_DW6_KY 1
    bl 70f
    ldr r1, [sp, #40]
    subs r1, r1, #1
    str r1, [sp, #40]
    bne 60b
    b 80f
70:
    push {lr}
    ldrd r10, r11, [r0, #-60]
    ldr r12, [r0, #-52]
    ldr lr, [sp, #40]
    ldr r2, [sp, #36]
    ldr r1, [sp, #24]
    ldr r3, [sp, #28]
    add r1, r1, r3
    ldr r3, [sp, #32]
    tbh [pc, r3, lsl #1]
71:
    .hword (20f - 71b) / 2, (21f - 71b) / 2, (22f - 71b) / 2
    .hword (23f - 71b) / 2, (24f - 71b) / 2, (25f - 71b) / 2
    .hword (30f - 71b) / 2, (31f - 71b) / 2, (32f - 71b) / 2
    .hword (33f - 71b) / 2, (34f - 71b) / 2, (35f - 71b) / 2
20:
    TP_DW6_REQ r9, 0
21:
    TP_DW6_REQ r8, 0
22:
    TP_DW6_REQ r7, 0
23:
    TP_DW6_REQ r6, 0
24:
    TP_DW6_REQ r5, 0
25:
    TP_DW6_REQ r4, 0
    b 26f
30:
    TP_DW6_REQ r9, 1
31:
    TP_DW6_REQ r8, 1
32:
    TP_DW6_REQ r7, 1
33:
    TP_DW6_REQ r6, 1
34:
    TP_DW6_REQ r5, 1
35:
    TP_DW6_REQ r4, 1
26:
    ldr r1, [sp, #20]
    ldr r2, [sp, #16]
    add r1, r1, r2
    str r1, [sp, #20]
    ldr r1, [sp, #24]
    adds r1, r1, #1
    str r1, [sp, #24]
    pop {pc}
80:
    add sp, sp, #48
    pop {r4-r11, pc}
.size tp_s8_dw3x3_row6, .-tp_s8_dw3x3_row6

#endif
