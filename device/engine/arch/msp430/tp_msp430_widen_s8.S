/* tp_msp430_widen_s8(dst, src, n): dst[i] = src[i] for i < n, int8 to int16 (the gather of
 * tp_msp430_conv_tile_s8.h). Two values per iteration: `mov.b @src+, r15` / `sxt r15` /
 * `mov r15, k(dst)` twice, then the pointer and the count: 9 cycles a value. src may be odd,
 * so bytes are loaded one at a time. r12 dst, r13 src, r14 pairs left.
 */
#if defined(__MSP430__)

    .section .text.tp_msp430_widen_s8,"ax",@progbits
    .global tp_msp430_widen_s8
    .type tp_msp430_widen_s8, @function
    .p2align 1

tp_msp430_widen_s8:
    bit #1, r14
    jz 1f
    mov.b @r13+, r15
    sxt r15
    mov r15, 0(r12)
    incd r12
1:  rra r14
    jz 3f
2:  mov.b @r13+, r15
    sxt r15
    mov r15, 0(r12)
    mov.b @r13+, r15
    sxt r15
    mov r15, 2(r12)
    add #4, r12
    dec r14
    jnz 2b
3:  ret
    .size tp_msp430_widen_s8, .-tp_msp430_widen_s8

#endif
