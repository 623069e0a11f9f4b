/* tp_msp430_dot_s8_quads(x, w, quads, init): as tp_msp430_dot_s8 over 4 * quads inputs with
 * weights in quads 16 bytes apart (the 4x4 interleaved fully-connected layout of
 * tp_fully_connected_s8.c: one output's weights for input quad q sit at w + 16 q).
 * 14 cycles a MAC (see tp_msp430_dot_s8.S). r12 x, r13 w, r14 quads left.
 */
#if defined(__MSP430__) && defined(TP_DSP_HWMULT_HEADER)
#include TP_DSP_HWMULT_HEADER

    .section .text.tp_msp430_dot_s8_quads,"ax",@progbits
    .global tp_msp430_dot_s8_quads
    .type tp_msp430_dot_s8_quads, @function
    .p2align 1

.macro MAC8
    mov.b @r12+, r11
    sxt r11
    mov r11, &TP_MACS_ADDR
    mov.b @r13+, r11
    sxt r11
    mov r11, &TP_OP2_ADDR
.endm

tp_msp430_dot_s8_quads:
    mov @r15, &TP_RESLO_ADDR
    mov 2(r15), &TP_RESHI_ADDR
    tst r14
    jz 2f
1:  MAC8
    MAC8
    MAC8
    MAC8
    add #12, r13
    dec r14
    jnz 1b
2:  mov &TP_RESLO_ADDR, r12
    mov &TP_RESHI_ADDR, r13
    ret
    .size tp_msp430_dot_s8_quads, .-tp_msp430_dot_s8_quads

#endif
