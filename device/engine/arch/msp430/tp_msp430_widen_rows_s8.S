/* tp_msp430_widen_rows_s8(dst, src, n, rows, stride): rows >= 1 rows of n int8 values, stride
 * bytes apart from src, as rows * n consecutive int16 values at dst: the whole window of a
 * pixel that lies inside the input (the common case of tp_msp430_conv_tile_s8.h's gather), in
 * one call instead of one per window row. Two values per iteration as tp_msp430_widen_s8.S
 * (9 cycles a value). r12 dst, r13 src, r14 n, r15 rows left, r11 stride - n, r10 pairs left,
 * r9 the value; the fifth argument at 2(r1) at entry, 6(r1) after the pushes.
 */
#if defined(__MSP430__)

    .section .text.tp_msp430_widen_rows_s8,"ax",@progbits
    .global tp_msp430_widen_rows_s8
    .type tp_msp430_widen_rows_s8, @function
    .p2align 1

tp_msp430_widen_rows_s8:
    push r10
    push r9
    mov 6(r1), r11
    sub r14, r11
1:  bit #1, r14
    jz 2f
    mov.b @r13+, r9
    sxt r9
    mov r9, 0(r12)
    incd r12
2:  mov r14, r10
    rra r10
    jz 4f
3:  mov.b @r13+, r9
    sxt r9
    mov r9, 0(r12)
    mov.b @r13+, r9
    sxt r9
    mov r9, 2(r12)
    add #4, r12
    dec r10
    jnz 3b
4:  add r11, r13
    dec r15
    jnz 1b
    pop r9
    pop r10
    ret
    .size tp_msp430_widen_rows_s8, .-tp_msp430_widen_rows_s8

#endif
