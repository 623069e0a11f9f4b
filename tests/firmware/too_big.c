/* A firmware whose size is set at compile time: CONST_BYTES of constants (flash) and
 * BSS_BYTES of zeroed buffer (RAM), both kept alive by data-dependent uses. */
#include <stdint.h>

#include "tp_board.h"

static const uint8_t table[CONST_BYTES] = {1, 2, 3};
static uint8_t buffer[BSS_BYTES];

int main(void)
{
    uint32_t index = 0;
    tp_board_init();
    (void)tp_board_read_file("index.bin", 0u, &index, sizeof index);
    buffer[index % BSS_BYTES] = table[index % CONST_BYTES];
    return tp_board_write_file("buffer.bin", buffer, sizeof buffer, 0);
}
