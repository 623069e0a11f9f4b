/* tp_msp430_b1_s8in_tables(src, job): every output bit of job->pixels consecutive pixels of
 * tp_binary_conv_s8in_b1 (int8 input, binary weights, binary output) for windows of
 * k <= 128 values; returns the output pointer past their words (also left in job->out).
 *
 * The window's values, centered (x + input offset), are taken three at a time in window order
 * (the last group padded with 0). For each group (a, b, c) the 8 signed sums
 * T[i] = (bit 0 of i ? a : -a) + (bit 1 ? b : -b) + (bit 2 ? c : -c) are built once, 15
 * additions and stores, so a channel's dot is one table read per group: its 3 weight bits
 * pick the entry, whose address the C kernel computes once per call. Per channel that is 4
 * cycles a group (7 with the loop; unrolled for 3 groups) plus the comparison with its 16-bit
 * threshold, against 9 cycles a value summing the values whose weight is +1.
 *
 * src: the first window's top-left value; a window's rows are job->row values long,
 * job->skip bytes apart past a row's end; the next pixel's window starts job->step bytes
 * further. job: tp_msp430_s8in_tables_job (tp_msp430_b1.h).
 *
 * Tables: r12 the source, r13 the values left, r14 the input offset, r11 the values left in
 * the row, r10 the skip, r9 the row length, r4-r6 a group's values, r7 and r8 its sums, r15
 * the group's table. Channels: r4 the entries, r5 the thresholds, r6 the output, r7 the output
 * word, r8 its mask, r9 an entry's address, r11 the groups left, r12 the groups, r13 the
 * channels left, r15 the dot. The window's start and the job on the stack.
 */
#if defined(__MSP430__)

    .section .text.tp_msp430_b1_s8in_tables,"ax",@progbits
    .global tp_msp430_b1_s8in_tables
    .type tp_msp430_b1_s8in_tables, @function
    .p2align 1

/* The next centered value in \v (0 past the window's last). */
.macro TP_VALUE v
    tst r13
    jz 8f
    mov.b @r12+, \v
    sxt \v
    add r14, \v
    dec r13
    dec r11
    jnz 9f
    add r10, r12
    mov r9, r11
    jmp 9f
8:  clr \v
9:
.endm

/* The 8 signed sums of the group (r4, r5, r6) at r15, which moves to the next table. */
.macro TP_TABLE
    mov r4, r7
    add r5, r7
    add r6, r7
    inv r7
    inc r7
    rla r4
    rla r5
    rla r6
    mov r7, 0(r15)
    mov r7, r8
    add r4, r8
    mov r8, 2(r15)
    add r5, r8
    mov r8, 6(r15)
    sub r4, r8
    mov r8, 4(r15)
    add r6, r7
    mov r7, 8(r15)
    add r4, r7
    mov r7, 10(r15)
    add r5, r7
    mov r7, 14(r15)
    sub r4, r7
    mov r7, 12(r15)
    add #16, r15
.endm

tp_msp430_b1_s8in_tables:
    push r4
    push r5
    push r6
    push r7
    push r8
    push r9
    push r10
    push r13
    push r12
    /* One pixel: its tables. */
.Ls8in_pixel:
    mov 2(r1), r15
    mov 8(r15), r10
    mov 10(r15), r9
    mov r9, r11
    mov 18(r15), r14
    mov 12(r15), r13
    mov 6(r15), r15
    mov @r1, r12
    cmp #3, r9
    jeq .Ls8in_rows3
2:  TP_VALUE r4
    TP_VALUE r5
    TP_VALUE r6
    TP_TABLE
    tst r13
    jnz 2b
    jmp .Ls8in_channels
    /* Window rows of 3 values (3-wide single-channel kernels): a group is a row. */
.Ls8in_rows3:
    mov.b @r12+, r4
    sxt r4
    add r14, r4
    mov.b @r12+, r5
    sxt r5
    add r14, r5
    mov.b @r12+, r6
    sxt r6
    add r14, r6
    add r10, r12
    TP_TABLE
    sub #3, r13
    jnz .Ls8in_rows3
    /* Its channels. */
.Ls8in_channels:
    mov 2(r1), r13
    mov @r13, r4
    mov 2(r13), r5
    mov 4(r13), r6
    mov 14(r13), r12
    mov 16(r13), r13
    clr r7
    mov #1, r8
    cmp #3, r12
    jeq 7f
3:  clr r15
    mov r12, r11
4:  mov @r4+, r9
    add @r9, r15
    dec r11
    jnz 4b
    cmp @r5+, r15
    jl 5f
    bis r8, r7
5:  rla r8
    jnz 6f
    mov r7, 0(r6)
    incd r6
    clr r7
    mov #1, r8
6:  dec r13
    jnz 3b
    jmp 9f
    /* Three groups (3x3 single-channel windows): the table reads unrolled. */
7:  mov @r4+, r9
    mov @r9, r15
    mov @r4+, r9
    add @r9, r15
    mov @r4+, r9
    add @r9, r15
    cmp @r5+, r15
    jl 8f
    bis r8, r7
8:  rla r8
    jnz 6f
    mov r7, 0(r6)
    incd r6
    clr r7
    mov #1, r8
6:  dec r13
    jnz 7b
9:  cmp #1, r8
    jeq 1f
    mov r7, 0(r6)
    incd r6
    /* The next pixel. */
1:  mov 2(r1), r13
    mov r6, 4(r13)
    add 20(r13), 0(r1)
    dec 22(r13)
    jnz .Ls8in_pixel
    mov r6, r12
    add #4, r1
    pop r10
    pop r9
    pop r8
    pop r7
    pop r6
    pop r5
    pop r4
    ret
    .size tp_msp430_b1_s8in_tables, .-tp_msp430_b1_s8in_tables

#endif
