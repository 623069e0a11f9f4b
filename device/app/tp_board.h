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

/* Read up to size bytes of a host-side file; returns the bytes read or -1. */
int32_t tp_board_read_file(const char *name, void *buf, uint32_t size);

/* Write a host-side file (created or truncated); returns 0 or -1. */
int32_t tp_board_write_file(const char *name, const void *buf, uint32_t size);

/* Text for a human on the board's console. */
void tp_board_puts(const char *text);

/* End the program with an exit status (the emulator's exit status on qemu_m7). */
void tp_board_exit(int32_t code);

#endif /* TP_BOARD_H */
