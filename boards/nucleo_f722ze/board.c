/* Nucleo-F722ZE board layer: USART3 console (ST-LINK virtual COM port, 115200 8N1), the DWT
 * cycle counter, TIM2 pacing. There is no host file system on real hardware: file reads and
 * writes fail (-1), so apps that need files (the "run" app) report a missing input; the
 * real-time app gets its data over the serial protocol instead. Built and size-checked here,
 * never run (no board attached). */
#include <stdint.h>

#include "nucleo_f722ze_board.h"
#include "stm32f722_regs.h"
#include "tp_board.h"

#define PD8_PD9_MASK ((0x3u << 16) | (0x3u << 18))
#define PD8_PD9_AF ((0x2u << 16) | (0x2u << 18))
#define PD8_PD9_HIGH_SPEED ((0x2u << 16) | (0x2u << 18))
#define PD8_PD9_AF7 ((0x7u << 0) | (0x7u << 4))

static uint32_t s_period_ticks;
static uint32_t s_next_deadline;

void tp_board_init(void)
{
    /* USART3 on PD8 (TX) and PD9 (RX), alternate function 7, clocked from PCLK1. */
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIODEN;
    RCC_APB1ENR |= RCC_APB1ENR_USART3EN | RCC_APB1ENR_TIM2EN;
    (void)RCC_APB1ENR;
    RCC_DCKCFGR2 &= ~RCC_DCKCFGR2_USART3SEL_MASK;
    GPIOD_AFRH = (GPIOD_AFRH & ~0xFFu) | PD8_PD9_AF7;
    GPIOD_OSPEEDR = (GPIOD_OSPEEDR & ~PD8_PD9_MASK) | PD8_PD9_HIGH_SPEED;
    GPIOD_MODER = (GPIOD_MODER & ~PD8_PD9_MASK) | PD8_PD9_AF;
    USART3_CR1 = 0u;
    USART3_BRR = (TP_BOARD_PCLK1_HZ + TP_BOARD_BAUD / 2u) / TP_BOARD_BAUD; /* 469: 0.08 % */
    USART3_CR1 = USART_CR1_TE | USART_CR1_RE | USART_CR1_UE;

    /* DWT cycle counter (the M7 needs its lock access register unlocked first). */
    DEMCR |= DEMCR_TRCENA;
    DWT_LAR = DWT_LAR_UNLOCK;
    DWT_CYCCNT = 0u;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;

    /* TIM2 free-running over 32 bits at 108 MHz, no interrupt. */
    TIM2_CR1 = 0u;
    TIM2_PSC = 0u;
    TIM2_ARR = 0xFFFFFFFFu;
    TIM2_EGR = TIM_EGR_UG;
    TIM2_SR = 0u;
    TIM2_CR1 = TIM_CR1_CEN;
}

uint32_t tp_board_counter(void)
{
    return DWT_CYCCNT;
}

void tp_board_pace_start(uint32_t hz)
{
    s_period_ticks = TP_BOARD_TIM2_HZ / (hz == 0u ? 1u : hz);
    s_next_deadline = TIM2_CNT + s_period_ticks;
}

uint32_t tp_board_pace_wait(void)
{
    const uint32_t late = TIM2_CNT - s_next_deadline;
    uint32_t missed;
    if ((int32_t)late < 0) {
        while ((int32_t)(TIM2_CNT - s_next_deadline) < 0) {
        }
        s_next_deadline += s_period_ticks;
        return 0u;
    }
    /* The last iteration overran: start at once and stay on the original grid. */
    missed = late / s_period_ticks + 1u;
    s_next_deadline += missed * s_period_ticks;
    return missed;
}

void tp_board_serial_write(const uint8_t *data, uint32_t size)
{
    while (size-- > 0u) {
        while ((USART3_ISR & USART_ISR_TXE) == 0u) {
        }
        USART3_TDR = *data++;
    }
}

int32_t tp_board_serial_read(void)
{
    if (USART3_ISR & USART_ISR_ORE) {
        USART3_ICR = USART_ICR_ORECF; /* an overrun loses bytes; the protocol's CRC notices */
    }
    if ((USART3_ISR & USART_ISR_RXNE) == 0u) {
        return -1;
    }
    return (int32_t)(USART3_RDR & 0xFFu);
}

int32_t tp_board_read_file(const char *name, uint32_t offset, void *buf, uint32_t size)
{
    (void)name;
    (void)offset;
    (void)buf;
    (void)size;
    return -1;
}

int32_t tp_board_write_file(const char *name, const void *buf, uint32_t size, int32_t append)
{
    (void)name;
    (void)buf;
    (void)size;
    (void)append;
    return -1;
}

void tp_board_puts(const char *text)
{
    while (*text != '\0') {
        if (*text == '\n') {
            tp_board_serial_write((const uint8_t *)"\r", 1u);
        }
        tp_board_serial_write((const uint8_t *)text, 1u);
        text++;
    }
}

void tp_board_exit(int32_t code)
{
    static const char digits[] = "0123456789";
    char msg[] = "exit -0000000000\n";
    uint32_t v = code < 0 ? 0u - (uint32_t)code : (uint32_t)code;
    int i = 15;
    do {
        msg[i--] = digits[v % 10u];
        v /= 10u;
    } while (v != 0u && i > 6);
    if (code < 0) {
        msg[i--] = '-';
    }
    msg[i] = ' ';
    tp_board_puts("exit");
    tp_board_puts(&msg[i]);
    for (;;) {
        __asm volatile("wfi");
    }
}
