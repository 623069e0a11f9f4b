/* tp_f32_sparse_dot8: acc[0..7] += value[e] * x[position][0..7] over the entries [delta, end)
 * of one sparse segment (tp_conv_sparse_f32.c): x value-major float (8 pixels, 32 bytes per
 * position), one uint8 position step and one float value per entry.
 *
 * r0 x, r1 steps, r2 their end, r3 values, r12 acc (the fifth argument), r4 a step; s0-s7 the
 * accumulators, s8-s15 the 8 inputs of a position (one VLDM), s16 the value. Per entry: LDRB,
 * ADD, two VLDM, eight VFMA, CMP and BNE: 14 instructions for 8 MACs.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4) && \
    defined(__ARM_FEATURE_FMA)

    .syntax unified
    .thumb
    .fpu fpv5-sp-d16
    .section .text.tp_f32_sparse_dot8,"ax",%progbits
.balign 4
.global tp_f32_sparse_dot8
.type tp_f32_sparse_dot8, %function
.thumb
.thumb_func
tp_f32_sparse_dot8:
    cmp r1, r2
    it eq
    bxeq lr
    ldr r12, [sp]
    push {r4}
    vpush {s16}
    vldm r12, {s0-s7}
1:
    ldrb r4, [r1], #1
    add r0, r0, r4, lsl #5
    vldmia r3!, {s16}
    vldm r0, {s8-s15}
    vfma.f32 s0, s16, s8
    vfma.f32 s1, s16, s9
    vfma.f32 s2, s16, s10
    vfma.f32 s3, s16, s11
    vfma.f32 s4, s16, s12
    vfma.f32 s5, s16, s13
    vfma.f32 s6, s16, s14
    vfma.f32 s7, s16, s15
    cmp r1, r2
    bne 1b
    vstm r12, {s0-s7}
    vpop {s16}
    pop {r4}
    bx lr
.size tp_f32_sparse_dot8, .-tp_f32_sparse_dot8

#endif
