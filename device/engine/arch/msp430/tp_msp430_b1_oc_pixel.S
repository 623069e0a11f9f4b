/* tp_msp430_b1_oc_pixel(col, job): every output word of one pixel of tp_binary_conv_b1_oc
 * (tiles of 16 output channels, tp_binary_count_oc.h): per tile the bit-sliced counts over
 * the window's job->words words, then their comparison with the tile's bit-sliced bounds,
 * stored at job->out. job: tp_msp430_b1_oc_job (tp_msp430_b1.h); its weights, bounds and
 * output pointers are left past this pixel's.
 *
 * Counts: ones, twos, fours, eights in r4-r7, the words of weight 16 rippled into job->high
 * (job->zero words cleared per tile). The input word is inverted once, so RRC puts the
 * complement of its next bit in the carry and SUBC t, t makes the lane mask (all ones where
 * the bit is +1) in one cycle. The carry-save adder needs no temporary in this two-operand
 * instruction set:
 *     l ^= a (u); a &= ~l (a & old l); l ^= b (the sum); b &= ~l (u & b); a |= b (the carry),
 * 5 cycles. Per 16 input bits x 16 channels: 16 loads of lane words (2 cycles), 16 masks
 * and XORs (3 cycles), 15 adders (75 cycles): about 155 cycles, 0.61 per binary MAC, besides
 * the word's load, inversion, ripple and loop.
 *
 * Comparison (tp_oc_less): lt = (t & b) | (~t & lt), t = count ^ bound, from the lowest plane
 * up; 7 cycles a plane.
 *
 * r4-r7 the planes, r9 the input word, r14 the lane words; r8, r10-r13, r15 the tree's
 * temporaries. Stack: 0 the words left, 2 job->high, 4 the window word, 6 the tiles left,
 * 8 the job, 10 col.
 */
#if defined(__MSP430__)

    .section .text.tp_msp430_b1_oc_pixel,"ax",@progbits
    .global tp_msp430_b1_oc_pixel
    .type tp_msp430_b1_oc_pixel, @function
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

/* One plane of the comparison: count \c against the next bound word (r10); lt in r11, the
 * planes left in r12 (done: to \done). */
.macro TP_LESS c, done
    mov @r10+, r9
    mov \c, r8
    xor r9, r8
    and r8, r9
    bic r8, r11
    bis r9, r11
    dec r12
    jz \done
.endm

tp_msp430_b1_oc_pixel:
    push r4
    push r5
    push r6
    push r7
    push r8
    push r9
    push r10
    push r12
    push r13
    sub #8, r1
    mov 6(r13), 2(r1)
    mov 10(r13), 6(r1)
.Loc_tile:
    mov 8(r1), r13
    mov 2(r1), r10
    mov 14(r13), r11
1:  clr 0(r10)
    incd r10
    dec r11
    jnz 1b
    clr r4
    clr r5
    clr r6
    clr r7
    mov @r13, r14
    mov 8(r13), 0(r1)
    mov 10(r1), 4(r1)
.Loc_word:
    mov 4(r1), r12
    mov @r12+, r9
    mov r12, 4(r1)
    inv r9
    TP_BLOCK16 r8, r10, r11, r12, r13, r15
    mov 2(r1), r10
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
    jnz .Loc_word
    mov 8(r1), r13
    mov r14, 0(r13)
    mov 2(r13), r10
    mov 12(r13), r12
    clr r11
    TP_LESS r4, .Loc_less_done
    TP_LESS r5, .Loc_less_done
    TP_LESS r6, .Loc_less_done
    TP_LESS r7, .Loc_less_done
    mov 2(r1), r15
4:  mov @r15+, r14
    TP_LESS r14, .Loc_less_done
    jmp 4b
.Loc_less_done:
    mov r10, 2(r13)
    mov 4(r13), r15
    mov r11, 0(r15)
    incd 4(r13)
    dec 6(r1)
    jnz .Loc_tile
    add #12, r1
    pop r10
    pop r9
    pop r8
    pop r7
    pop r6
    pop r5
    pop r4
    ret
    .size tp_msp430_b1_oc_pixel, .-tp_msp430_b1_oc_pixel

#endif
