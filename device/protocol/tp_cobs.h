/* Consistent Overhead Byte Stuffing, streaming in both directions: the encoder writes into a
 * caller's buffer as bytes are pushed; the decoder takes one received byte at a time, so a
 * frame needs no second buffer on either side. */
#ifndef TP_COBS_H
#define TP_COBS_H

#include <stdint.h>

typedef struct {
    uint8_t *out;
    uint16_t cap;
    uint16_t pos;      /* next free byte in out */
    uint16_t code_pos; /* where the open block's code byte goes */
    uint8_t code;      /* open block's length + 1 */
    uint8_t overflow;  /* set once out was too small; the result is then unusable */
} tp_cobs_enc_t;

void tp_cobs_enc_init(tp_cobs_enc_t *e, uint8_t *out, uint16_t cap);
void tp_cobs_enc_push(tp_cobs_enc_t *e, uint8_t byte);
/* Close the last block; returns the encoded length, or 0 if out was too small. */
uint16_t tp_cobs_enc_finish(tp_cobs_enc_t *e);

typedef struct {
    uint8_t remaining; /* data bytes still expected in the current block */
    uint8_t prev_code; /* code of the previous block: 0xFF blocks have no implicit zero */
} tp_cobs_dec_t;

void tp_cobs_dec_init(tp_cobs_dec_t *d);
/* Feed one non-zero received byte. Returns 1 and sets *out when a decoded byte results. */
uint8_t tp_cobs_dec_push(tp_cobs_dec_t *d, uint8_t byte, uint8_t *out);
/* At the 0x00 delimiter: 1 if the frame ended on a block boundary. Resets the decoder. */
uint8_t tp_cobs_dec_end(tp_cobs_dec_t *d);

#endif /* TP_COBS_H */
