/* tp_s8_conv_tile: every output channel of one convolution tile of 8 output pixels (or of one
 * chunk of their windows), for tp_convolve_s8 and tp_conv_chain_s8 on ARMv7E-M (Thumb-2, DSP).
 * The job (tp_s8_tile_job) and the C side are in tp_s8_armv7em.h and ../../tp_conv_tiles_s8.c.
 *
 * Registers in the window loop: r0 weights, r1 columns, r2-r3 input words, r4-r11 the 8
 * accumulators, r12/lr the two weight pairs. Per step (four window values of one channel for 8
 * pixels): LDR + 2 SXTB16 + 8 LDRD + 16 SMLAD = 27 instructions for 32 MACs; eight steps per
 * iteration, then one reload of the end pointer, compare and branch. A step count that is not
 * a multiple of eight enters the loop part-way (every step is 108 bytes of 32-bit
 * instructions; the entries are computed once per call). A channel that starts from its bias
 * runs the first step separately with the bias (in r4) as every SMLAD addend, so the
 * accumulators need no initialization. Requantization per output (TFLite arithmetic, exact
 * for shift <= -1 and |acc| < 2^30, see tp_requant_fast in tp_requant.h):
 *   t = rnd + (x >> 31); h = SMMLAR(2x, M, t) = SRDHM(x, M) + rnd - (x < 0); v = h >> e;
 * (the sign of h may stand in for that of x: they differ only when h == 0, where both give 0),
 * then ReLU (BIC with the sign), + output offset, SSAT #8, STRB. The variant (store partial
 * sums, pool, ReLU, 8 or fewer outputs) is chosen once per call; only 8 outputs with
 * saturation (the usual case: a ReLU whose output zero point is -128 saturates) are unrolled.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

/* The stack frame. */
#define TP_F_COLS 0     /* columns */
#define TP_F_END 4      /* end of the columns */
#define TP_F_ENTRY 8    /* loop entry for `steps` steps (| 1) */
#define TP_F_ENTRY1 12  /* loop entry for steps - 1 (after the first step) */
#define TP_F_W 16       /* this channel weights */
#define TP_F_WSTRIDE 20
#define TP_F_BIAS 24    /* next bias, or 0 */
#define TP_F_ACCS 28
#define TP_F_MULT 32
#define TP_F_SHIFT 36
#define TP_F_C 40       /* channel */
#define TP_F_CHANNELS 44
#define TP_F_DST 48
#define TP_F_OFF 52
#define TP_F_OUTS 56
#define TP_F_TAIL 60    /* what follows the window loop (| 1) */
#define TP_F_ACC 64     /* 8 accumulators */
#define TP_F_SIZE 96

    .syntax unified
    .thumb
    .section .text.tp_s8_conv_tile,"ax",%progbits
