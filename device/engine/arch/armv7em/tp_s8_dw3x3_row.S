/* tp_s8_dw3x3_row: one output row of g channels of a 3x3 depthwise convolution from the ring
 * of expanded input rows, with the fast exact requantization (tp_depthwise_conv_ring_s8.c;
 * the job, tp_s8_dw_job, is in tp_armv7em_s8.h).
 *
 * Registers: r4-r9 the accumulators of 6 neighbouring outputs (3 pairs), r10/r11/r12/lr the
 * weight pairs Wa, Wb, Wc, Wd of one window row, r2/r3 two expanded input words, r1 the ring
 * row, r0 the weight pointer. Per window row: 2 LDRD (weights), LDRD + 2 LDR (inputs) and
 * 12 SMLAD for 6 outputs. Requantization per output as in tp_s8_conv_tile (SMMLAR), stored
 * from the last output of the block that is < ow backwards (a TBH into the unrolled sequence,
 * with or without the ReLU). The ring row pointers of the job advance by one channel per
 * channel (the job is scratch). Frame: [sp] job, [4] channels left, [8] block offset into the
 * ring rows, [12] weights, [16] rq, [20] output of this block, [24] outputs left in the row,
 * [28] output of this channel.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_dw3x3_row,"ax",%progbits
.macro TP_DW_KY
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
    smlad r9, r2, r12, r9
    smlad r9, r3, lr, r9
.endm
/* acc in \a; r10 M, r11 e, r12 rnd, lr offset, r1 out, r2 stride; relu: max(v, 0) */
.macro TP_DW_REQ a, relu
    add.w r0, r12, \a, asr #31
    add.w \a, \a, \a
    smmlar \a, \a, r10, r0
    asr.w \a, \a, r11
.if \relu
    bic.w \a, \a, \a, asr #31
.endif
    add.w \a, \a, lr
    ssat \a, #8, \a
    strb.w \a, [r1]
    sub.w r1, r1, r2
.endm
.balign 4
.global tp_s8_dw3x3_row
.type tp_s8_dw3x3_row, %function
.thumb
.thumb_func
tp_s8_dw3x3_row:
    push {r4-r11, lr}
    sub sp, sp, #32
    str r0, [sp]
    ldr r1, [r0, #44]
    str r1, [sp, #4]
    ldr r1, [r0, #16]
    str r1, [sp, #12]
    ldr r1, [r0, #20]
    str r1, [sp, #16]
    ldr r1, [r0, #24]
    str r1, [sp, #28]
1:  /* channel; r0 = job */
    movs r1, #0
    str r1, [sp, #8]
    ldr r1, [sp, #28]
    str r1, [sp, #20]
    ldr r1, [r0, #32]
    str r1, [sp, #24]
2:  /* block of 3 output pairs; r0 = job */
    ldr r1, [sp, #16]
    ldr r4, [r1]
    mov r5, r4
    mov r6, r4
    mov r7, r4
    mov r8, r4
    mov r9, r4
    ldr r2, [sp, #8]
    ldr r1, [r0]
    add r1, r1, r2
    ldr r0, [sp, #12]
    TP_DW_KY
    ldr r2, [sp]
    ldr r1, [r2, #4]
    ldr r2, [sp, #8]
    add r1, r1, r2
    TP_DW_KY
    ldr r2, [sp]
    ldr r1, [r2, #8]
    ldr r2, [sp, #8]
    add r1, r1, r2
    TP_DW_KY
    ldr r0, [sp, #16]
    ldrd r10, r11, [r0, #4]
    ldr r12, [r0, #12]
    ldr r0, [sp]
    ldr lr, [r0, #36]
    ldr r3, [r0, #40]
    ldr r2, [r0, #28]
    ldr r0, [sp, #24]  /* outputs left in the row */
    cmp r0, #6
    it gt
    movgt r0, #6
    ldr r1, [sp, #20]
    mla r1, r2, r0, r1
    sub r1, r1, r2  /* the block's last stored output */
    rsb r0, r0, #6
    cmp r3, #0
    it ne
    addne r0, r0, #6
    tbh [pc, r0, lsl #1]
11:
    .hword (20f - 11b) / 2, (21f - 11b) / 2, (22f - 11b) / 2
    .hword (23f - 11b) / 2, (24f - 11b) / 2, (25f - 11b) / 2
    .hword (30f - 11b) / 2, (31f - 11b) / 2, (32f - 11b) / 2
    .hword (33f - 11b) / 2, (34f - 11b) / 2, (35f - 11b) / 2
20:
    TP_DW_REQ r9, 0
21:
    TP_DW_REQ r8, 0
22:
    TP_DW_REQ r7, 0
23:
    TP_DW_REQ r6, 0
24:
    TP_DW_REQ r5, 0
25:
    TP_DW_REQ r4, 0
    b 26f
30:
    TP_DW_REQ r9, 1
31:
    TP_DW_REQ r8, 1
32:
    TP_DW_REQ r7, 1
33:
    TP_DW_REQ r6, 1
34:
    TP_DW_REQ r5, 1
35:
    TP_DW_REQ r4, 1
26:
    ldr r0, [sp]
    ldr r1, [sp, #24]
    subs r1, r1, #6
    ble 3f
    str r1, [sp, #24]
    ldr r1, [sp, #8]
    adds r1, r1, #12
    str r1, [sp, #8]
    ldr r1, [sp, #20]
    ldr r2, [r0, #28]
    add r2, r2, r2, lsl #1
    add r1, r1, r2, lsl #1
    str r1, [sp, #20]
    b 2b
3:  /* next channel; r0 = job */
    ldr r1, [r0, #12]
    ldr r2, [r0]
    add r2, r2, r1
    str r2, [r0]
    ldr r2, [r0, #4]
    add r2, r2, r1
    str r2, [r0, #4]
    ldr r2, [r0, #8]
    add r2, r2, r1
    str r2, [r0, #8]
    ldr r1, [sp, #12]
    adds r1, r1, #48
    str r1, [sp, #12]
    ldr r1, [sp, #16]
    adds r1, r1, #16
    str r1, [sp, #16]
    ldr r1, [sp, #28]
    adds r1, r1, #1
    str r1, [sp, #28]
    ldr r1, [sp, #4]
    subs r1, r1, #1
    str r1, [sp, #4]
    bne 1b
    add sp, sp, #32
    pop {r4-r11, pc}
.size tp_s8_dw3x3_row, .-tp_s8_dw3x3_row

#endif
