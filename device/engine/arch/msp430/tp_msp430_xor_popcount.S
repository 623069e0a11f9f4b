/* tp_msp430_xor_popcount(a, b, n): popcount(a[i] XOR b[i]) summed over n 16-bit words, the
 * inner loop of the MSP430's input-channel binary kernels (tp_popcount.h).
 *
 * A byte table (256 bytes in FRAM, beside the routine): the MSP430 shifts one bit per
 * instruction, so SWAR's shifts by 2, 4 and 8 cost more than two indexed loads. Per word: two
 * loads with the XOR (4 cycles), the low byte (1), its count (3 + 1), SWPB and the high byte
 * (2), its count (3 + 1), the loop (3): 18 cycles, 1.1 per binary MAC.
 *
 * r12 a, r13 b, r14 n, r15 the count, r10 and r11 the bytes.
 */
#if defined(__MSP430__)

    .section .rodata.tp_msp430_popcount8,"a",@progbits
tp_msp430_popcount8:
    .irp hi, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4
    .byte \hi+0, \hi+1, \hi+1, \hi+2, \hi+1, \hi+2, \hi+2, \hi+3
    .byte \hi+1, \hi+2, \hi+2, \hi+3, \hi+2, \hi+3, \hi+3, \hi+4
    .endr

    .section .text.tp_msp430_xor_popcount,"ax",@progbits
    .global tp_msp430_xor_popcount
    .type tp_msp430_xor_popcount, @function
    .p2align 1

tp_msp430_xor_popcount:
    push r10
    clr r15
    tst r14
    jz 2f
1:  mov @r12+, r11
    xor @r13+, r11
    mov.b r11, r10
    mov.b tp_msp430_popcount8(r10), r10
    add r10, r15
    swpb r11
    mov.b r11, r11
    mov.b tp_msp430_popcount8(r11), r11
    add r11, r15
    dec r14
    jnz 1b
2:  mov r15, r12
    pop r10
    ret
    .size tp_msp430_xor_popcount, .-tp_msp430_xor_popcount

#endif
