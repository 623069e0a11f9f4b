/* Nucleo-F722ZE startup: vector table, reset handler, and the 216 MHz clock tree.
 *
 * Reset: FPU on (the firmware is built -mfloat-abi=hard), .data copy, .bss zero, clock setup,
 * instruction cache on, main, then tp_board_exit with main's status.
 *
 * Clock (RM0431 section 5): HSE in bypass mode from the ST-LINK's 8 MHz MCO ->
 * PLL M = 4 (2 MHz input), N = 216 (VCO 432 MHz), P = 2 (216 MHz SYSCLK), Q = 9 (48 MHz);
 * voltage scale 1 with over-drive (required above 180 MHz); flash latency 7 wait states
 * (2.7-3.6 V at 216 MHz) with ART and prefetch; AHB /1, APB1 /4 (54 MHz), APB2 /2 (108 MHz).
 */
#include <stdint.h>

#include "stm32f722_regs.h"
#include "tp_board.h"

#define TP_FAULT_EXIT 99
#define NUM_IRQS 104 /* STM32F72x peripheral interrupts: none is enabled */

#define PLL_M 4u
#define PLL_N 216u
#define PLL_P_DIV2 0u
#define PLL_Q 9u

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void tp_clock_init(void);

void tp_clock_init(void)
{
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    (void)RCC_APB1ENR;
    PWR_CR1 |= PWR_CR1_VOS_SCALE1;

    RCC_CR |= RCC_CR_HSEBYP | RCC_CR_HSEON;
    while ((RCC_CR & RCC_CR_HSERDY) == 0u) {
    }
    RCC_PLLCFGR = PLL_M | (PLL_N << 6) | (PLL_P_DIV2 << 16) | RCC_PLLCFGR_PLLSRC_HSE |
                  (PLL_Q << 24);
    RCC_CR |= RCC_CR_PLLON;

    /* Over-drive while the PLL locks (RM0431 5.1.4). */
    PWR_CR1 |= PWR_CR1_ODEN;
    while ((PWR_CSR1 & PWR_CSR1_ODRDY) == 0u) {
    }
    PWR_CR1 |= PWR_CR1_ODSWEN;
    while ((PWR_CSR1 & PWR_CSR1_ODSWRDY) == 0u) {
    }
    while ((RCC_CR & RCC_CR_PLLRDY) == 0u) {
    }

    /* More wait states before the clock goes up; check they took. */
    FLASH_ACR = FLASH_ACR_LATENCY_7WS | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN;
    while ((FLASH_ACR & FLASH_ACR_LATENCY_MASK) != FLASH_ACR_LATENCY_7WS) {
    }
    RCC_CFGR = RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2 | RCC_CFGR_SW_PLL;
    while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL) {
    }
}

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
    tp_clock_init();
    /* Instruction cache: invalidate, then enable (PM0253 4.8). */
    __asm volatile("dsb\n\tisb" ::: "memory");
    SCB_ICIALLU = 0u;
    __asm volatile("dsb\n\tisb" ::: "memory");
    SCB_CCR |= SCB_CCR_IC;
    __asm volatile("dsb\n\tisb" ::: "memory");
    tp_board_exit(main());
}

/* Every exception other than reset: report and stop (the status goes out on the UART). */
void Fault_Handler(void)
{
    tp_board_puts("fatal: unexpected exception\n");
    tp_board_exit(TP_FAULT_EXIT);
}

typedef void (*vector_t)(void);

/* 16 system exceptions and the peripheral interrupts, at the start of flash (0x08000000). */
__attribute__((section(".isr_vector"), used))
const vector_t tp_vectors[16 + NUM_IRQS] = {
    [0] = (vector_t)(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2] = Fault_Handler, /* NMI */
    [3] = Fault_Handler, /* HardFault */
    [4] = Fault_Handler, /* MemManage */
    [5] = Fault_Handler, /* BusFault */
    [6] = Fault_Handler, /* UsageFault */
    [11] = Fault_Handler, /* SVCall */
    [12] = Fault_Handler, /* DebugMonitor */
    [14] = Fault_Handler, /* PendSV */
    [15] = Fault_Handler, /* SysTick */
    /* Peripheral vectors stay 0: no interrupt is enabled, and a branch to an even address
     * faults (no Thumb bit), which lands in Fault_Handler. */
};
