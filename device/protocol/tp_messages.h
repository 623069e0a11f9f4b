/* Message payloads (docs/protocol.md §4), packed and unpacked byte by byte, little-endian.
 *
 * tp_pack_* return the payload length, or 0 when a count exceeds its maximum or the buffer is
 * too small (every payload fits TP_FRAME_MAX_PAYLOAD bytes). tp_unpack_* return 0 for a payload
 * that follows its layout exactly and -1 otherwise, leaving *m unspecified. */
#ifndef TP_MESSAGES_H
#define TP_MESSAGES_H

#include <stdint.h>

#define TP_MAX_BOARD_NAME 32u
#define TP_MAX_DEPTHS 62u
#define TP_MAX_CLASSES 16u
#define TP_MAX_PROFILE_STEPS 59u
/* Record bytes per INFO or STATS page: small enough to survive a line with 5 % byte errors. */
#define TP_PAGE_BYTES 16u
#define TP_MAX_LOG_TEXT 255u
#define TP_MAX_ERROR_TEXT 254u
#define TP_NONE_CLASS 0xFFu

#define TP_UNIT_INSTRUCTIONS 0u
#define TP_UNIT_CYCLES 1u
#define TP_CAPTURE_CLASSIFY 0x01u
#define TP_RESULT_DEADLINE_MISSED 0x01u

enum { TP_NACK_BAD_PAYLOAD = 1, TP_NACK_UNSUPPORTED = 2, TP_NACK_BUSY = 3, TP_NACK_MISMATCH = 4 };
enum { TP_ERROR_MODEL_MISMATCH = 1, TP_ERROR_RADAR_MISMATCH = 2, TP_ERROR_BAD_SWEEP = 3,
       TP_ERROR_INTERNAL = 4 };

typedef struct {
    uint16_t first_step;
} tp_get_profile_t;

/* HELLO and GET_STATS: the byte offset of the record page wanted. */
typedef struct {
    uint8_t offset;
} tp_get_page_t;

/* INFO and STATS frames: bytes offset .. offset + n - 1 of a record of total bytes, where
 * n = min(TP_PAGE_BYTES, total - offset) and offset < total. */
typedef struct {
    uint8_t offset;
    uint8_t total;
    uint8_t n;
    uint8_t data[TP_PAGE_BYTES];
} tp_page_t;

typedef struct {
    uint32_t n_sweeps; /* 0: until CAPTURE_STOP */
    uint8_t flags;     /* TP_CAPTURE_CLASSIFY */
} tp_capture_start_t;

typedef struct {
    uint16_t acked_seq;
    uint8_t acked_type;
} tp_ack_t;

typedef struct {
    uint16_t acked_seq;
    uint8_t acked_type;
    uint8_t reason; /* TP_NACK_* */
} tp_nack_t;

typedef struct {
    uint8_t protocol_version;
    uint8_t fw_major;
    uint8_t fw_minor;
    uint8_t fw_patch;
    uint32_t clock_hz;
    uint8_t counter_unit;
    uint32_t deadline_budget;
    uint8_t model_hash[8];
    uint8_t n_classes;
    uint16_t start_mm;
    uint32_t step_um;
    uint16_t n_depths;
    uint32_t sweep_rate_mhz;
    uint8_t frame_sweeps;
    uint32_t flash_used;
    uint32_t ram_used;
    uint8_t capabilities;
    uint8_t board_len;
    char board[TP_MAX_BOARD_NAME + 1u]; /* NUL-terminated after unpack */
} tp_info_t;

typedef struct {
    uint32_t sweep_index;
    uint16_t n_depths;
    int16_t iq[2u * TP_MAX_DEPTHS]; /* I0, Q0, I1, Q1, ... */
} tp_sweep_t;

typedef struct {
    uint32_t sweep_index;
    uint8_t frame_class; /* TP_NONE_CLASS while the window fills */
    uint8_t event;       /* TP_NONE_CLASS: no gesture on this sweep */
    uint8_t flags;       /* TP_RESULT_DEADLINE_MISSED */
    uint32_t work;
    uint8_t n_scores;
    int16_t scores[TP_MAX_CLASSES];
} tp_result_t;

