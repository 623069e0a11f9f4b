/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no final XOR (docs/protocol.md). */
#ifndef TP_CRC16_H
#define TP_CRC16_H

#include <stdint.h>

#define TP_CRC16_INIT 0xFFFFu

/* Continue a CRC over one more byte. */
uint16_t tp_crc16_update(uint16_t crc, uint8_t byte);

/* CRC of len bytes, starting from crc (TP_CRC16_INIT for a fresh one). */
uint16_t tp_crc16(uint16_t crc, const uint8_t *data, uint16_t len);

#endif /* TP_CRC16_H */
