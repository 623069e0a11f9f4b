/* tp_msp430_b1_oc_words(col, planes, wt, words): the bit-sliced counts of one tile of
 * tp_binary_conv_b1_oc (16 output channels, tp_binary_count_oc.h) over `words` window words;
 * planes[0..3] (ones, twos, fours, eights) carried in and out, the words of weight 16 rippled
 * into planes[4..] (zeroed and sized by the caller).
 *
 * The input word is inverted once, so RRC puts the complement of its next bit in the carry
 * and SUBC t, t makes the lane mask (all ones where the bit is +1) in one cycle. The
 * carry-save adder needs no temporary in this two-operand instruction set:
 *     l ^= a (u); a &= ~l (a & old l); l ^= b (the sum); b &= ~l (u & b); a |= b (the carry),
 * 5 cycles. Per 16 input bits x 16 channels: 16 loads of lane words (2 cycles), 16 masks
 * and XORs (3 cycles), 15 adders (75 cycles): about 155 cycles, 0.61 per binary MAC, besides
 * the word's load, inversion, ripple and loop.
 *
 * r4-r7 the planes, r9 the input word, r14 the lane words; r8, r10-r13, r15 the tree's
 * temporaries; words, planes and col on the stack.
 */
#if defined(__MSP430__)

    .section .text.tp_msp430_b1_oc_words,"ax",@progbits
    .global tp_msp430_b1_oc_words
    .type tp_msp430_b1_oc_words, @function
    .p2align 1

/* \l += \a + \b; the carry in \a, \b clobbered. */
.macro TP_CSA l, a, b
    xor \a, \l
    bic \l, \a
    xor \b, \l
    bic \l, \b
    bis \b, \a
.endm

/* Two input bits' differences added to ones (r4); the carry (twos) in \da. */
.macro TP_PAIR da, db, t
    mov @r14+, \da
    mov @r14+, \db
    rrc r9
    subc \t, \t
    xor \t, \da
    rrc r9
    subc \t, \t
    xor \t, \db
    TP_CSA r4, \da, \db
.endm

/* 16 input bits: the carry of weight 16 in \out. */
.macro TP_BLOCK16 out, ra, rb, rc, rd, t
    TP_PAIR \out, \ra, \t
    TP_PAIR \ra, \rb, \t
    TP_CSA r5, \out, \ra
    TP_PAIR \ra, \rb, \t
    TP_PAIR \rb, \rc, \t
    TP_CSA r5, \ra, \rb
    TP_CSA r6, \out, \ra
    TP_PAIR \ra, \rb, \t
    TP_PAIR \rb, \rc, \t
    TP_CSA r5, \ra, \rb
    TP_PAIR \rb, \rc, \t
    TP_PAIR \rc, \rd, \t
    TP_CSA r5, \rb, \rc
    TP_CSA r6, \ra, \rb
    TP_CSA r7, \out, \ra
.endm

tp_msp430_b1_oc_words:
    push r4
    push r5
    push r6
    push r7
    push r8
    push r9
    push r10
    push r12
    push r13
    push r15
    mov @r13, r4
    mov 2(r13), r5
    mov 4(r13), r6
    mov 6(r13), r7
1:  mov 4(r1), r12
    mov @r12+, r9
    mov r12, 4(r1)
    inv r9
    TP_BLOCK16 r8, r10, r11, r12, r13, r15
    mov 2(r1), r10
    add #8, r10
2:  tst r8
    jz 3f
    mov @r10, r11
    mov r11, r12
    and r8, r12
    xor r8, r11
    mov r11, 0(r10)
    incd r10
    mov r12, r8
    jmp 2b
3:  dec 0(r1)
    jnz 1b
    mov 2(r1), r13
    mov r4, 0(r13)
    mov r5, 2(r13)
    mov r6, 4(r13)
    mov r7, 6(r13)
    add #6, r1
    pop r10
    pop r9
    pop r8
    pop r7
    pop r6
    pop r5
    pop r4
    ret
    .size tp_msp430_b1_oc_words, .-tp_msp430_b1_oc_words

#endif
