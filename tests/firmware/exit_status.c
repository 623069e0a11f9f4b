/* Exits the way status.bin asks: a status >= 0 is returned from main, -1 executes an
 * undefined instruction (the fault handler's exit), -2 never exits (a hang). */
#include <stdint.h>

#include "tp_board.h"

int main(void)
{
    int32_t status = 0;
    tp_board_init();
    if (tp_board_read_file("status.bin", 0u, &status, sizeof status) != (int32_t)sizeof status) {
        return 6;
    }
    tp_board_puts("exit_status: running\n");
    if (status == -1) {
        __asm volatile("udf #0");
    }
    while (status == -2) {
        __asm volatile("nop");
    }
    return (int)status;
}
