/* qemu_m7 startup: vector table and reset handler for the Cortex-M7 on QEMU mps2-an500.
 *
 * The reset handler turns the FPU on before anything else runs, because the firmware is built
 * with -mfloat-abi=hard and the compiler may use FP registers in any function, including the
 * .data copy below if it becomes a library call. main's return value becomes the emulator's
 * exit status through semihosting.
 */
#include <stdint.h>

#include "tp_board.h"

/* Status the emulator exits with when the firmware takes an unexpected exception. */
#define TP_FAULT_EXIT 99

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void)
{
    /* CP10 and CP11 full access: the single-precision FPU (fpv5-sp-d16). */
    SCB_CPACR |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");

    const uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    tp_board_exit(main());
}

static void put_hex(char *out, uint32_t value)
{
    for (int i = 7; i >= 0; --i) {
        out[i] = "0123456789abcdef"[value & 0xFu];
        value >>= 4;
    }
}

/* Reports which exception was taken and the PC it interrupted (the hardware stacks r0-r3,
 * r12, lr, pc, xpsr on the main stack; this firmware never switches to the process stack). */
__attribute__((used)) static void fault_report(const uint32_t *frame)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    char msg[] = "fatal: exception 0x........ at pc 0x........\n";
    put_hex(msg + 19, ipsr & 0x1FFu);
    put_hex(msg + 36, frame[6]);
    tp_board_puts(msg);
    tp_board_exit(TP_FAULT_EXIT);
}

/* Every exception other than reset lands here; naked so MSP still points at the frame. */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm volatile("mrs r0, msp\n\tb fault_report");
}

typedef void (*vector_t)(void);

/* The 16 system exceptions; no peripheral interrupt is enabled by this firmware. */
__attribute__((section(".isr_vector"), used))
const vector_t tp_vectors[16] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    Fault_Handler, /* SysTick */
};
