/* int32_t *tp_s8_widen(const int8_t *src, int32_t quads, int32_t *dst): the im2col step of the
 * convolution tiles (tp_conv_tiles_s8.c). quads groups of four int8 at src become one pixel's
 * two int16 words per group, (x0, x2) and (x1, x3) as SXTB16 produces them, stored one step
 * (64 bytes: 8 pixels x 2 words) apart; returns dst past the last step.
 *
 * In assembly because each group's two words go out with one STRD that advances dst (and
 * word-aligned rows come in with LDRD): written in C, gcc 12 emits two STR and an ADD per group.
 * Word-aligned sources take four groups per iteration (2 LDRD, 8 SXTB16, 4 STRD), the rest one
 * group at a time (LDR, 2 SXTB16, STRD).
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_s8_widen,"ax",%progbits
    .balign 2
    .global tp_s8_widen
    .type tp_s8_widen, %function
    .thumb_func
tp_s8_widen:
    mov r3, r0              /* r3 src, r0 dst, ip end of src */
    mov r0, r2
    lsls r2, r3, #30
    add ip, r3, r1, lsl #2
    push {r4, r5, r6, lr}
    bne 3f                  /* not word-aligned: one group at a time */
    cmp r1, #0
    it lt
    addlt r1, r1, #3
    asrs r1, r1, #2
    add lr, r3, r1, lsl #4  /* end of the whole blocks of four groups */
    cmp r3, lr
    beq 3f
1:
    ldrd r5, r4, [r3], #8
    sxtb16 r6, r5
    ldrd r1, r2, [r3], #8
    sxtb16 r5, r5, ror #8
    strd r6, r5, [r0], #64
    sxtb16 r5, r4
    sxtb16 r4, r4, ror #8
    strd r5, r4, [r0], #64
    sxtb16 r4, r1
    sxtb16 r1, r1, ror #8
    strd r4, r1, [r0], #64
    sxtb16 r1, r2
    sxtb16 r2, r2, ror #8
    strd r1, r2, [r0], #64
    cmp lr, r3
    bne 1b
    b 3f
2:
    ldr r2, [r3], #4
    sxtb16 r1, r2, ror #8
    sxtb16 r2, r2
    strd r2, r1, [r0], #64
3:
    cmp ip, r3
    bne 2b
    pop {r4, r5, r6, pc}
    .size tp_s8_widen, .-tp_s8_widen

#endif
