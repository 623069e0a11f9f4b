/* Semihosting file round trip: reads in.bin, writes out.bin with the bytes reversed and each
 * one incremented, so a test can tell the device's work from a plain copy. */
#include <stdint.h>

#include "tp_board.h"

static uint8_t buf[4096];

int main(void)
{
    tp_board_init();
    const int32_t n = tp_board_read_file("in.bin", 0u, buf, sizeof buf);
    if (n < 0) {
        tp_board_puts("echo_file: cannot open in.bin\n");
        return 4;
    }
    for (int32_t i = 0, j = n - 1; i < j; ++i, --j) {
        const uint8_t t = buf[i];
        buf[i] = buf[j];
        buf[j] = t;
    }
    for (int32_t i = 0; i < n; ++i) {
        buf[i] = (uint8_t)(buf[i] + 1u);
    }
    if (tp_board_write_file("out.bin", buf, (uint32_t)n, 0) != 0) {
        return 5;
    }
    tp_board_puts("echo_file: done\n");
    return 0;
}
