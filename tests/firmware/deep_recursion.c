/* Recurses n.bin levels deep with 256 bytes of locals per level: past about 30 levels the
 * stack runs off the bottom of the 8 KiB reserve at the start of RAM. */
#include <stdint.h>

#include "tp_board.h"

static uint32_t deep(uint32_t n)
{
    volatile uint32_t pad[64];
    pad[n % 64u] = n;
    return n != 0 ? deep(n - 1) + pad[n % 64u] : 0;
}

int main(void)
{
    uint32_t n = 0;
    tp_board_init();
    (void)tp_board_read_file("n.bin", 0u, &n, sizeof n);
    return deep(n) == 0 ? 1 : 0;
}
