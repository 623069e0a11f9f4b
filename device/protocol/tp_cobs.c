#include "tp_cobs.h"

static void put(tp_cobs_enc_t *e, uint8_t byte)
{
    if (e->pos < e->cap) {
        e->out[e->pos] = byte;
        e->pos++;
    } else {
        e->overflow = 1u;
    }
}

static void close_block(tp_cobs_enc_t *e)
{
    if (e->code_pos < e->cap) {
        e->out[e->code_pos] = e->code;
    }
    e->code_pos = e->pos;
    put(e, 0u); /* placeholder for the next block's code */
    e->code = 1u;
}

void tp_cobs_enc_init(tp_cobs_enc_t *e, uint8_t *out, uint16_t cap)
{
    e->out = out;
    e->cap = cap;
    e->pos = 0u;
    e->code_pos = 0u;
    e->code = 1u;
    e->overflow = 0u;
    put(e, 0u);
}

void tp_cobs_enc_push(tp_cobs_enc_t *e, uint8_t byte)
{
    /* A full block is closed only when more data follows: the canonical encoding. */
    if (e->code == 0xFFu) {
        close_block(e);
    }
    if (byte != 0u) {
        put(e, byte);
        e->code++;
    } else {
        close_block(e);
    }
}

uint16_t tp_cobs_enc_finish(tp_cobs_enc_t *e)
{
    if (e->overflow || e->code_pos >= e->cap) {
        return 0u;
    }
    e->out[e->code_pos] = e->code;
    return e->pos;
}

void tp_cobs_dec_init(tp_cobs_dec_t *d)
{
    d->remaining = 0u;
    d->prev_code = 0xFFu;
}

uint8_t tp_cobs_dec_push(tp_cobs_dec_t *d, uint8_t byte, uint8_t *out)
{
    if (d->remaining > 0u) {
        d->remaining--;
        *out = byte;
        return 1u;
    }
    /* A code byte: the zero that ended the previous block is emitted only now, because the
     * last block of a frame has no trailing zero. */
    {
        uint8_t emit_zero = (uint8_t)(d->prev_code != 0xFFu);
        d->prev_code = byte;
        d->remaining = (uint8_t)(byte - 1u);
        *out = 0u;
        return emit_zero;
    }
}

uint8_t tp_cobs_dec_end(tp_cobs_dec_t *d)
{
    uint8_t ok = (uint8_t)(d->remaining == 0u);
    tp_cobs_dec_init(d);
    return ok;
}
