/* tp_b1_oc_words: the bit-sliced counts of one tile of tp_binary_conv_b1_oc over `words`
 * window words (tp_binary_count_oc.h has the method):
 *     void tp_b1_oc_words(const uint32_t *col, int32_t words, const uint32_t *wt,
 *                         uint32_t *planes);
 * planes[0..4] (ones, twos, fours, eights, sixteens) are carried in and out, and the words of
 * weight 32 ripple into planes[5..] (the caller zeroes and sizes them: 2^planes > words).
 *
 * Per window word (32 input bits x 32 output channels): 16 LDRD of lane words, 32 SBFX (the
 * input bit as a lane mask) and 32 EOR, 31 carry-save adders of 5 logic instructions (two
 * Harley-Seal trees of 16 and one adder of their sixteens), the ripple and 7 of loop: about
 * 250 instructions, 0.245 per binary MAC. gcc keeps neither the five planes nor the trees in
 * registers (about 360, measured), hence the assembly.
 *
 * r1 lane words, r3 the input word, r4-r8 the planes ones .. sixteens; r0, r2, r9-r12 and lr
 * the trees' temporaries; the input pointer, the count and planes on the stack.
 */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)

    .syntax unified
    .thumb
    .section .text.tp_b1_oc_words,"ax",%progbits

/* \da, \db: two input bits' differences, added to ones (r4); the carry (twos) in \da. */
.macro TP_PAIR j, da, db, t
    ldrd \da, \db, [r1], #8
    sbfx \t, r3, #\j, #1
    eor \da, \da, \t
    sbfx \t, r3, #(\j + 1), #1
    eor \db, \db, \t
    eor \t, r4, \da
    and \da, r4, \da
    eor r4, \t, \db
    and \t, \t, \db
    orr \da, \da, \t
.endm

/* \l += \a + \b (carry-save); the carry in \a. */
.macro TP_CSA l, a, b, t
    eor \t, \l, \a
    and \a, \l, \a
    eor \l, \t, \b
    and \t, \t, \b
    orr \a, \a, \t
.endm

/* Input bits \j .. \j + 15: the carry of weight 16 in \out. */
.macro TP_BLOCK16 j, out, ra, rb, rc, rd, t
    TP_PAIR (\j + 0), \out, \ra, \t
    TP_PAIR (\j + 2), \ra, \rb, \t
    TP_CSA r5, \out, \ra, \t
    TP_PAIR (\j + 4), \ra, \rb, \t
    TP_PAIR (\j + 6), \rb, \rc, \t
    TP_CSA r5, \ra, \rb, \t
    TP_CSA r6, \out, \ra, \t
    TP_PAIR (\j + 8), \ra, \rb, \t
    TP_PAIR (\j + 10), \rb, \rc, \t
    TP_CSA r5, \ra, \rb, \t
    TP_PAIR (\j + 12), \rb, \rc, \t
    TP_PAIR (\j + 14), \rc, \rd, \t
    TP_CSA r5, \rb, \rc, \t
    TP_CSA r6, \ra, \rb, \t
    TP_CSA r7, \out, \ra, \t
.endm

.balign 4
.global tp_b1_oc_words
.type tp_b1_oc_words, %function
.thumb
.thumb_func
tp_b1_oc_words:
    push {r4-r11, lr}
    sub sp, sp, #12
    str r0, [sp, #0]
    str r1, [sp, #4]
    str r3, [sp, #8]
    mov r1, r2
    ldm r3, {r4-r8}
1:
    ldr r0, [sp, #0]
    ldr r3, [r0], #4
    str r0, [sp, #0]
    TP_BLOCK16 0, r2, r9, r10, r11, r12, lr
    TP_BLOCK16 16, r0, r9, r10, r11, r12, lr
    TP_CSA r8, r2, r0, lr
    ldr r0, [sp, #8]
    adds r0, r0, #20
    cbz r2, 3f
2:
    ldr r9, [r0]
    and r10, r9, r2
    eor r9, r9, r2
    str r9, [r0], #4
    movs r2, r10
    bne 2b
3:
    ldr r0, [sp, #4]
    subs r0, r0, #1
    str r0, [sp, #4]
    bne 1b
    ldr r3, [sp, #8]
    stm r3, {r4-r8}
    add sp, sp, #12
    pop {r4-r11, pc}
.size tp_b1_oc_words, .-tp_b1_oc_words

#endif
