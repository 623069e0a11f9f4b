/* Sequence numbers (docs/protocol.md §3): data frames are delivered at most once and the
 * frames lost in between are counted; a retried command is recognized and not re-executed. */
#ifndef TP_SEQ_H
#define TP_SEQ_H

#include <stdint.h>

typedef enum { TP_SEQ_NEW = 0, TP_SEQ_DUPLICATE = 1, TP_SEQ_STALE = 2 } tp_seq_class_t;

typedef struct {
    uint16_t last;
    uint8_t valid;
    uint32_t gaps;       /* frames lost between accepted ones */
    uint32_t duplicates; /* duplicate and stale frames dropped */
} tp_seq_t;

void tp_seq_init(tp_seq_t *s);
/* Judge a received frame's number; sync is its SYNC flag. */
tp_seq_class_t tp_seq_classify(tp_seq_t *s, uint16_t seq, uint8_t sync);

/* The last executed command and the reply sent for it. */
typedef struct {
    uint16_t seq;
    uint8_t type;
    uint8_t valid;
    uint8_t reply_type; /* TP_MSG_ACK or TP_MSG_NACK */
    uint8_t reason;     /* NACK reason */
} tp_cmd_filter_t;

void tp_cmd_filter_init(tp_cmd_filter_t *f);
/* 1 if this command was already executed: send the remembered reply again instead. */
uint8_t tp_cmd_is_retry(const tp_cmd_filter_t *f, uint16_t seq, uint8_t type);
void tp_cmd_executed(tp_cmd_filter_t *f, uint16_t seq, uint8_t type, uint8_t reply_type,
                     uint8_t reason);

#endif /* TP_SEQ_H */
