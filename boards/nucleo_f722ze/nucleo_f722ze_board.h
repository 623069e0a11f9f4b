/* Nucleo-F722ZE extras beyond device/app/tp_board.h: clock figures and 18 Hz pacing.
 *
 * Pacing: the app loop calls tp_board_pace_start(18) once, then tp_board_pace_wait() at the
 * top of every iteration. TIM2 runs free at 108 MHz over its full 32 bits (a wrap every
 * 39.8 s); a period is 108 MHz / hz ticks, exactly 6,000,000 at 18 Hz. pace_wait busy-waits
 * for the next period boundary (deadlines stay on the original grid, so no drift) and
 * returns 0; when called after the boundary (the previous iteration overran), it returns at
 * once with the number of boundaries that passed (>= 1, a deadline miss for the app to
 * count) and skips them. No interrupt is used, so nothing preempts a measured region.
 */
#ifndef NUCLEO_F722ZE_BOARD_H
#define NUCLEO_F722ZE_BOARD_H

#include <stdint.h>

#define TP_BOARD_HSE_HZ 8000000u    /* ST-LINK MCO, bypass mode */
#define TP_BOARD_SYSCLK_HZ 216000000u
#define TP_BOARD_PCLK1_HZ 54000000u /* APB1 = SYSCLK / 4 (USART3) */
#define TP_BOARD_TIM2_HZ 108000000u /* APB1 timers run at 2 x PCLK1 */
#define TP_BOARD_BAUD 115200u

/* Start the pacing timer at hz periods per second (1 <= hz <= TIM2 clock). */
void tp_board_pace_start(uint32_t hz);

/* Wait for the next period boundary: 0 when on time, else the boundaries already passed. */
uint32_t tp_board_pace_wait(void);

/* The serial link (tp_board_serial_write/read in tp_board.h) is USART3 on PD8 (TX) / PD9
 * (RX), the ST-LINK virtual COM port, 115200 8N1, polled. */

#endif /* NUCLEO_F722ZE_BOARD_H */
