/* tp_msp430_dot_s8(x, w, n, init): *init + sum of x[i] * w[i] for i < n, x and w int8, exactly
 * as the int32 portable loop (tp_fully_connected_s8.c, row-major weights).
 *
 * The accumulator is the multiplier's RESHI:RESLO in signed multiply-accumulate mode (32 bits,
 * wrapping), preloaded with *init. A MAC is `mov.b @x+, r11` / `sxt r11` / `mov r11, &MACS`,
 * then the same for w into OP2: 14 cycles (mspdebug's multiplier has no sign-extending byte
 * mode), unrolled four times. r12 x, r13 w, r14 n % 4, r15 n / 4.
 */
#if defined(__MSP430__) && defined(TP_DSP_HWMULT_HEADER)
#include TP_DSP_HWMULT_HEADER

    .section .text.tp_msp430_dot_s8,"ax",@progbits
    .global tp_msp430_dot_s8
    .type tp_msp430_dot_s8, @function
    .p2align 1

.macro MAC8
    mov.b @r12+, r11
    sxt r11
    mov r11, &TP_MACS_ADDR
    mov.b @r13+, r11
    sxt r11
    mov r11, &TP_OP2_ADDR
.endm

tp_msp430_dot_s8:
    mov @r15, &TP_RESLO_ADDR
    mov 2(r15), &TP_RESHI_ADDR
    mov r14, r15
    rra r15
    rra r15
    and #3, r14
    tst r15
    jz 2f
1:  MAC8
    MAC8
    MAC8
    MAC8
    dec r15
    jnz 1b
2:  tst r14
    jz 4f
3:  MAC8
    dec r14
    jnz 3b
4:  mov &TP_RESLO_ADDR, r12
    mov &TP_RESHI_ADDR, r13
    ret
    .size tp_msp430_dot_s8, .-tp_msp430_dot_s8

#endif
