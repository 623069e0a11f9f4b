/* Frames of the tinyprune serial protocol (docs/protocol.md §1): a 7-byte header, a payload
 * of at most 256 bytes and a CRC-16/CCITT-FALSE, COBS-encoded and ended by 0x00. */
#ifndef TP_FRAME_H
#define TP_FRAME_H

#include <stdint.h>

#include "tp_cobs.h"

#define TP_PROTO_VERSION 3u
#define TP_FRAME_HEADER_LEN 7u
#define TP_FRAME_CRC_LEN 2u
#define TP_FRAME_MAX_PAYLOAD 256u
#define TP_FRAME_MAX_RAW (TP_FRAME_HEADER_LEN + TP_FRAME_MAX_PAYLOAD + TP_FRAME_CRC_LEN)
/* One COBS code byte per started 254 bytes, then the delimiter. */
#define TP_FRAME_MAX_WIRE (TP_FRAME_MAX_RAW + (TP_FRAME_MAX_RAW + 253u) / 254u + 1u)
#define TP_FLAG_SYNC 0x01u

/* Message types: 0x01-0x1F commands (acknowledged), 0x20-0x3F data (at most once). */
enum {
    TP_MSG_HELLO = 0x01,
    TP_MSG_GET_STATS = 0x02,
    TP_MSG_GET_PROFILE = 0x03,
    TP_MSG_RESET_STATS = 0x04,
    TP_MSG_CAPTURE_START = 0x05,
    TP_MSG_CAPTURE_STOP = 0x06,
    TP_MSG_ACK = 0x20,
    TP_MSG_NACK = 0x21,
    TP_MSG_INFO = 0x22,
    TP_MSG_SWEEP = 0x23,
    TP_MSG_RESULT = 0x24,
    TP_MSG_PROFILE = 0x25,
    TP_MSG_STATS = 0x26,
    TP_MSG_LOG = 0x27,
    TP_MSG_ERROR = 0x28
};

/* A receiver's judgement of one frame; the codes are those of the specification. */
typedef enum {
    TP_VERDICT_OK = 0,
    TP_VERDICT_COBS = 1,
    TP_VERDICT_OVERSIZE = 2,
    TP_VERDICT_SHORT = 3,
    TP_VERDICT_CRC = 4,
    TP_VERDICT_VERSION = 5,
    TP_VERDICT_LENGTH = 6,
    TP_VERDICT_TYPE = 7,
    TP_VERDICT_COUNT = 8,
    TP_VERDICT_PENDING = 0xFF /* no frame finished with this byte */
} tp_verdict_t;

typedef struct {
    uint8_t type;
    uint8_t flags;
    uint16_t seq;
    uint16_t len;
    const uint8_t *payload; /* points into the decoder's buffer until its next byte */
} tp_frame_t;

typedef struct {
    uint8_t buf[TP_FRAME_MAX_RAW];
    uint16_t len;
    uint8_t active;   /* a non-delimiter byte arrived since the last delimiter */
    uint8_t skipping; /* an oversize frame is being discarded up to the next delimiter */
    tp_cobs_dec_t cobs;
    uint32_t counts[TP_VERDICT_COUNT]; /* frames judged, by verdict */
} tp_frame_decoder_t;

uint8_t tp_is_command(uint8_t type);
uint8_t tp_is_known_type(uint8_t type);

void tp_frame_decoder_init(tp_frame_decoder_t *d);

/* Feed one received byte. Returns TP_VERDICT_PENDING, or the verdict of the frame this byte
 * ended (counted in d->counts); on TP_VERDICT_OK, *out describes the frame. Never fails on
 * any input: a bad frame costs at most the bytes up to the next 0x00. */
tp_verdict_t tp_frame_decoder_push(tp_frame_decoder_t *d, uint8_t byte, tp_frame_t *out);

/* Check one COBS-decoded frame (header, payload, CRC) in the specification's order. */
tp_verdict_t tp_frame_judge(const uint8_t *raw, uint16_t n, tp_frame_t *out);

/* Encode a frame, delimiter included, into out. Returns the bytes written, or 0 if the
 * payload is longer than TP_FRAME_MAX_PAYLOAD or out is too small (TP_FRAME_MAX_WIRE always
 * suffices). */
uint16_t tp_frame_encode(uint8_t type, uint8_t flags, uint16_t seq, const uint8_t *payload,
                         uint16_t len, uint8_t *out, uint16_t cap);

#endif /* TP_FRAME_H */
