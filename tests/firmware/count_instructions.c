/* Measures regions of known instruction counts with the board counter and writes the raw
 * counter differences to counts.bin: [loop of n.bin iterations, 1000 nops, 3000 nops, empty,
 * the same loop again across the counter's wrap from 2^32-1 to 0].
 * The loop body is two instructions (subs, bne), so its count is 2*n plus a fixed offset. */
#include <stdint.h>

#include "tp_board.h"

/* The board's timer0 down-counter (board.c); preset near zero to force a wrap. */
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)

__attribute__((noinline)) static uint32_t measure_loop(uint32_t n)
{
    const uint32_t t0 = tp_board_counter();
    __asm volatile("1:\n\tsubs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    return tp_board_counter() - t0;
}

/* Separate functions keep the literal pools of main within reach of their loads. */
__attribute__((noinline)) static uint32_t measure_nops_1000(void)
{
    const uint32_t t0 = tp_board_counter();
    __asm volatile(".rept 1000\n\tnop\n\t.endr");
    return tp_board_counter() - t0;
}

__attribute__((noinline)) static uint32_t measure_nops_3000(void)
{
    const uint32_t t0 = tp_board_counter();
    __asm volatile(".rept 3000\n\tnop\n\t.endr");
    return tp_board_counter() - t0;
}

int main(void)
{
    uint32_t n = 0;
    uint32_t ticks[5];
    tp_board_init();
    if (tp_board_read_file("n.bin", 0u, &n, sizeof n) != (int32_t)sizeof n || n == 0) {
        tp_board_puts("count_instructions: cannot read a non-zero n from n.bin\n");
        return 2;
    }
    ticks[0] = measure_loop(n);

    ticks[1] = measure_nops_1000();
    ticks[2] = measure_nops_3000();

    const uint32_t t0 = tp_board_counter();
    ticks[3] = tp_board_counter() - t0;

    TIMER0_VALUE = 40u;
    ticks[4] = measure_loop(n);

    return tp_board_write_file("counts.bin", ticks, sizeof ticks, 0) == 0 ? 0 : 3;
}
