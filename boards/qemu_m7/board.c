/* qemu_m7 board layer: ARM semihosting for files, console and exit; CMSDK timer0 as counter.
 *
 * The counter is the raw tick count of the mps2-an500's APB timer0 (25 MHz in virtual time).
 * Run under `-icount shift=7` every instruction advances virtual time by exactly 128 ns, so
 * a difference of ticks converts to an exact instruction count on the host
 * (host/qemu.py: ticks_to_instructions); see docs/measurement.md.
 */
#include <stdint.h>
#include <string.h>

#include "tp_board.h"

/* Semihosting operation numbers (ARM "Semihosting for AArch32 and AArch64", v2.0). */
enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_SEEK = 0x0A,
    SYS_FLEN = 0x0C,
    SYS_EXIT_EXTENDED = 0x20
};

/* SYS_OPEN modes, as indices into fopen's mode strings. */
enum { OPEN_RB = 1, OPEN_RPLUSB = 3, OPEN_W = 4, OPEN_WB = 5 };

#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

typedef struct {
    volatile uint32_t ctrl;
    volatile uint32_t value;
    volatile uint32_t reload;
    volatile uint32_t intstatus;
} cmsdk_timer_t;

#define TIMER0 ((cmsdk_timer_t *)0x40000000u)

static int32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

static int32_t open_file(const char *name, uint32_t mode)
{
    const uint32_t args[3] = {(uint32_t)(uintptr_t)name, mode, (uint32_t)strlen(name)};
    return semihost(SYS_OPEN, args);
}

static void close_file(int32_t handle)
{
    const uint32_t args[1] = {(uint32_t)handle};
    (void)semihost(SYS_CLOSE, args);
}

/* SYS_READ and SYS_WRITE return the number of bytes NOT transferred. */
static uint32_t transfer(uint32_t op, int32_t handle, const void *buf, uint32_t size)
{
    const uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, size};
    return size - (uint32_t)semihost(op, args);
}

void tp_board_init(void)
{
    /* Free-running down-counter over the full 32 bits, interrupt disabled so that nothing
     * runs inside a measured region but the code being measured. */
    TIMER0->ctrl = 0;
    TIMER0->reload = 0xFFFFFFFFu;
    TIMER0->value = 0xFFFFFFFFu;
    TIMER0->ctrl = 1u;
}

uint32_t tp_board_counter(void)
{
    return 0xFFFFFFFFu - TIMER0->value;
}

int32_t tp_board_read_file(const char *name, uint32_t offset, void *buf, uint32_t size)
{
    const int32_t handle = open_file(name, OPEN_RB);
    if (handle < 0) {
        return -1;
    }
    const uint32_t seek_args[2] = {(uint32_t)handle, offset};
    if (offset != 0u && semihost(SYS_SEEK, seek_args) != 0) {
        close_file(handle);
        return 0;
    }
    const uint32_t got = transfer(SYS_READ, handle, buf, size);
    close_file(handle);
    return (int32_t)got;
}

/* Appending opens the file for update and seeks to its end: QEMU 7.2's semihosting ignores
 * the append modes ("ab" writes at offset 0). */
static int32_t open_for_append(const char *name)
{
    const int32_t handle = open_file(name, OPEN_RPLUSB);
    if (handle < 0) {
        return open_file(name, OPEN_WB);
    }
    const uint32_t flen_args[1] = {(uint32_t)handle};
    const int32_t length = semihost(SYS_FLEN, flen_args);
    const uint32_t seek_args[2] = {(uint32_t)handle, (uint32_t)length};
    if (length < 0 || semihost(SYS_SEEK, seek_args) != 0) {
        close_file(handle);
        return -1;
    }
    return handle;
}

int32_t tp_board_write_file(const char *name, const void *buf, uint32_t size, int32_t append)
{
    const int32_t handle = append ? open_for_append(name) : open_file(name, OPEN_WB);
    if (handle < 0) {
        return -1;
    }
    const uint32_t put = transfer(SYS_WRITE, handle, buf, size);
    close_file(handle);
    return put == size ? 0 : -1;
}

/* UART0: CMSDK APB UART. QEMU forwards its bytes to whatever -serial names (a TCP socket for
 * the host tools) and does not model the baud rate. Its receive buffer is one byte: QEMU holds
 * further bytes back in the socket until DATA is read, so nothing is lost while the app works. */
typedef struct {
    volatile uint32_t data;
    volatile uint32_t state;     /* bit 0 TX full, bit 1 RX full */
    volatile uint32_t ctrl;      /* bit 0 TX enable, bit 1 RX enable, bit 3 RX interrupt */
    volatile uint32_t intstatus; /* write 1 to clear; bit 1 RX */
    volatile uint32_t bauddiv;
} cmsdk_uart_t;

#define UART0 ((cmsdk_uart_t *)0x40004000u)
#define UART_TX_FULL 0x1u
#define UART_RX_FULL 0x2u
#define UART_CTRL_TX_EN 0x1u
#define UART_CTRL_RX_EN 0x2u
#define UART_CTRL_RX_INT 0x8u
#define UART0_RX_IRQ 0u /* mps2-an500: UART0 receive is external interrupt 0 */
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ICPR0 (*(volatile uint32_t *)0xE000E280u)

static void uart_start(void)
{
    static uint8_t started;
    if (started) {
        return;
    }
    started = 1u;
    UART0->bauddiv = 16u; /* the smallest divisor QEMU accepts; it does not pace bytes */
    /* The receive interrupt only wakes tp_board_idle's WFI: PRIMASK stays set, so no handler
     * ever runs and nothing interrupts a measured region. */
    __asm volatile("cpsid i" ::: "memory");
    UART0->ctrl = UART_CTRL_TX_EN | UART_CTRL_RX_EN | UART_CTRL_RX_INT;
    NVIC_ISER0 = 1u << UART0_RX_IRQ;
}

void tp_board_serial_write(const uint8_t *data, uint32_t size)
{
    uart_start();
    for (uint32_t i = 0; i < size; ++i) {
        while (UART0->state & UART_TX_FULL) {
        }
        UART0->data = data[i];
    }
}

int32_t tp_board_serial_read(void)
{
    uart_start();
    if ((UART0->state & UART_RX_FULL) == 0u) {
        return -1;
    }
    return (int32_t)(UART0->data & 0xFFu);
}

void tp_board_idle(void)
{
    uart_start();
    /* Clear the pending receive first, then look: a byte that arrives after the look sets it
     * again and WFI returns at once, so no byte is ever slept on. */
    UART0->intstatus = 0x2u;
    NVIC_ICPR0 = 1u << UART0_RX_IRQ;
    if ((UART0->state & UART_RX_FULL) == 0u) {
        __asm volatile("wfi" ::: "memory");
    }
}

void tp_board_puts(const char *text)
{
    /* ":tt" opened for writing is the emulator's stdout (SYS_WRITE0 would go to stderr). */
    static int32_t console = -1;
    if (console < 0) {
        console = open_file(":tt", OPEN_W);
    }
    if (console >= 0) {
        (void)transfer(SYS_WRITE, console, text, (uint32_t)strlen(text));
    }
}

void tp_board_exit(int32_t code)
{
    /* The extended exit carries a status (the plain SYS_EXIT on AArch32 only says 0 or 1). */
    const uint32_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    for (;;) {
        (void)semihost(SYS_EXIT_EXTENDED, args);
    }
}
