/* tp_msp430_requant_fast(x, multiplier, e): tp_requant_fast(x, multiplier, e, 2^(e-1))
 * (tp_requant.h) for |x| < 2^30, multiplier in [2^30, 2^31), 1 <= e <= 31, where it lies in
 * [-2^14, 2^14]; outside, a value of the same sign at least 2^14 in magnitude, which every
 * caller's int8 clamp (after an output offset of at most 2^8) turns into the same byte. Once
 * per output, on the multiplier's 16 x 16 products: the MSP430 has no barrel shifter, and
 * 32-bit shifts and 64-bit products are helper calls in C.
 *
 * The high multiply h = floor((x M + 2^30) / 2^31) as four 16 x 16 products: with
 * x = xh 2^16 + xl and M = mh 2^16 + ml (xl, ml unsigned), x M + 2^30 = xh mh 2^32 +
 * 2^16 mid + r (0 <= r < 2^16) where mid = (xl ml >> 16) + xl mh + xh ml + 2^14, so
 * h = 2 xh mh + floor(mid / 2^15). |xh| <= 2^14 and mh < 2^15 bound mid to
 * [-2^30 + 2^15, 2^31 + 2^30 - 2^16), so mid + 2^30 - 2^15 fits an unsigned 32-bit
 * accumulator exactly, and the multiplier's wrapping sums give it: xh ml is a signed product
 * with ml read as int16, plus xh 2^16 when ml >= 2^15.
 *
 * The rounding shift (h + 2^(e-1) - (h < 0)) >> e equals (g + 1) >> 1 with
 * g = (h - (h < 0)) >> s, s = e - 1, taken from the 16-bit halves of a = h - (h < 0): for
 * 1 <= s <= 15 it fits 16 bits exactly when -2^(s-1) <= ah < 2^(s-1) (else it saturates), and
 * then a >> s = (al 2^(16-s) >> 16) + (ah 2^(16-s) mod 2^16): two more products with a power of
 * two from the table below instead of s one-bit shifts of both halves. s >= 16 shifts ah bit
 * by bit (1 cycle a bit); s = 0 keeps a when it fits 16 bits.
 *
 * Arguments: r12:r13 x, r14:r15 multiplier, e at 2(r1) (4(r1) after the push); result in
 * r12:r13. r10 and r11 scratch.
 */
#if defined(__MSP430__) && defined(TP_DSP_HWMULT_HEADER)
#include TP_DSP_HWMULT_HEADER

    .section .rodata.tp_msp430_pow2,"a",@progbits
    .p2align 1
pow2:
    .word 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768

    .section .text.tp_msp430_requant_fast,"ax",@progbits
    .global tp_msp430_requant_fast
    .type tp_msp430_requant_fast, @function
    .p2align 1

tp_msp430_requant_fast:
    push r10
    /* mid = (xl ml >> 16) + 2^30 - 2^14 (+ xh 2^16 when ml >= 2^15), preloaded */
    mov r12, &TP_MPY_ADDR
    mov r14, &TP_OP2_ADDR
    mov &TP_RESHI_ADDR, r11
    mov #0x3FFF, r10
    add #0xC000, r11
    adc r10
    tst r14
    jge 1f
    add r13, r10
1:  mov r11, &TP_RESLO_ADDR
    mov r10, &TP_RESHI_ADDR
    /* + xl mh (unsigned) + xh ml (signed) */
    mov r12, &TP_MAC_ADDR
    mov r15, &TP_OP2_ADDR
    mov r13, &TP_MACS_ADDR
    mov r14, &TP_OP2_ADDR
    /* r11:r10 = the sum >> 15 (17 bits) */
    mov &TP_RESLO_ADDR, r11
    mov &TP_RESHI_ADDR, r10
    rla r11
    rlc r10
    mov #0, r11
    adc r11
    /* a = 2 xh mh + (sum >> 15) - (2^15 - 1), then a -= (a < 0) */
    mov r13, &TP_MPYS_ADDR
    mov r15, &TP_OP2_ADDR
    mov &TP_RESLO_ADDR, r12
    mov &TP_RESHI_ADDR, r13
    rla r12
    rlc r13
    add r10, r12
    addc r11, r13
    sub #0x7FFF, r12
    subc #0, r13
    tst r13
    jge 2f
    sub #1, r12
    subc #0, r13
2:  /* r12 al, r13 ah; r14 s */
    mov 4(r1), r14
    dec r14
    cmp #16, r14
    jl 4f
    /* s >= 16: g = ah >> (s - 16) */
    sub #16, r14
    jz 3f
5:  rra r13
    dec r14
    jnz 5b
3:  mov r13, r12
    jmp 9f
4:  tst r14
    jz 6f
    /* 1 <= s <= 15: saturate unless ah + 2^(s-1) < 2^s (unsigned) */
    rla r14
    mov r13, r11
    add pow2-2(r14), r11
    cmp pow2(r14), r11
    jhs 8f
    mov #32, r10
    sub r14, r10
    mov pow2(r10), r10
    mov r12, &TP_MPY_ADDR
    mov r10, &TP_OP2_ADDR
    mov &TP_RESHI_ADDR, r12
    mov r13, &TP_MPY_ADDR
    mov r10, &TP_OP2_ADDR
    add &TP_RESLO_ADDR, r12
    jmp 9f
6:  /* s = 0: a when it fits 16 bits */
    mov #0, r11
    tst r12
    jge 7f
    mov #-1, r11
7:  cmp r11, r13
    jeq 9f
8:  /* saturate: the sign of ah */
    mov #0x7FFF, r12
    tst r13
    jge 9f
    mov #0x8000, r12
9:  /* (g + 1) >> 1 = (g >> 1) + (g & 1), sign-extended to 32 bits */
    rra r12
    adc r12
    mov r12, r13
    rla r13
    subc r13, r13
    inv r13
    pop r10
    ret
    .size tp_msp430_requant_fast, .-tp_msp430_requant_fast

#endif
