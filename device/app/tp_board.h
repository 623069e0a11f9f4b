/* The board layer: the only code that knows registers. Every board folder implements this.
 *
 * Files are how the host hands inputs to a test or benchmark run and collects its results:
 * ARM semihosting on the emulator, stdio on the host build. The counter counts in the unit
 * the board's board.json names ("instructions" on qemu_m7 via QEMU's -icount, "cycles" on
 * real hardware), and is read only outside the code it measures.
 */
#ifndef TP_BOARD_H
#define TP_BOARD_H

#include <stdint.h>

void tp_board_init(void);

/* Free-running, increasing count in the board's counter unit (wraps at 2^32). */
uint32_t tp_board_counter(void);

/* Read up to size bytes of a host-side file from byte offset on; returns the bytes read
 * (0 past the end) or -1 when the file cannot be opened. */
int32_t tp_board_read_file(const char *name, uint32_t offset, void *buf, uint32_t size);

/* Write a host-side file: created or truncated, or appended to when append is non-zero.
 * Returns 0 or -1. */
int32_t tp_board_write_file(const char *name, const void *buf, uint32_t size, int32_t append);

/* The serial link to the host (UART; stdin/stdout on the host board). Writing blocks until
 * the bytes are handed to the hardware; reading never blocks. */
void tp_board_serial_write(const uint8_t *data, uint32_t size);

/* The next received byte (0..255), or -1 when none is waiting. */
int32_t tp_board_serial_read(void);

/* Wait a little for something to happen (a received byte, a timer) to save power and the
 * emulator's host CPU; may return at any time. Apps that poll call it when idle; a board
 * without a low-power wait may leave it out (device/app/gesture_app.c has an empty default). */
void tp_board_idle(void);

/* Text for a human on the board's console. */
void tp_board_puts(const char *text);

/* End the program with an exit status (the emulator's exit status on qemu_m7). */
void tp_board_exit(int32_t code);

#endif /* TP_BOARD_H */
