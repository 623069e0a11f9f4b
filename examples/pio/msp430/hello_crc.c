/* The msp430_sim PlatformIO example: prints a greeting and checks the protocol's CRC-16 on
 * its standard check string; exits 0 when it matches. (Float models need soft-float helpers
 * the MSP430 runtime does not have, so this environment builds no model until int8 models
 * exist.) Run it with: mspdebug -n -q sim "prog .pio/build/msp430_sim/program.elf"
 * "simio add console con" "simio add hwmult mpy" "setbreak __stop" "run" */
#include "tp_board.h"
#include "tp_crc16.h"

int main(void)
{
    static const uint8_t check[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    tp_board_init();
    tp_board_puts("hello from msp430_sim\n");
    if (tp_crc16(TP_CRC16_INIT, check, (uint16_t)sizeof(check)) != 0x29B1u) {
        tp_board_puts("crc: FAIL\n");
        return 1;
    }
    tp_board_puts("crc: PASS\n");
    return 0;
}
