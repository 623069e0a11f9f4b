/* tp_msp430_store_fast_s8(job): requantize and store one output channel of a convolution tile
 * (tp_conv_tiles_s8.c, fast requantization): for j < outs, v = acc[j], or the maximum of
 * acc[4j .. 4j+3] with a fused 2x2 max pool (exact: the fast requantization is monotonic),
 * then dst[j][c] = clamp(tp_msp430_requant_fast(v, mult, e) + off, lo, hi).
 *
 * The requantized value lies in [-2^14, 2^14] (or saturates there, see
 * tp_msp430_requant_fast.S) and |off| <= 2^8, so the offset and the clamp are 16-bit.
 * r4 job, r5 acc, r6 dst, r7 outputs left, r8 pool comparisons left, r9:r10 a candidate.
 *
 * Job (tp_msp430_store_job, tp_msp430_s8.h): 0 acc, 2 dst, 4 outs, 6 pool, 8 c, 10 e,
 * 12 mult, 16 off, 18 lo, 20 hi.
 */
#if defined(__MSP430__) && defined(TP_DSP_HWMULT_HEADER)

    .section .text.tp_msp430_store_fast_s8,"ax",@progbits
    .global tp_msp430_store_fast_s8
    .type tp_msp430_store_fast_s8, @function
    .p2align 1

tp_msp430_store_fast_s8:
    push r10
    push r9
    push r8
    push r7
    push r6
    push r5
    push r4
    mov r12, r4
    mov 0(r4), r5
    mov 2(r4), r6
    mov 4(r4), r7
    tst r7
    jz 9f
1:  mov @r5+, r12
    mov @r5+, r13
    tst 6(r4)
    jz 4f
    mov #3, r8
2:  mov @r5+, r9
    mov @r5+, r10
    cmp r13, r10
    jl 3f
    jne 5f
    cmp r12, r9
    jlo 3f
5:  mov r9, r12
    mov r10, r13
3:  dec r8
    jnz 2b
4:  mov 12(r4), r14
    mov 14(r4), r15
    mov 10(r4), r11
    push r11
    call #tp_msp430_requant_fast
    add #2, r1
    add 16(r4), r12
    cmp 18(r4), r12
    jge 6f
    mov 18(r4), r12
6:  cmp 20(r4), r12
    jl 7f
    mov 20(r4), r12
7:  mov @r6+, r13
    add 8(r4), r13
    mov.b r12, 0(r13)
    dec r7
    jnz 1b
9:  pop r4
    pop r5
    pop r6
    pop r7
    pop r8
    pop r9
    pop r10
    ret
    .size tp_msp430_store_fast_s8, .-tp_msp430_store_fast_s8

#endif
