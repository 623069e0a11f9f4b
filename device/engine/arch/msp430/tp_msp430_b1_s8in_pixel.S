/* tp_msp430_b1_s8in_pixel(col, job): every output bit of one pixel of tp_binary_conv_s8in_b1
 * (int8 input, binary weights, binary output) for windows of k <= 128 values; returns the
 * output pointer past the pixel's words.
 *
 * job (tp_msp430_s8in_job in tp_msp430_b1.h): the flat weight bit strings, the int32
 * thresholds, the output, k, the channel count and the window's sum. Per channel: the values
 * whose weight bit is set are summed as in tp_msp430_b1_plus_s16 (9 cycles a value with the
 * count), dot = 2 x that - sum in 16 bits (exact: |dot| <= 255 x 128), sign-extended and
 * compared with the threshold in 32 bits, and the bit ORed into the output word. In C the
 * per-channel work around the sum took about 250 cycles (32-bit counters and compares).
 *
 * r4 weights, r5 thresholds, r6 output, r7 the output word, r8 its mask, r9 a value, r10 the
 * values of this weight word, r11 a value's mask, r12 the values, r13 the weight bits (inverted),
 * r14 the values left, r15 the sum; col, k, channels left and the window's sum on the stack.
 */
#if defined(__MSP430__)

    .section .text.tp_msp430_b1_s8in_pixel,"ax",@progbits
    .global tp_msp430_b1_s8in_pixel
    .type tp_msp430_b1_s8in_pixel, @function
    .p2align 1

tp_msp430_b1_s8in_pixel:
    push r4
    push r5
    push r6
    push r7
    push r8
    push r9
    push r10
    mov @r13, r4
    mov 2(r13), r5
    mov 4(r13), r6
    mov 10(r13), r9
    push r9
    mov 8(r13), r9
    push r9
    mov 6(r13), r9
    push r9
    push r12
    clr r7
    mov #1, r8
1:  mov 0(r1), r12
    mov 2(r1), r14
    clr r15
2:  mov @r4+, r13
    inv r13
    mov #16, r10
    cmp r10, r14
    jge 3f
    mov r14, r10
3:  sub r10, r14
4:  rra r13
    subc r11, r11
    mov @r12+, r9
    and r11, r9
    add r9, r15
    dec r10
    jnz 4b
    tst r14
    jnz 2b
    rla r15
    sub 6(r1), r15
    mov r15, r9
    rla r9
    subc r9, r9
    inv r9
    sub @r5+, r15
    subc @r5+, r9
    jl 5f
    bis r8, r7
5:  rla r8
    jnz 6f
    mov r7, 0(r6)
    incd r6
    clr r7
    mov #1, r8
6:  dec 4(r1)
    jnz 1b
    cmp #1, r8
    jeq 7f
    mov r7, 0(r6)
    incd r6
7:  add #8, r1
    mov r6, r12
    pop r10
    pop r9
    pop r8
    pop r7
    pop r6
    pop r5
    pop r4
    ret
    .size tp_msp430_b1_s8in_pixel, .-tp_msp430_b1_s8in_pixel

#endif
