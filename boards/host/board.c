/* The host board: device/app/tp_board.h on top of stdio, for native builds in tests.
 * Files are read and written in the current directory. There is no meaningful counter on the
 * host (timings there are not what the product sees), so it always reads 0. */
/* poll() and read() for the serial link are POSIX, outside -std=c99. */
#define _POSIX_C_SOURCE 200809L

#include "tp_board.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

/* The serial link is the process's stdin and stdout, unbuffered binary, so a test can talk
 * to the app through pipes. stdout carries only protocol bytes while the link is in use. */
void tp_board_serial_write(const uint8_t *data, uint32_t size)
{
    uint32_t done = 0;
    while (done < size) {
        const ssize_t n = write(STDOUT_FILENO, data + done, size - done);
        if (n <= 0) {
            exit(0); /* the host closed the pipe: nobody is listening any more */
        }
        done += (uint32_t)n;
    }
}

static int32_t stdin_ready(int timeout_ms)
{
    struct pollfd p;
    p.fd = STDIN_FILENO;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, timeout_ms) > 0;
}

int32_t tp_board_serial_read(void)
{
    uint8_t byte;
    if (!stdin_ready(0)) {
        return -1;
    }
    if (read(STDIN_FILENO, &byte, 1u) != 1) {
        exit(0); /* end of input: the host is done with this device */
    }
    return (int32_t)byte;
}

void tp_board_idle(void)
{
    (void)stdin_ready(50);
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
