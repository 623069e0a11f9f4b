/* msp430fr6989 board layer, for the MSP430FR6989 as simulated by `mspdebug sim`.
 *
 * Console: bytes written to the simulator's console device (0x00FF). Files: a mailbox in
 * memory the host fills before the run and reads after it (host/mspdebug.py); the serial
 * link is two files of that mailbox, "serial.in" and "serial.out"; a streaming session
 * (host/mspdebug_session.py) refills them at tp_board_idle. Counter: the
 * simulator has no cycle counter a program can read, so tp_board_counter returns how many
 * times it has been called, and the runner stops at it with a breakpoint and records the
 * simulator's MCLK cycle count at every call; the host substitutes those cycle counts for
 * the returned values (docs/measurement.md). Exit: the status is left in R12 at __stop.
 */
#include "msp430fr6989_board.h"
#include "tp_board.h"

#include <stddef.h>

/* Exit status when the stack outgrew its reserve (crt0's canary is gone). */
#define TP_STACK_OVERFLOW_EXIT 98

extern uint16_t __stack_start[];
void __stop(void);

static uint32_t s_counter_calls;

void tp_board_init(void)
{
    TP_WDTCTL = TP_WDTPW | TP_WDTHOLD;
}

/* Never inlined: the runner's breakpoint on this function is the measurement. */
__attribute__((noinline)) uint32_t tp_board_counter(void)
{
    return ++s_counter_calls;
}

static int names_equal(const char *a, const char *b)
{
    uint16_t i;
    for (i = 0; i < TP_SIM_FILE_NAME; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
        if (a[i] == '\0') {
            return 1;
        }
    }
    return 0;
}

static void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
    while (n-- > 0u) {
        *dst++ = *src++;
    }
}

/* The last entry named name (a rewritten file appears again later in the directory). */
static tp_sim_file_entry *find_file(tp_sim_files *files, const char *name)
{
    tp_sim_file_entry *found = NULL;
    uint16_t i;
    if (files->magic != TP_SIM_FILES_MAGIC) {
        return NULL;
    }
    for (i = 0; i < files->count && i < TP_SIM_FILES_MAX; i++) {
        if (names_equal(files->dir[i].name, name)) {
            found = &files->dir[i];
        }
    }
    return found;
}

int32_t tp_board_read_file(const char *name, uint32_t offset, void *buf, uint32_t size)
{
    tp_sim_files *files = TP_SIM_FILES;
    const tp_sim_file_entry *e = find_file(files, name);
    uint32_t n;
    if (e == NULL || (uint32_t)e->offset + e->size > sizeof(files->data)) {
        return -1;
    }
    if (offset >= e->size) {
        return 0;
    }
    n = e->size - offset;
    n = n < size ? n : size;
    copy_bytes((uint8_t *)buf, &files->data[e->offset + offset], n);
    return (int32_t)n;
}

/* Appending extends a file in place only when it is the last one written (files are laid
 * out one after the other); otherwise -1. Rewriting a file adds a new directory entry. */
int32_t tp_board_write_file(const char *name, const void *buf, uint32_t size, int32_t append)
{
    tp_sim_files *files = TP_SIM_FILES;
    tp_sim_file_entry *e;
    uint16_t i;
    if (files->magic != TP_SIM_FILES_MAGIC) {
        files->magic = TP_SIM_FILES_MAGIC;
        files->count = 0u;
        files->used = 0u;
    }
    if (files->used > sizeof(files->data)) {
        return -1;
    }
    e = append ? find_file(files, name) : NULL;
    if (e != NULL) {
        if (e != &files->dir[files->count - 1u] || size > sizeof(files->data) - files->used ||
            (uint32_t)e->size + size > 0xFFFFu) {
            return -1;
        }
        copy_bytes(&files->data[e->offset + e->size], (const uint8_t *)buf, size);
        e->size = (uint16_t)(e->size + size);
        files->used = (uint16_t)((e->offset + e->size + 1u) & ~1u);
        return 0;
    }
    if (files->count >= TP_SIM_FILES_MAX || size > sizeof(files->data) - files->used) {
        return -1;
    }
    e = &files->dir[files->count];
    for (i = 0; i + 1u < TP_SIM_FILE_NAME && name[i] != '\0'; i++) {
        e->name[i] = name[i];
    }
    if (name[i] != '\0') {
        return -1; /* name too long for the mailbox */
    }
    for (; i < TP_SIM_FILE_NAME; i++) {
        e->name[i] = '\0';
    }
    e->offset = files->used;
    e->size = (uint16_t)size;
    copy_bytes(&files->data[files->used], (const uint8_t *)buf, size);
    files->used = (uint16_t)((files->used + size + 1u) & ~1u);
    files->count++;
    return 0;
}

/* The serial link in the simulator: bytes the host queued in the mailbox file "serial.in"
 * are read in order; bytes written are appended to "serial.out" (host/mspdebug.py reads both
 * like any other file). Appending works while "serial.out" is the last file written, so an
 * app that also writes files writes them after its serial traffic. On the chip this would be
 * eUSCI_A1, the LaunchPad back-channel UART (not written yet). The file is looked up when
 * reading starts from its first byte (a session's refill sets s_serial_in_pos back to 0), not
 * for every byte: reading a byte then costs about what a receive interrupt's ring would. */
static uint32_t s_serial_in_pos;
static const uint8_t *s_serial_in;
static uint32_t s_serial_in_size;

void tp_board_serial_write(const uint8_t *data, uint32_t size)
{
    (void)tp_board_write_file("serial.out", data, size, 1);
}

int32_t tp_board_serial_read(void)
{
    if (s_serial_in_pos == 0u) {
        tp_sim_files *files = TP_SIM_FILES;
        const tp_sim_file_entry *e = find_file(files, "serial.in");
        s_serial_in_size = 0u;
        if (e != NULL && (uint32_t)e->offset + e->size <= sizeof(files->data)) {
            s_serial_in = &files->data[e->offset];
            s_serial_in_size = e->size;
        }
    }
    if (s_serial_in_pos >= s_serial_in_size) {
        return -1;
    }
    return (int32_t)s_serial_in[s_serial_in_pos++];
}

/* No low-power wait in the simulator: this is where the firmware waits for the line. A
 * streaming session (host/mspdebug_session.py) sets a breakpoint here; the firmware has read
 * every byte of "serial.in" by then, so the session takes "serial.out", writes the next bytes
 * as a new "serial.in" and sets s_serial_in_pos back to 0 before it continues. A run without
 * that breakpoint (host/mspdebug.py's batch runs) just returns. Never inlined: the breakpoint
 * needs the symbol. */
__attribute__((noinline)) void tp_board_idle(void)
{
    __asm__ volatile("");
}

void tp_board_puts(const char *text)
{
    while (*text != '\0') {
        TP_SIM_CONSOLE = (uint8_t)*text++;
    }
}

void tp_board_exit(int32_t code)
{
    register int16_t status __asm__("r12");
    if (__stack_start[0] != 0x5AC3u || __stack_start[1] != 0xA53Cu) {
        tp_board_puts("fatal: stack overflow (the stack outgrew its reserve in linker.ld)\n");
        code = TP_STACK_OVERFLOW_EXIT;
    }
    status = (int16_t)code;
    __asm__ volatile("br #__stop" : : "r"(status));
    for (;;) {
    }
}
