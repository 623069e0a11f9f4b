/* MSP430FR6989 board header: every address the msp430fr6989 board layer uses, in one place.
 *
 * This board runs in mspdebug's simulator (`mspdebug sim`), which differs from the chip in
 * three ways that are all confined to this header:
 *   - the hardware multiplier: the simulator models the 16x16 multiplier at 0x0130 (the F1xx
 *     MPY); the real FR6989 has MPY32 at 0x04C0, whose 16x16 registers (MPY, MPYS, MAC, MACS,
 *     OP2, RESLO, RESHI, SUMEXT) sit at the same offsets from its base. Define
 *     TP_MSP430_REAL_CHIP to use the chip's base.
 *   - the console: the simulator's "console" device prints every byte written to 0x00FF; on
 *     the LaunchPad the console would be eUSCI_A1 (back-channel UART), not written yet.
 *   - host files: the simulator models all 64 kB as memory, so the vacant range 0x2400-0x43FF
 *     (between SRAM and FRAM on the chip) holds a mailbox the host fills and reads back with
 *     mspdebug's `mw` and `md` (host/mspdebug.py). Nothing is there on the chip.
 */
#ifndef MSP430FR6989_BOARD_H
#define MSP430FR6989_BOARD_H

/* The addresses are also read by the engine's assembly (device/engine/arch/msp430, .S files
 * preprocessed with the same flags): everything C-only sits behind __ASSEMBLER__. */
#ifndef __ASSEMBLER__
#include <stdint.h>

#define TP_REG8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))
#define TP_REG16(addr) (*(volatile uint16_t *)(uintptr_t)(addr))
#endif

/* Watchdog (same address on the chip and in the simulator). */
#define TP_WDTCTL TP_REG16(0x015Cu)
#define TP_WDTPW 0x5A00u
#define TP_WDTHOLD 0x0080u

/* Hardware multiplier, 16x16 part. */
#if defined(TP_MSP430_REAL_CHIP)
#define TP_MPY_BASE 0x04C0 /* MPY32 on the MSP430FR6989 */
#else
#define TP_MPY_BASE 0x0130 /* mspdebug sim "hwmult" device */
#endif
/* Register addresses, plain numbers: the engine's assembly reads them too. */
#define TP_MPY_ADDR (TP_MPY_BASE + 0x0)   /* unsigned multiply, operand 1 */
#define TP_MPYS_ADDR (TP_MPY_BASE + 0x2)  /* signed multiply, operand 1 */
#define TP_MAC_ADDR (TP_MPY_BASE + 0x4)   /* unsigned multiply-accumulate, operand 1 */
#define TP_MACS_ADDR (TP_MPY_BASE + 0x6)  /* signed multiply-accumulate, operand 1 */
#define TP_OP2_ADDR (TP_MPY_BASE + 0x8)   /* operand 2: writing it starts the multiply */
#define TP_RESLO_ADDR (TP_MPY_BASE + 0xA) /* result, low word */
#define TP_RESHI_ADDR (TP_MPY_BASE + 0xC) /* result, high word */
#ifndef __ASSEMBLER__
#define TP_MPY TP_REG16(TP_MPY_ADDR)
#define TP_MPYS TP_REG16(TP_MPYS_ADDR)
#define TP_MAC TP_REG16(TP_MAC_ADDR)
#define TP_MACS TP_REG16(TP_MACS_ADDR)
#define TP_OP2 TP_REG16(TP_OP2_ADDR)
#define TP_RESLO TP_REG16(TP_RESLO_ADDR)
#define TP_RESHI TP_REG16(TP_RESHI_ADDR)
#endif
/* Operand 1 stays in place: writing OP2 again repeats the operation with it. MAC/MACS add
 * the product to RESHI:RESLO (32 bits, wrapping), which may also be written to preload it.
 * device/dsp/tp_dsp_q15.c uses these registers directly (board.json names this header in
 * TP_DSP_HWMULT_HEADER). */

#ifndef __ASSEMBLER__
/* Simulator console: every byte written here is printed on mspdebug's stdout. */
#define TP_SIM_CONSOLE TP_REG8(0x00FFu)

/* Host-file mailbox (simulator only), see boards/msp430fr6989/README.md. */
#define TP_SIM_FILES_ADDR 0x2400u
#define TP_SIM_FILES_BYTES 0x2000u
#define TP_SIM_FILES_MAGIC 0x7046u /* "Fp" */
#define TP_SIM_FILES_MAX 8u
#define TP_SIM_FILE_NAME 14u

typedef struct {
    char name[TP_SIM_FILE_NAME]; /* NUL-terminated */
    uint16_t offset;             /* from the start of data[] (always even) */
    uint16_t size;
} tp_sim_file_entry;

typedef struct {
    uint16_t magic;
    uint16_t count; /* entries in use */
    uint16_t used;  /* bytes of data[] in use */
    uint16_t reserved;
    tp_sim_file_entry dir[TP_SIM_FILES_MAX];
    uint8_t data[TP_SIM_FILES_BYTES - 8u - TP_SIM_FILES_MAX * sizeof(tp_sim_file_entry)];
} tp_sim_files;

#define TP_SIM_FILES ((tp_sim_files *)(uintptr_t)TP_SIM_FILES_ADDR)

/* Put a large writable buffer (a radar ring buffer, say) in FRAM instead of the 2 kB SRAM.
 * The linker script places .persistent in FRAM; it is initialized when the firmware is
 * loaded, not at reset, like TI's .persistent. */
#define TP_FRAM __attribute__((section(".persistent")))
#endif /* __ASSEMBLER__ */

#endif /* MSP430FR6989_BOARD_H */
