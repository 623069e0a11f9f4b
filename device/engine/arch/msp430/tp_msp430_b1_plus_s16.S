/* tp_msp430_b1_plus_s16(v, w, k): the sum of the int16 values v[i], i < k, whose bit i of the
 * flat bit string w is set (tp_binary_dot_s8 in tp_binary_window.h), in 16 bits: the caller
 * uses it when 255 x k fits (k <= 128).
 *
 * Each word of w is inverted once, so RRA puts the complement of its next bit in the carry
 * and SUBC m, m makes the value's mask: 6 cycles a value (RRA, SUBC, the value's load, AND,
 * ADD), branch-free, 16 values a word unrolled.
 *
 * r12 v, r13 w, r14 k, r15 the sum, r11 the bits, r10 the mask, r9 the value.
 */
#if defined(__MSP430__)

    .section .text.tp_msp430_b1_plus_s16,"ax",@progbits
    .global tp_msp430_b1_plus_s16
    .type tp_msp430_b1_plus_s16, @function
    .p2align 1

.macro TP_PLUS_VALUE
    rra r11
    subc r10, r10
    mov @r12+, r9
    and r10, r9
    add r9, r15
.endm

tp_msp430_b1_plus_s16:
    push r9
    push r10
    clr r15
1:  cmp #16, r14
    jl 2f
    mov @r13+, r11
    inv r11
    .rept 16
    TP_PLUS_VALUE
    .endr
    sub #16, r14
    jmp 1b
2:  tst r14
    jz 4f
    mov @r13+, r11
    inv r11
3:  TP_PLUS_VALUE
    dec r14
    jnz 3b
4:  mov r15, r12
    pop r10
    pop r9
    ret
    .size tp_msp430_b1_plus_s16, .-tp_msp430_b1_plus_s16

#endif