.macro TP_PX off, a
    ldrd r2, r3, [r1, #\off]
    smlad \a, r2, r12, \a
    smlad \a, r3, lr, \a
.endm
.macro TP_STEP
    ldr.w r12, [r0], #4
    sxtb16 lr, r12, ror #8
    sxtb16 r12, r12
    TP_PX 8, r5
    TP_PX 16, r6
    TP_PX 24, r7
    TP_PX 32, r8
    TP_PX 40, r9
    TP_PX 48, r10
    TP_PX 56, r11
    ldrd r2, r3, [r1], #64
    smlad r4, r2, r12, r4
    smlad r4, r3, lr, r4
.endm
/* the first step of a channel: every accumulator starts from the bias in r4 */
.macro TP_PX1 off, a
    ldrd r2, r3, [r1, #\off]
    smlad \a, r2, r12, r4
    smlad \a, r3, lr, \a
.endm
.macro TP_STEP1
    ldr.w r12, [r0], #4
    sxtb16 lr, r12, ror #8
    sxtb16 r12, r12
    TP_PX1 8, r5
    TP_PX1 16, r6
    TP_PX1 24, r7
    TP_PX1 32, r8
    TP_PX1 40, r9
    TP_PX1 48, r10
    TP_PX1 56, r11
    ldrd r2, r3, [r1], #64
    smlad r4, r2, r12, r4
    smlad r4, r3, lr, r4
.endm
/* requantize r10 (x) and store it at [*r8++ + r9]; r4 M, r5 e, r6 rnd, r7 offset */
.macro TP_REQ relu
    add r11, r6, r10, asr #31
    add r10, r10, r10
    smmlar r10, r10, r4, r11
    asr r10, r10, r5
.if \relu
    bic r10, r10, r10, asr #31
.endif
    add r10, r10, r7
    ssat r10, #8, r10
    ldr r11, [r8], #4
    strb r10, [r11, r9]
.endm
/* spill the accumulators and load the channel's requantization: r1 -> accumulators */
.macro TP_REQ_SETUP
    add r1, sp, #TP_F_ACC
    stm r1, {r4-r11}
    ldr r9, [sp, #TP_F_C]
    ldr r4, [sp, #TP_F_MULT]
    ldr r4, [r4, r9, lsl #2]
    ldr r5, [sp, #TP_F_SHIFT]
    ldrsb r5, [r5, r9]
    rsb r5, r5, #0
    sub r6, r5, #1
    movs r7, #1
    lsl r6, r7, r6
    ldr r7, [sp, #TP_F_OFF]
    ldr r8, [sp, #TP_F_DST]
.endm
/* r2 = steps (>= 0) -> r2 = loop entry for that many steps (| 1) */
.macro TP_ENTRY
    cmp r2, #0
    beq 91f
    and r2, r2, #7
    rsb r2, r2, #8
    and r2, r2, #7
    movs r3, #108
    mul r2, r2, r3
    adr.w r3, 10f
    add r2, r2, r3
    b 92f
91:
    adr.w r2, 15f
92:
    orr r2, r2, #1
.endm
.balign 4
.global tp_s8_conv_tile
.type tp_s8_conv_tile, %function
.thumb
.thumb_func
tp_s8_conv_tile:
    push {r4-r11, lr}
    sub sp, sp, #TP_F_SIZE
    ldr r1, [r0, #4]
    str r1, [sp, #TP_F_COLS]
    ldr r2, [r0, #8]
    add r3, r1, r2, lsl #6
    str r3, [sp, #TP_F_END]
    mov r4, r2
    TP_ENTRY
    str r2, [sp, #TP_F_ENTRY]
    subs r2, r4, #1
    TP_ENTRY
    str r2, [sp, #TP_F_ENTRY1]
    ldr r1, [r0]
    str r1, [sp, #TP_F_W]
    ldr r1, [r0, #16]
    str r1, [sp, #TP_F_WSTRIDE]
    ldr r1, [r0, #20]
    str r1, [sp, #TP_F_BIAS]
    ldr r1, [r0, #24]
    str r1, [sp, #TP_F_ACCS]
    ldr r1, [r0, #28]
    str r1, [sp, #TP_F_MULT]
    ldr r1, [r0, #32]
    str r1, [sp, #TP_F_SHIFT]
    movs r1, #0
    str r1, [sp, #TP_F_C]
    ldr r1, [r0, #12]
    str r1, [sp, #TP_F_CHANNELS]
    ldr r1, [r0, #36]
    str r1, [sp, #TP_F_DST]
    ldr r1, [r0, #40]
    str r1, [sp, #TP_F_OFF]
    ldr r3, [r0, #48]
    str r3, [sp, #TP_F_OUTS]
/* the tail: store partial sums, pool, or requantize 8 / fewer, ReLU or not */
    ldr r1, [r0, #44]
    adr.w r2, 50f
    tst r1, #4
    bne 93f
    adr.w r2, 60f
    tst r1, #2
    bne 93f
    cmp r3, #8
    beq 94f
    adr.w r2, 73f
    tst r1, #1
    bne 93f
    adr.w r2, 72f
    b 93f
94:
    adr.w r2, 73f
    tst r1, #1
    bne 93f
    adr.w r2, 70f
93:
    orr r2, r2, #1
    str r2, [sp, #TP_F_TAIL]
    tst r1, #2
    it ne
    orrne r3, r3, #0x100  /* pooled: remember the ReLU flag next to the count */
    tst r1, #1
    it ne
    orrne r3, r3, #0x200
    str r3, [sp, #TP_F_OUTS]
20:  /* channel */
    ldr r2, [sp, #TP_F_BIAS]
    cmp r2, #0
    beq 21f
    ldr r4, [r2], #4
    str r2, [sp, #TP_F_BIAS]
    ldr r1, [sp, #TP_F_COLS]
    ldr r0, [sp, #TP_F_W]
    TP_STEP1
    ldr r2, [sp, #TP_F_ENTRY1]
    bx r2
21:
    ldr r2, [sp, #TP_F_ACCS]
    ldr r3, [sp, #TP_F_C]
    add r2, r2, r3, lsl #5
    ldm r2, {r4-r11}
    ldr r1, [sp, #TP_F_COLS]
    ldr r0, [sp, #TP_F_W]
    ldr r2, [sp, #TP_F_ENTRY]
    bx r2
.balign 4
10:
    .rept 8
    TP_STEP
    .endr
    ldr r2, [sp, #TP_F_END]
    cmp r1, r2
    bne 10b
15:
    ldr r1, [sp, #TP_F_W]
    ldr r2, [sp, #TP_F_WSTRIDE]
    add r1, r1, r2
    str r1, [sp, #TP_F_W]
    ldr r2, [sp, #TP_F_TAIL]
    bx r2
50:  /* store the partial sums */
    ldr r2, [sp, #TP_F_ACCS]
    ldr r3, [sp, #TP_F_C]
    add r2, r2, r3, lsl #5
    stm r2, {r4-r11}
    b 40f
70:  /* 8 outputs, saturate */
    TP_REQ_SETUP
    .rept 8
    ldr r10, [r1], #4
    TP_REQ 0
    .endr
    b 40f
72:  /* fewer outputs, saturate */
    TP_REQ_SETUP
    ldr r12, [sp, #TP_F_OUTS]
79:
    ldr r10, [r1], #4
    TP_REQ 0
    subs r12, r12, #1
    bne 79b
    b 40f
73:  /* ReLU (a loop: the unrolled form is kept for saturation only, to save code) */
    TP_REQ_SETUP
    ldr r12, [sp, #TP_F_OUTS]
    and r12, r12, #0xFF
78:
    ldr r10, [r1], #4
    TP_REQ 1
    subs r12, r12, #1
    bne 78b
    b 40f
60:  /* pooled outputs: the maximum of 4 accumulators each */
    TP_REQ_SETUP
    ldr r12, [sp, #TP_F_OUTS]
61:
    ldm r1!, {r2, r3, r10, r11}
    cmp r10, r11
    it lt
    movlt r10, r11
    cmp r10, r2
    it lt
    movlt r10, r2
    cmp r10, r3
    it lt
    movlt r10, r3
    tst r12, #0x200
    beq 62f
    TP_REQ 1
    b 63f
62:
    TP_REQ 0
63:
    sub r12, r12, #1
    tst r12, #0xFF
    bne 61b
40:
    ldr r3, [sp, #TP_F_C]
    adds r3, r3, #1
    str r3, [sp, #TP_F_C]
    ldr r2, [sp, #TP_F_CHANNELS]
    cmp r3, r2
    blt 20b
    add sp, sp, #TP_F_SIZE
    pop {r4-r11, pc}
.size tp_s8_conv_tile, .-tp_s8_conv_tile

#endif
