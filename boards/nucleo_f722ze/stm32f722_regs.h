/* The few STM32F722ZE and Cortex-M7 registers this board uses (RM0431, PM0253), as plain
 * addresses: no vendor headers can be downloaded here, and none are needed for this much. */
#ifndef STM32F722_REGS_H
#define STM32F722_REGS_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* RCC */
#define RCC_BASE 0x40023800u
#define RCC_CR REG32(RCC_BASE + 0x00u)
#define RCC_PLLCFGR REG32(RCC_BASE + 0x04u)
#define RCC_CFGR REG32(RCC_BASE + 0x08u)
#define RCC_AHB1ENR REG32(RCC_BASE + 0x30u)
#define RCC_APB1ENR REG32(RCC_BASE + 0x40u)
#define RCC_DCKCFGR2 REG32(RCC_BASE + 0x90u)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_PLLSRC_HSE (1u << 22)
#define RCC_CFGR_SW_PLL 0x2u
#define RCC_CFGR_SWS_MASK (0x3u << 2)
#define RCC_CFGR_SWS_PLL (0x2u << 2)
#define RCC_CFGR_PPRE1_DIV4 (0x5u << 10)
#define RCC_CFGR_PPRE2_DIV2 (0x4u << 13)
#define RCC_AHB1ENR_GPIODEN (1u << 3)
#define RCC_APB1ENR_TIM2EN (1u << 0)
#define RCC_APB1ENR_USART3EN (1u << 18)
#define RCC_APB1ENR_PWREN (1u << 28)
#define RCC_DCKCFGR2_USART3SEL_MASK (0x3u << 4) /* 00: PCLK1 */

/* PWR: voltage scale 1 and over-drive, needed above 180 MHz */
#define PWR_BASE 0x40007000u
#define PWR_CR1 REG32(PWR_BASE + 0x00u)
#define PWR_CSR1 REG32(PWR_BASE + 0x04u)
#define PWR_CR1_VOS_SCALE1 (0x3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)

/* Flash interface */
#define FLASH_ACR REG32(0x40023C00u)
#define FLASH_ACR_LATENCY_7WS 0x7u
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ARTEN (1u << 9)

/* GPIOD */
#define GPIOD_BASE 0x40020C00u
#define GPIOD_MODER REG32(GPIOD_BASE + 0x00u)
#define GPIOD_OSPEEDR REG32(GPIOD_BASE + 0x08u)
#define GPIOD_AFRH REG32(GPIOD_BASE + 0x24u)

/* USART3 */
#define USART3_BASE 0x40004800u
#define USART3_CR1 REG32(USART3_BASE + 0x00u)
#define USART3_BRR REG32(USART3_BASE + 0x0Cu)
#define USART3_ISR REG32(USART3_BASE + 0x1Cu)
#define USART3_ICR REG32(USART3_BASE + 0x20u)
#define USART3_RDR REG32(USART3_BASE + 0x24u)
#define USART3_TDR REG32(USART3_BASE + 0x28u)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_ISR_ORE (1u << 3)
#define USART_ISR_RXNE (1u << 5)
#define USART_ISR_TXE (1u << 7)
#define USART_ICR_ORECF (1u << 3)

/* TIM2 (32-bit general-purpose timer on APB1) */
#define TIM2_BASE 0x40000000u
#define TIM2_CR1 REG32(TIM2_BASE + 0x00u)
#define TIM2_SR REG32(TIM2_BASE + 0x10u)
#define TIM2_EGR REG32(TIM2_BASE + 0x14u)
#define TIM2_CNT REG32(TIM2_BASE + 0x24u)
#define TIM2_PSC REG32(TIM2_BASE + 0x28u)
#define TIM2_ARR REG32(TIM2_BASE + 0x2Cu)
#define TIM_CR1_CEN (1u << 0)
#define TIM_SR_UIF (1u << 0)
#define TIM_EGR_UG (1u << 0)

/* Cortex-M7 system control */
#define SCB_CPACR REG32(0xE000ED88u)
#define SCB_CCR REG32(0xE000ED14u)
#define SCB_ICIALLU REG32(0xE000EF50u)
#define SCB_CCR_IC (1u << 17)
#define DEMCR REG32(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG32(0xE0001000u)
#define DWT_CYCCNT REG32(0xE0001004u)
#define DWT_LAR REG32(0xE0001FB0u)
#define DWT_CTRL_CYCCNTENA (1u << 0)
#define DWT_LAR_UNLOCK 0xC5ACCE55u

#endif /* STM32F722_REGS_H */
