/* tp_msp430_dot_tile_s16(cols, kc, weights, values, n, bias, acc): n <= TILE accumulators of
 * one output channel (tp_conv_tiles_s8.c): acc[j] = (bias ? *bias : acc[j]) + sum of
 * cols[j kc + i] * weights[i] for i < values, cols the int16 windows the gather widened (kc
 * values apart), weights int8. One call per channel keeps the call off every pixel.
 *
 * The accumulator is the multiplier's RESHI:RESLO in signed multiply-accumulate mode (32 bits,
 * wrapping, as the int32 accumulator of the portable path), preloaded with the bias or the
 * partial sum. With values <= WIDE_MAX the channel's weights are first widened to int16 on the
 * stack (about 10 cycles a weight, once for the n pixels), and a MAC is two memory-to-memory
 * moves, `mov @x+, &MACS` and `mov @w+, &OP2`: 10 cycles. Longer windows read the int8 weights
 * directly: `mov @x+, &MACS` (5), `mov.b @w+, r4` (2), `sxt r4` (1), `mov r4, &OP2` (4),
 * 12 cycles (on the chip, MPY32's byte writes to OP2 sign-extend; mspdebug's multiplier has no
 * byte mode, hence the SXT). Both unrolled eight times (+3 cycles of loop per 8 MACs).
 *
 * r12 cols, r13 kc in bytes, r14 weights, r15 values % 8; r11 pixels left, r10 bias (0: none),
 * r9 acc, r8 values / 8, r7 x, r6 w, r5 blocks of 8 left, r4 the sign-extended weight (int8
 * path) or the stack bytes of the widened weights. Arguments 5-7 on the stack: 2(r1), 4(r1),
 * 6(r1) at entry, 14 bytes further after the pushes. Nothing saves the multiplier for
 * interrupt handlers (like the compiler's helpers).
 */
#if defined(__MSP430__) && defined(TP_DSP_HWMULT_HEADER)
#include TP_DSP_HWMULT_HEADER

/* Longest window whose weights are widened on the stack (2 bytes each). */
#define WIDE_MAX 144

    .section .text.tp_msp430_dot_tile_s16,"ax",@progbits
    .global tp_msp430_dot_tile_s16
    .type tp_msp430_dot_tile_s16, @function
    .p2align 1

/* mov @Rsrc+, &addr. clang-14's assembler takes an autoincrement source only into a register,
 * so this instruction is written as its encoding: format I `mov` (0x4), source register,
 * Ad = 1, As = 3 (@Rn+), destination R2 with Ad = 1 (absolute), then the address word. 5 cycles,
 * against 2 + 4 for a load into a register and a store from it. */
.macro MOV_INC_ABS src, addr
    .word 0x40B2 | (\src << 8), \addr
.endm

/* One MAC, int16 weights (10 cycles). */
.macro MAC_W16
    MOV_INC_ABS 7, TP_MACS_ADDR
    MOV_INC_ABS 6, TP_OP2_ADDR
.endm

/* One MAC, int8 weights (12 cycles). */
.macro MAC_W8
    MOV_INC_ABS 7, TP_MACS_ADDR
    mov.b @r6+, r4
    sxt r4
    mov r4, &TP_OP2_ADDR
.endm

/* Every pixel of the tile with MAC macro \mac, weights at r14, the accumulator preloaded from
 * \init (r10: the bias, the same for every pixel; r9: the pixel's own partial sum). */
.macro PIXELS mac, init
1:  mov @\init, &TP_RESLO_ADDR
    mov 2(\init), &TP_RESHI_ADDR
    mov r12, r7
    mov r14, r6
    mov r8, r5
    tst r5
    jz 5f
4:  \mac
    \mac
    \mac
    \mac
    \mac
    \mac
    \mac
    \mac
    dec r5
    jnz 4b
5:  mov r15, r5
    tst r5
    jz 7f
6:  \mac
    dec r5
    jnz 6b
7:  mov &TP_RESLO_ADDR, 0(r9)
    mov &TP_RESHI_ADDR, 2(r9)
    add #4, r9
    add r13, r12
    dec r11
    jnz 1b
.endm

/* PIXELS from the bias when r10 is not NULL, else from acc. */
.macro TILE mac
    tst r10
    jz 8f
    PIXELS \mac, r10
    jmp 9f
8:  PIXELS \mac, r9
9:
.endm

tp_msp430_dot_tile_s16:
    push r10
    push r9
    push r8
    push r7
    push r6
    push r5
    push r4
    mov 16(r1), r11
    mov 18(r1), r10
    mov 20(r1), r9
    tst r11
    jz 20f
    rla r13
    mov r15, r8
    rra r8
    rra r8
    rra r8
    cmp #WIDE_MAX + 1, r15
    jhs 13f
    /* the weights as int16 on the stack */
    mov r15, r4
    rla r4
    sub r4, r1
    mov r1, r6
    mov r15, r5
    bit #1, r5
    jz 10f
    mov.b @r14+, r7
    sxt r7
    mov r7, 0(r6)
    incd r6
10: rra r5
    jz 12f
11: mov.b @r14+, r7
    sxt r7
    mov r7, 0(r6)
    mov.b @r14+, r7
    sxt r7
    mov r7, 2(r6)
    add #4, r6
    dec r5
    jnz 11b
12: mov r1, r14
    and #7, r15
    TILE MAC_W16
    add r4, r1
    jmp 20f
13: and #7, r15
    TILE MAC_W8
20: pop r4
    pop r5
    pop r6
    pop r7
    pop r8
    pop r9
    pop r10
    ret
    .size tp_msp430_dot_tile_s16, .-tp_msp430_dot_tile_s16

#endif
