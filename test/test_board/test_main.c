/* PlatformIO test suite for every offline board (pio test -e host|qemu_m7|msp430_sim):
 * the board layer (console, counter, files) and the protocol CRC, one line per check. */
#include <stdint.h>

#include "tp_board.h"
#include "tp_crc16.h"

static int32_t s_failures;

static void check(const char *name, int ok, const char *why)
{
    tp_board_puts("TEST ");
    tp_board_puts(name);
    tp_board_puts(ok ? " PASS\n" : " FAIL ");
    if (!ok) {
        tp_board_puts(why);
        tp_board_puts("\n");
        s_failures++;
    }
}

int main(void)
{
    static const uint8_t text[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    uint8_t back[4] = {0, 0, 0, 0};
    uint32_t a, b;
    volatile uint32_t sink = 0;
    uint16_t i;

    tp_board_init();
    check("crc16_check_value", tp_crc16(TP_CRC16_INIT, text, 9u) == 0x29B1u,
          "CRC-16/CCITT-FALSE of 123456789 is not 0x29B1");

    a = tp_board_counter();
    for (i = 0; i < 100u; i++) {
        sink += i;
    }
    b = tp_board_counter();
    check("loop_ran", sink == 4950u, "0 + 1 + ... + 99 is not 4950");
    /* The host board has no counter (always 0); elsewhere it must advance. */
    check("counter_does_not_go_back", (uint32_t)(b - a) < 0x80000000u, "counter went back");

    check("file_round_trip",
          tp_board_write_file("pio_test.bin", "abc", 3u, 0) == 0 &&
              tp_board_write_file("pio_test.bin", "d", 1u, 1) == 0 &&
              tp_board_read_file("pio_test.bin", 1u, back, 4u) == 3 && back[0] == 'b' &&
              back[2] == 'd',
          "write, append and read back at an offset disagree");
    tp_board_puts("TESTS DONE\n");
    return s_failures == 0 ? 0 : 1;
}
