/* tp_msp430_dot_tile_s16(cols, kc, weights, values, n, bias, acc): n <= TILE accumulators of
 * one output channel (tp_conv_tiles_s8.c): acc[j] = (bias ? *bias : acc[j]) + sum of
 * cols[j kc + i] * weights[i] for i < values, cols the int16 windows the gather widened (kc
 * values apart), weights int8. One call per channel keeps the call off every pixel.
 *
 * The accumulator is the multiplier's RESHI:RESLO in signed multiply-accumulate mode (32 bits,
 * wrapping, as the int32 accumulator of the portable path), preloaded with the bias or the
 * partial sum. A MAC is `mov @x+, &MACS` (5 cycles), `mov.b @w+, r4` (2), `sxt r4` (1),
 * `mov r4, &OP2` (4): 12 cycles, unrolled four times (+3 cycles of loop per 4 MACs). On the
 * chip, MPY32's byte writes to OP2 sign-extend (`mov.b @w+, &OP2`, 5 cycles); mspdebug's
 * multiplier has no byte mode, hence the SXT.
 *
 * r12 cols, r13 kc in bytes, r14 weights, r15 values % 4; r11 pixels left, r10 bias (0: none),
 * r9 acc, r8 values / 4, r7 x, r6 w, r5 quads left, r4 the sign-extended weight.
 * Arguments 5-7 on the stack: 2(r1), 4(r1), 6(r1) at entry, 16 bytes further after the
 * pushes. Nothing saves the multiplier for interrupt handlers (like the compiler's helpers).
 */
#if defined(__MSP430__) && defined(TP_DSP_HWMULT_HEADER)
#include TP_DSP_HWMULT_HEADER

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

.macro MAC16
    MOV_INC_ABS 7, TP_MACS_ADDR
    mov.b @r6+, r4
    sxt r4
    mov r4, &TP_OP2_ADDR
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
    jz 9f
    rla r13
    mov r15, r8
    rra r8
    rra r8
    and #3, r15
1:  tst r10
    jz 2f
    mov @r10, &TP_RESLO_ADDR
    mov 2(r10), &TP_RESHI_ADDR
    jmp 3f
2:  mov @r9, &TP_RESLO_ADDR
    mov 2(r9), &TP_RESHI_ADDR
3:  mov r12, r7
    mov r14, r6
    mov r8, r5
    tst r5
    jz 5f
4:  MAC16
    MAC16
    MAC16
    MAC16
    dec r5
    jnz 4b
5:  mov r15, r5
    tst r5
    jz 7f
6:  MAC16
    dec r5
    jnz 6b
7:  mov &TP_RESLO_ADDR, 0(r9)
    mov &TP_RESHI_ADDR, 2(r9)
    add #4, r9
    add r13, r12
    dec r11
    jnz 1b
9:  pop r4
    pop r5
    pop r6
    pop r7
    pop r8
    pop r9
    pop r10
    ret
    .size tp_msp430_dot_tile_s16, .-tp_msp430_dot_tile_s16

#endif
