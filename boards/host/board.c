/* The host board: device/app/tp_board.h on top of stdio, for native builds in tests.
 * Files are read and written in the current directory. There is no meaningful counter on the
 * host (timings there are not what the product sees), so it always reads 0. */
#include "tp_board.h"

#include <stdio.h>
#include <stdlib.h>

void tp_board_init(void)
{
}

uint32_t tp_board_counter(void)
{
    return 0u;
}

int32_t tp_board_read_file(const char *name, uint32_t offset, void *buf, uint32_t size)
{
    FILE *f = fopen(name, "rb");
    size_t n;
    if (f == NULL) {
        return -1;
    }
    if (fseek(f, (long)offset, SEEK_SET) != 0) {
        fclose(f);
        return 0;
    }
    n = fread(buf, 1u, size, f);
    if (ferror(f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    return (int32_t)n;
}

int32_t tp_board_write_file(const char *name, const void *buf, uint32_t size, int32_t append)
{
    FILE *f = fopen(name, append ? "ab" : "wb");
    size_t n;
    if (f == NULL) {
        return -1;
    }
    n = fwrite(buf, 1u, size, f);
    if (fclose(f) != 0 || n != size) {
        return -1;
    }
    return 0;
}

void tp_board_puts(const char *text)
{
    fputs(text, stdout);
    fflush(stdout);
}

void tp_board_exit(int32_t code)
{
    exit((int)code);
}
