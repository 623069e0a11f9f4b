#include "tp_seq.h"

void tp_seq_init(tp_seq_t *s)
{
    s->last = 0u;
    s->valid = 0u;
    s->gaps = 0u;
    s->duplicates = 0u;
}

tp_seq_class_t tp_seq_classify(tp_seq_t *s, uint16_t seq, uint8_t sync)
{
    uint16_t delta;
    if (!s->valid || (sync && seq != s->last)) {
        s->last = seq;
        s->valid = 1u;
        return TP_SEQ_NEW;
    }
    delta = (uint16_t)(seq - s->last);
    if (delta == 0u) {
        s->duplicates++;
        return TP_SEQ_DUPLICATE;
    }
    if (delta >= 0x8000u) {
        s->duplicates++;
        return TP_SEQ_STALE;
    }
    s->gaps += (uint32_t)(delta - 1u);
    s->last = seq;
    return TP_SEQ_NEW;
}

void tp_cmd_filter_init(tp_cmd_filter_t *f)
{
    f->seq = 0u;
    f->type = 0u;
    f->valid = 0u;
    f->reply_type = 0u;
    f->reason = 0u;
}

uint8_t tp_cmd_is_retry(const tp_cmd_filter_t *f, uint16_t seq, uint8_t type)
{
    return (uint8_t)(f->valid && f->seq == seq && f->type == type);
}

void tp_cmd_executed(tp_cmd_filter_t *f, uint16_t seq, uint8_t type, uint8_t reply_type,
                     uint8_t reason)
{
    f->seq = seq;
    f->type = type;
    f->valid = 1u;
    f->reply_type = reply_type;
    f->reason = reason;
}
