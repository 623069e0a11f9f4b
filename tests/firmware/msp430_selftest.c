/* MSP430 board self-test (tests/boards/test_msp430_board.py): console text, host files in and out,
 * the runtime helpers (multiply, divide, remainder and shift at 16, 32 and 64 bits, checked
 * against Python), a CRC-16/CCITT-FALSE and a dot product with counter readings around it,
 * and an exit status. */
#include "tp_board.h"

#include <stdint.h>

#define EXIT_STATUS 3
#define DOT_N 64

/* Operands are volatile so that the compiler cannot fold the operations away. */
static volatile int16_t s16[][2] = {{1234, -56}, {-32768, 3}, {-7, 2}, {32767, -1}, {-300, -7}};
static volatile int32_t s32[][2] = {{123456789, -4321}, {-2147483647, 65536}, {-99, 7},
                                    {70000, 70001}, {2147483647, 2}};
static volatile int64_t s64[][2] = {{1234567890123LL, -9876543LL},
                                    {-4611686018427387904LL, 3LL},
                                    {0x7FFFFFFFFFFFFFFFLL, 0x100000001LL}, {-5LL, 2LL}};
static volatile int16_t shift_counts[] = {0, 1, 5, 15, 17, 31, 33, 63};

static uint8_t s_out[512];
static uint16_t s_len;

static void put(const void *p, uint16_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    while (n-- > 0u && s_len < sizeof(s_out)) {
        s_out[s_len++] = *b++;
    }
}

static uint16_t crc16(const uint8_t *p, uint16_t n)
{
    uint16_t crc = 0xFFFFu;
    uint16_t i;
    while (n-- > 0u) {
        crc ^= (uint16_t)((uint16_t)*p++ << 8);
        for (i = 0; i < 8u; i++) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

static int16_t va[DOT_N], vb[DOT_N];
volatile int32_t dot_result;
volatile uint16_t crc_result;
uint32_t dot_marks[3];

int main(void)
{
    uint8_t input[32];
    int32_t got;
    uint16_t i, k;

    tp_board_init();
    tp_board_puts("msp430 self-test\n");

    for (i = 0; i < sizeof(s16) / sizeof(s16[0]); i++) {
        const int16_t a = s16[i][0], b = s16[i][1];
        const int16_t r[4] = {(int16_t)(a * b), (int16_t)(a / b), (int16_t)(a % b),
                              (int16_t)((uint16_t)a / (uint16_t)b)};
        put(r, sizeof(r));
    }
    for (i = 0; i < sizeof(s32) / sizeof(s32[0]); i++) {
        const int32_t a = s32[i][0], b = s32[i][1];
        const int16_t n = shift_counts[i];
        const int32_t r[8] = {(int32_t)((uint32_t)a * (uint32_t)b), a / b, a % b,
                              (int32_t)((uint32_t)a / (uint32_t)b),
                              (int32_t)((uint32_t)a % (uint32_t)b),
                              (int32_t)((uint32_t)a << (n & 31)), a >> (n & 31),
                              (int32_t)((uint32_t)a >> (n & 31))};
        put(r, sizeof(r));
    }
    for (i = 0; i < sizeof(s64) / sizeof(s64[0]); i++) {
        const int64_t a = s64[i][0], b = s64[i][1];
        const int16_t n = shift_counts[i + 4];
        const int64_t r[8] = {(int64_t)((uint64_t)a * (uint64_t)b), a / b, a % b,
                              (int64_t)((uint64_t)a / (uint64_t)b),
                              (int64_t)((uint64_t)a % (uint64_t)b),
                              (int64_t)((uint64_t)a << n), a >> n, (int64_t)((uint64_t)a >> n)};
        put(r, sizeof(r));
    }

    got = tp_board_read_file("input.bin", 0u, input, sizeof(input));
    if (got < 0) {
        tp_board_puts("no input.bin\n");
        return 1;
    }
    crc_result = crc16(input, (uint16_t)got);
    put((const void *)&crc_result, 2u);
    if (tp_board_write_file("ops.bin", s_out, s_len, 0) != 0 ||
        tp_board_write_file("crc.bin", (const void *)&crc_result, 2u, 0) != 0 ||
        tp_board_write_file("crc.bin", "!", 1u, 1) != 0) {
        return 2;
    }

    for (k = 0; k < DOT_N; k++) {
        va[k] = (int16_t)(k * 37 - 1000);
        vb[k] = (int16_t)(500 - k * 11);
    }
    dot_marks[0] = tp_board_counter();
    {
        int32_t acc = 0;
        for (k = 0; k < DOT_N; k++) {
            acc += (int32_t)va[k] * vb[k];
        }
        dot_result = acc;
    }
    dot_marks[1] = tp_board_counter();
    dot_marks[2] = tp_board_counter();
    /* Serial: echo what the host queued, each byte + 1. */
    for (;;) {
        const int32_t c = tp_board_serial_read();
        uint8_t byte;
        if (c < 0) {
            break;
        }
        byte = (uint8_t)(c + 1);
        tp_board_serial_write(&byte, 1u);
    }
    tp_board_puts("done\n");
    return EXIT_STATUS;
}