typedef struct {
    uint32_t sweep_index;
    uint8_t unit;
    uint32_t preprocess;
    uint32_t inference;
    uint16_t total_steps;
    uint16_t first_step;
    uint8_t n_steps;
    uint32_t steps[TP_MAX_PROFILE_STEPS];
} tp_profile_t;

/* STATS counters, in wire order. */
enum {
    TP_STAT_RX_FRAMES, TP_STAT_TX_FRAMES, TP_STAT_COBS_ERRORS, TP_STAT_OVERSIZE_ERRORS,
    TP_STAT_SHORT_ERRORS, TP_STAT_CRC_ERRORS, TP_STAT_VERSION_ERRORS, TP_STAT_LENGTH_ERRORS,
    TP_STAT_TYPE_ERRORS, TP_STAT_PAYLOAD_ERRORS, TP_STAT_SEQ_GAPS, TP_STAT_DUPLICATES,
    TP_STAT_SWEEPS, TP_STAT_RESULTS, TP_STAT_DEADLINE_MISSES, TP_STAT_TX_DROPPED,
    TP_STAT_COUNT
};

typedef struct {
    uint32_t v[TP_STAT_COUNT];
} tp_stats_t;

typedef struct {
    uint8_t level; /* 0 debug .. 3 error */
    uint16_t len;
    char text[TP_MAX_LOG_TEXT]; /* UTF-8, not NUL-terminated */
} tp_log_t;

typedef struct {
    uint16_t code; /* TP_ERROR_* */
    uint16_t len;
    char text[TP_MAX_ERROR_TEXT]; /* UTF-8, not NUL-terminated */
} tp_error_t;

/* RESET_STATS and CAPTURE_STOP carry no payload. */
int8_t tp_unpack_empty(const uint8_t *p, uint16_t len);

uint16_t tp_pack_get_page(const tp_get_page_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_get_page(const uint8_t *p, uint16_t len, tp_get_page_t *m);
uint16_t tp_pack_page(const tp_page_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_page(const uint8_t *p, uint16_t len, tp_page_t *m);
/* The page at offset of the record rec[0 .. total - 1]; -1 when offset >= total. */
int8_t tp_page_of(const uint8_t *rec, uint8_t total, uint8_t offset, tp_page_t *m);

uint16_t tp_pack_get_profile(const tp_get_profile_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_get_profile(const uint8_t *p, uint16_t len, tp_get_profile_t *m);
uint16_t tp_pack_capture_start(const tp_capture_start_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_capture_start(const uint8_t *p, uint16_t len, tp_capture_start_t *m);
uint16_t tp_pack_ack(const tp_ack_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_ack(const uint8_t *p, uint16_t len, tp_ack_t *m);
uint16_t tp_pack_nack(const tp_nack_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_nack(const uint8_t *p, uint16_t len, tp_nack_t *m);
/* The INFO and STATS records, sent as pages. */
uint16_t tp_pack_info(const tp_info_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_info(const uint8_t *p, uint16_t len, tp_info_t *m);
uint16_t tp_pack_sweep(const tp_sweep_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_sweep(const uint8_t *p, uint16_t len, tp_sweep_t *m);
uint16_t tp_pack_result(const tp_result_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_result(const uint8_t *p, uint16_t len, tp_result_t *m);
uint16_t tp_pack_profile(const tp_profile_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_profile(const uint8_t *p, uint16_t len, tp_profile_t *m);
uint16_t tp_pack_stats(const tp_stats_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_stats(const uint8_t *p, uint16_t len, tp_stats_t *m);
uint16_t tp_pack_log(const tp_log_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_log(const uint8_t *p, uint16_t len, tp_log_t *m);
uint16_t tp_pack_error(const tp_error_t *m, uint8_t *p, uint16_t cap);
int8_t tp_unpack_error(const uint8_t *p, uint16_t len, tp_error_t *m);

#endif /* TP_MESSAGES_H */
