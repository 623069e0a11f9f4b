#include "tp_frame.h"

#include "tp_crc16.h"
#include "tp_le.h"

uint8_t tp_is_command(uint8_t type)
{
    return (uint8_t)(type >= 0x01u && type <= 0x1Fu);
}

uint8_t tp_is_known_type(uint8_t type)
{
    return (uint8_t)((type >= TP_MSG_HELLO && type <= TP_MSG_CAPTURE_STOP) ||
                     (type >= TP_MSG_ACK && type <= TP_MSG_ERROR));
}

void tp_frame_decoder_init(tp_frame_decoder_t *d)
{
    uint8_t i;
    d->len = 0u;
    d->active = 0u;
    d->skipping = 0u;
    tp_cobs_dec_init(&d->cobs);
    for (i = 0; i < (uint8_t)TP_VERDICT_COUNT; i++) {
        d->counts[i] = 0u;
    }
}

tp_verdict_t tp_frame_judge(const uint8_t *raw, uint16_t n, tp_frame_t *out)
{
    uint16_t body;
    if (n < TP_FRAME_HEADER_LEN + TP_FRAME_CRC_LEN) {
        return TP_VERDICT_SHORT;
    }
    body = (uint16_t)(n - TP_FRAME_CRC_LEN);
    if (tp_crc16(TP_CRC16_INIT, raw, body) != tp_get_u16(raw + body)) {
        return TP_VERDICT_CRC;
    }
    if (raw[0] != TP_PROTO_VERSION) {
        return TP_VERDICT_VERSION;
    }
    if (tp_get_u16(raw + 5) != (uint16_t)(body - TP_FRAME_HEADER_LEN)) {
        return TP_VERDICT_LENGTH;
    }
    if (!tp_is_known_type(raw[1])) {
        return TP_VERDICT_TYPE;
    }
    out->type = raw[1];
    out->flags = raw[2];
    out->seq = tp_get_u16(raw + 3);
    out->len = (uint16_t)(body - TP_FRAME_HEADER_LEN);
    out->payload = raw + TP_FRAME_HEADER_LEN;
    return TP_VERDICT_OK;
}

static tp_verdict_t finish(tp_frame_decoder_t *d, tp_verdict_t v)
{
    d->counts[v]++;
    return v;
}

tp_verdict_t tp_frame_decoder_push(tp_frame_decoder_t *d, uint8_t byte, tp_frame_t *out)
{
    uint8_t decoded;
    if (byte == 0u) {
        uint8_t was_active = d->active;
        uint8_t was_skipping = d->skipping;
        uint8_t block_ok = tp_cobs_dec_end(&d->cobs);
        uint16_t n = d->len;
        d->len = 0u;
        d->active = 0u;
        d->skipping = 0u;
        if (!was_active || was_skipping) {
            return TP_VERDICT_PENDING; /* an empty frame, or an oversize one already counted */
        }
        if (!block_ok) {
            return finish(d, TP_VERDICT_COBS);
        }
        return finish(d, tp_frame_judge(d->buf, n, out));
    }
    if (d->skipping) {
        return TP_VERDICT_PENDING;
    }
    d->active = 1u;
    if (!tp_cobs_dec_push(&d->cobs, byte, &decoded)) {
        return TP_VERDICT_PENDING;
    }
    if (d->len >= TP_FRAME_MAX_RAW) {
        d->skipping = 1u;
        return finish(d, TP_VERDICT_OVERSIZE);
    }
    d->buf[d->len] = decoded;
    d->len++;
    return TP_VERDICT_PENDING;
}

uint16_t tp_frame_encode(uint8_t type, uint8_t flags, uint16_t seq, const uint8_t *payload,
                         uint16_t len, uint8_t *out, uint16_t cap)
{
    uint8_t header[TP_FRAME_HEADER_LEN];
    uint16_t crc;
    uint16_t i;
    uint16_t n;
    tp_cobs_enc_t enc;
    if (len > TP_FRAME_MAX_PAYLOAD || cap < 1u) {
        return 0u;
    }
    header[0] = TP_PROTO_VERSION;
    header[1] = type;
    header[2] = flags;
    tp_put_u16(header + 3, seq);
    tp_put_u16(header + 5, len);
    crc = tp_crc16(TP_CRC16_INIT, header, TP_FRAME_HEADER_LEN);
    crc = tp_crc16(crc, payload, len);
    /* The delimiter's byte is kept out of the encoder's reach. */
    tp_cobs_enc_init(&enc, out, (uint16_t)(cap - 1u));
    for (i = 0; i < TP_FRAME_HEADER_LEN; i++) {
        tp_cobs_enc_push(&enc, header[i]);
    }
    for (i = 0; i < len; i++) {
        tp_cobs_enc_push(&enc, payload[i]);
    }
    tp_cobs_enc_push(&enc, (uint8_t)(crc & 0xFFu));
    tp_cobs_enc_push(&enc, (uint8_t)(crc >> 8));
    n = tp_cobs_enc_finish(&enc);
    if (n == 0u) {
        return 0u;
    }
    out[n] = 0u;
    return (uint16_t)(n + 1u);
}
