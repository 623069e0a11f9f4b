/* tp_s8_widen_pairs: for each of quads groups of four channels, pairs x two neighbouring
 * input pixels -> the four channels' words (x + offset of the first pixel low, of the second
 * high), stored at dst, dst + L, dst + 2L, dst + 3L and dst advancing one word per pair (the
 * stride-2 ring rows of tp_depthwise_conv_s2_s8.c); the next group's src is 4 bytes on, its
 * dst 4L on. Per pair two LDR, four SXTAB16, four PKH, four STR and the loop: 17 instructions
 * per eight values.
 * r0 src (channel 0 of the first pixel), r1 bytes between pixels, r2 pairs (>= 1), r3 the
 * input offset in both halfwords, [sp] dst, [sp, #4] L (bytes between the channels' rows),
 * [sp, #8] quads (>= 1).
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_widen_pairs,"ax",%progbits
.balign 4
.global tp_s8_widen_pairs
.type tp_s8_widen_pairs, %function
.thumb_func
tp_s8_widen_pairs:
    push {r4-r11, lr}
    ldr r4, [sp, #36]
    ldr r5, [sp, #40]
    add r6, r5, r5
    add r7, r6, r5
    add lr, r1, r1
0:  @ group of four channels
    push {r0, r2, r4}
1:
    ldr r8, [r0]
    ldr r9, [r0, r1]
    add r0, r0, lr
    sxtab16 r10, r3, r8, ror #8
    sxtab16 r8, r3, r8
    sxtab16 r11, r3, r9, ror #8
    sxtab16 r9, r3, r9
    pkhbt r12, r8, r9, lsl #16
    pkhtb r9, r9, r8, asr #16
    pkhbt r8, r10, r11, lsl #16
    pkhtb r11, r11, r10, asr #16
    str r8, [r4, r5]
    str r9, [r4, r6]
    str r11, [r4, r7]
    str r12, [r4], #4
    subs r2, r2, #1
    bne 1b
    pop {r0, r2, r4}
    adds r0, r0, #4
    add r4, r4, r5, lsl #2
    ldr r8, [sp, #44]
    subs r8, r8, #1
    str r8, [sp, #44]
    bne 0b
    pop {r4-r11, pc}
    .size tp_s8_widen_pairs, . - tp_s8_widen_pairs

#endif
