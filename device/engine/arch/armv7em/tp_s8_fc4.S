/* tp_s8_fc4: acc[0..3] += the dot products of 4 * quads int8 inputs with the interleaved
 * weights of 4 outputs (tp_fully_connected_s8.c), quads >= 1.
 *
 * r0 x, r1 weights, r2 end of x, r3 accumulators; r4-r7 the 4 accumulators, r8/r9 the input
 * pairs, r10/r11 the weight words of two outputs, r12 the second pair of one of them. Per quad
 * of inputs one LDR and two SXTB16 (shared by the 4 outputs), two LDRD of weights, eight
 * SXTB16 and eight SMLAD: 21 instructions per 16 MACs, unrolled twice.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_fc4,"ax",%progbits
.macro TP_FC_QUAD
    ldr r8, [r0], #4
    sxtb16 r9, r8, ror #8
    sxtb16 r8, r8
    ldrd r10, r11, [r1], #8
    sxtb16 r12, r10, ror #8
    sxtb16 r10, r10
    smlad r4, r8, r10, r4
    smlad r4, r9, r12, r4
    sxtb16 r12, r11, ror #8
    sxtb16 r11, r11
    smlad r5, r8, r11, r5
    smlad r5, r9, r12, r5
    ldrd r10, r11, [r1], #8
    sxtb16 r12, r10, ror #8
    sxtb16 r10, r10
    smlad r6, r8, r10, r6
    smlad r6, r9, r12, r6
    sxtb16 r12, r11, ror #8
    sxtb16 r11, r11
    smlad r7, r8, r11, r7
    smlad r7, r9, r12, r7
.endm
.balign 4
.global tp_s8_fc4
.type tp_s8_fc4, %function
.thumb
.thumb_func
tp_s8_fc4:
    push {r4-r11, lr}
    ldm r3, {r4-r7}
    add r2, r0, r2, lsl #2
    tst r2, #4  /* an odd number of quads (x is word-aligned): one first */
    beq 1f
    tst r0, #4
    beq 2f
    b 3f
1:
    tst r0, #4
    beq 3f
2:
    TP_FC_QUAD
    cmp r0, r2
    beq 4f
3:
    TP_FC_QUAD
    TP_FC_QUAD
    cmp r0, r2
    bne 3b
4:
    stm r3, {r4-r7}
    pop {r4-r11, pc}
.size tp_s8_fc4, .-tp_s8_fc4

#endif
