#include "tp_crc16.h"

/* Bitwise rather than a 512-byte table: frames are short and the MSP430's FRAM is scarce. */
uint16_t tp_crc16_update(uint16_t crc, uint8_t byte)
{
    uint8_t bit;
    crc ^= (uint16_t)((uint16_t)byte << 8);
    for (bit = 0; bit < 8u; bit++) {
        if (crc & 0x8000u) {
            crc = (uint16_t)((uint16_t)(crc << 1) ^ 0x1021u);
        } else {
            crc = (uint16_t)(crc << 1);
        }
    }
    return crc;
}

uint16_t tp_crc16(uint16_t crc, const uint8_t *data, uint16_t len)
{
    uint16_t i;
    for (i = 0; i < len; i++) {
        crc = tp_crc16_update(crc, data[i]);
    }
    return crc;
}
