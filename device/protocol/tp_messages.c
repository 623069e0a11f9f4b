#include "tp_messages.h"

#include "tp_le.h"

#define INFO_HEAD 45u
#define SWEEP_HEAD 6u
#define RESULT_HEAD 12u
#define PROFILE_HEAD 18u
#define STATS_LEN (4u * (uint16_t)TP_STAT_COUNT)

static void copy_bytes(uint8_t *dst, const uint8_t *src, uint16_t n)
{
    uint16_t i;
    for (i = 0; i < n; i++) {
        dst[i] = src[i];
    }
}

int8_t tp_unpack_empty(const uint8_t *p, uint16_t len)
{
    (void)p;
    return (int8_t)(len == 0u ? 0 : -1);
}

uint16_t tp_pack_get_page(const tp_get_page_t *m, uint8_t *p, uint16_t cap)
{
    if (cap < 1u) {
        return 0u;
    }
    p[0] = m->offset;
    return 1u;
}

int8_t tp_unpack_get_page(const uint8_t *p, uint16_t len, tp_get_page_t *m)
{
    if (len != 1u) {
        return -1;
    }
    m->offset = p[0];
    return 0;
}

/* Every page but the last is full, so a page's length follows from offset and total. */
static uint8_t page_len(uint8_t offset, uint8_t total)
{
    const uint8_t left = (uint8_t)(total - offset);
    return left < TP_PAGE_BYTES ? left : (uint8_t)TP_PAGE_BYTES;
}

uint16_t tp_pack_page(const tp_page_t *m, uint8_t *p, uint16_t cap)
{
    if (m->offset >= m->total || m->n != page_len(m->offset, m->total) ||
        cap < 2u + (uint16_t)m->n) {
        return 0u;
    }
    p[0] = m->offset;
    p[1] = m->total;
    for (uint8_t i = 0; i < m->n; ++i) {
        p[2u + i] = m->data[i];
    }
    return (uint16_t)(2u + m->n);
}

int8_t tp_unpack_page(const uint8_t *p, uint16_t len, tp_page_t *m)
{
    if (len < 2u || p[0] >= p[1] || len != 2u + (uint16_t)page_len(p[0], p[1])) {
        return -1;
    }
    m->offset = p[0];
    m->total = p[1];
    m->n = (uint8_t)(len - 2u);
    for (uint8_t i = 0; i < m->n; ++i) {
        m->data[i] = p[2u + i];
    }
    return 0;
}

int8_t tp_page_of(const uint8_t *rec, uint8_t total, uint8_t offset, tp_page_t *m)
{
    if (offset >= total) {
        return -1;
    }
    m->offset = offset;
    m->total = total;
    m->n = page_len(offset, total);
    for (uint8_t i = 0; i < m->n; ++i) {
        m->data[i] = rec[offset + i];
    }
    return 0;
}

uint16_t tp_pack_get_profile(const tp_get_profile_t *m, uint8_t *p, uint16_t cap)
{
    if (cap < 2u) {
        return 0u;
    }
    tp_put_u16(p, m->first_step);
    return 2u;
}

int8_t tp_unpack_get_profile(const uint8_t *p, uint16_t len, tp_get_profile_t *m)
{
    if (len != 2u) {
        return -1;
    }
    m->first_step = tp_get_u16(p);
    return 0;
}

uint16_t tp_pack_capture_start(const tp_capture_start_t *m, uint8_t *p, uint16_t cap)
{
    if (cap < 5u) {
        return 0u;
    }
    tp_put_u32(p, m->n_sweeps);
    p[4] = m->flags;
    return 5u;
}

int8_t tp_unpack_capture_start(const uint8_t *p, uint16_t len, tp_capture_start_t *m)
{
    if (len != 5u || (p[4] & (uint8_t)~TP_CAPTURE_CLASSIFY) != 0u) {
        return -1;
    }
    m->n_sweeps = tp_get_u32(p);
    m->flags = p[4];
    return 0;
}

uint16_t tp_pack_ack(const tp_ack_t *m, uint8_t *p, uint16_t cap)
{
    if (cap < 3u) {
        return 0u;
    }
    tp_put_u16(p, m->acked_seq);
    p[2] = m->acked_type;
    return 3u;
}

int8_t tp_unpack_ack(const uint8_t *p, uint16_t len, tp_ack_t *m)
{
    if (len != 3u) {
        return -1;
    }
    m->acked_seq = tp_get_u16(p);
    m->acked_type = p[2];
    return 0;
}

uint16_t tp_pack_nack(const tp_nack_t *m, uint8_t *p, uint16_t cap)
{
    if (cap < 4u) {
        return 0u;
    }
    tp_put_u16(p, m->acked_seq);
    p[2] = m->acked_type;
    p[3] = m->reason;
    return 4u;
}

int8_t tp_unpack_nack(const uint8_t *p, uint16_t len, tp_nack_t *m)
{
    if (len != 4u || p[3] < (uint8_t)TP_NACK_BAD_PAYLOAD || p[3] > (uint8_t)TP_NACK_MISMATCH) {
        return -1;
    }
    m->acked_seq = tp_get_u16(p);
    m->acked_type = p[2];
    m->reason = p[3];
    return 0;
}

uint16_t tp_pack_info(const tp_info_t *m, uint8_t *p, uint16_t cap)
{
    uint16_t n = (uint16_t)(INFO_HEAD + m->board_len);
    if (m->board_len > TP_MAX_BOARD_NAME || cap < n) {
        return 0u;
    }
    p[0] = m->protocol_version;
    p[1] = m->fw_major;
    p[2] = m->fw_minor;
    p[3] = m->fw_patch;
    tp_put_u32(p + 4, m->clock_hz);
    p[8] = m->counter_unit;
    tp_put_u32(p + 9, m->deadline_budget);
    copy_bytes(p + 13, m->model_hash, 8u);
    p[21] = m->n_classes;
    tp_put_u16(p + 22, m->start_mm);
    tp_put_u32(p + 24, m->step_um);
    tp_put_u16(p + 28, m->n_depths);
    tp_put_u32(p + 30, m->sweep_rate_mhz);
    p[34] = m->frame_sweeps;
    tp_put_u32(p + 35, m->flash_used);
    tp_put_u32(p + 39, m->ram_used);
    p[43] = m->capabilities;
    p[44] = m->board_len;
    copy_bytes(p + INFO_HEAD, (const uint8_t *)m->board, m->board_len);
    return n;
}

int8_t tp_unpack_info(const uint8_t *p, uint16_t len, tp_info_t *m)
{
    uint8_t i;
    if (len < INFO_HEAD || p[44] > TP_MAX_BOARD_NAME || len != INFO_HEAD + p[44] ||
        p[8] > TP_UNIT_CYCLES || p[21] > TP_MAX_CLASSES) {
        return -1;
    }
    for (i = 0; i < p[44]; i++) {
        if (p[INFO_HEAD + i] < 0x20u || p[INFO_HEAD + i] > 0x7Eu) {
            return -1;
        }
    }
    m->protocol_version = p[0];
    m->fw_major = p[1];
    m->fw_minor = p[2];
    m->fw_patch = p[3];
    m->clock_hz = tp_get_u32(p + 4);
    m->counter_unit = p[8];
    m->deadline_budget = tp_get_u32(p + 9);
    copy_bytes(m->model_hash, p + 13, 8u);
    m->n_classes = p[21];
    m->start_mm = tp_get_u16(p + 22);
    m->step_um = tp_get_u32(p + 24);
    m->n_depths = tp_get_u16(p + 28);
    m->sweep_rate_mhz = tp_get_u32(p + 30);
    m->frame_sweeps = p[34];
    m->flash_used = tp_get_u32(p + 35);
    m->ram_used = tp_get_u32(p + 39);
    m->capabilities = p[43];
    m->board_len = p[44];
    copy_bytes((uint8_t *)m->board, p + INFO_HEAD, m->board_len);
    m->board[m->board_len] = '\0';
    return 0;
}

uint16_t tp_pack_sweep(const tp_sweep_t *m, uint8_t *p, uint16_t cap)
{
    uint16_t i;
    uint16_t n = (uint16_t)(SWEEP_HEAD + 4u * m->n_depths);
    if (m->n_depths > TP_MAX_DEPTHS || cap < n) {
        return 0u;
    }
    tp_put_u32(p, m->sweep_index);
    tp_put_u16(p + 4, m->n_depths);
    for (i = 0; i < 2u * m->n_depths; i++) {
        tp_put_u16(p + SWEEP_HEAD + 2u * i, (uint16_t)m->iq[i]);
    }
    return n;
}

int8_t tp_unpack_sweep(const uint8_t *p, uint16_t len, tp_sweep_t *m)
{
    uint16_t i;
    uint16_t n;
    if (len < SWEEP_HEAD) {
        return -1;
    }
    n = tp_get_u16(p + 4);
    if (n > TP_MAX_DEPTHS || len != SWEEP_HEAD + 4u * n) {
        return -1;
    }
    m->sweep_index = tp_get_u32(p);
    m->n_depths = n;
    for (i = 0; i < 2u * n; i++) {
        m->iq[i] = (int16_t)tp_get_u16(p + SWEEP_HEAD + 2u * i);
    }
    return 0;
}

uint16_t tp_pack_result(const tp_result_t *m, uint8_t *p, uint16_t cap)
{
    uint8_t i;
    uint16_t n = (uint16_t)(RESULT_HEAD + 2u * m->n_scores);
    if (m->n_scores > TP_MAX_CLASSES || cap < n) {
        return 0u;
    }
    tp_put_u32(p, m->sweep_index);
    p[4] = m->frame_class;
    p[5] = m->event;
    p[6] = m->flags;
    tp_put_u32(p + 7, m->work);
    p[11] = m->n_scores;
    for (i = 0; i < m->n_scores; i++) {
        tp_put_u16(p + RESULT_HEAD + 2u * i, (uint16_t)m->scores[i]);
    }
    return n;
}

static uint8_t class_ok(uint8_t value, uint8_t n)
{
    return (uint8_t)(value == TP_NONE_CLASS || value < n);
}

int8_t tp_unpack_result(const uint8_t *p, uint16_t len, tp_result_t *m)
{
    uint8_t i;
    uint8_t n;
    if (len < RESULT_HEAD) {
        return -1;
    }
    n = p[11];
    if (n > TP_MAX_CLASSES || len != RESULT_HEAD + 2u * n || !class_ok(p[4], n) ||
        !class_ok(p[5], n) || (p[6] & (uint8_t)~TP_RESULT_DEADLINE_MISSED) != 0u) {
        return -1;
    }
    m->sweep_index = tp_get_u32(p);
    m->frame_class = p[4];
    m->event = p[5];
    m->flags = p[6];
    m->work = tp_get_u32(p + 7);
    m->n_scores = n;
    for (i = 0; i < n; i++) {
        m->scores[i] = (int16_t)tp_get_u16(p + RESULT_HEAD + 2u * i);
    }
    return 0;
}

uint16_t tp_pack_profile(const tp_profile_t *m, uint8_t *p, uint16_t cap)
{
    uint8_t i;
    uint16_t n = (uint16_t)(PROFILE_HEAD + 4u * m->n_steps);
    if (m->n_steps > TP_MAX_PROFILE_STEPS || cap < n) {
        return 0u;
    }
    tp_put_u32(p, m->sweep_index);
    p[4] = m->unit;
    tp_put_u32(p + 5, m->preprocess);
    tp_put_u32(p + 9, m->inference);
    tp_put_u16(p + 13, m->total_steps);
    tp_put_u16(p + 15, m->first_step);
    p[17] = m->n_steps;
    for (i = 0; i < m->n_steps; i++) {
        tp_put_u32(p + PROFILE_HEAD + 4u * i, m->steps[i]);
    }
    return n;
}

int8_t tp_unpack_profile(const uint8_t *p, uint16_t len, tp_profile_t *m)
{
    uint8_t i;
    uint8_t n;
    if (len < PROFILE_HEAD) {
        return -1;
    }
    n = p[17];
    /* 32-bit sum: first_step + n must not wrap on a 16-bit int. */
    if (n > TP_MAX_PROFILE_STEPS || len != PROFILE_HEAD + 4u * n || p[4] > TP_UNIT_CYCLES ||
        (uint32_t)tp_get_u16(p + 15) + n > (uint32_t)tp_get_u16(p + 13)) {
        return -1;
    }
    m->sweep_index = tp_get_u32(p);
    m->unit = p[4];
    m->preprocess = tp_get_u32(p + 5);
    m->inference = tp_get_u32(p + 9);
    m->total_steps = tp_get_u16(p + 13);
    m->first_step = tp_get_u16(p + 15);
    m->n_steps = n;
    for (i = 0; i < n; i++) {
        m->steps[i] = tp_get_u32(p + PROFILE_HEAD + 4u * i);
    }
    return 0;
}

uint16_t tp_pack_stats(const tp_stats_t *m, uint8_t *p, uint16_t cap)
{
    uint8_t i;
    if (cap < STATS_LEN) {
        return 0u;
    }
    for (i = 0; i < (uint8_t)TP_STAT_COUNT; i++) {
        tp_put_u32(p + 4u * i, m->v[i]);
    }
    return STATS_LEN;
}

int8_t tp_unpack_stats(const uint8_t *p, uint16_t len, tp_stats_t *m)
{
    uint8_t i;
    if (len != STATS_LEN) {
        return -1;
    }
    for (i = 0; i < (uint8_t)TP_STAT_COUNT; i++) {
        m->v[i] = tp_get_u32(p + 4u * i);
    }
    return 0;
}

uint16_t tp_pack_log(const tp_log_t *m, uint8_t *p, uint16_t cap)
{
    uint16_t n = (uint16_t)(1u + m->len);
    if (m->len > TP_MAX_LOG_TEXT || cap < n) {
        return 0u;
    }
    p[0] = m->level;
    copy_bytes(p + 1, (const uint8_t *)m->text, m->len);
    return n;
}

int8_t tp_unpack_log(const uint8_t *p, uint16_t len, tp_log_t *m)
{
    if (len < 1u || len > 1u + TP_MAX_LOG_TEXT || p[0] > 3u) {
        return -1;
    }
    m->level = p[0];
    m->len = (uint16_t)(len - 1u);
    copy_bytes((uint8_t *)m->text, p + 1, m->len);
    return 0;
}

uint16_t tp_pack_error(const tp_error_t *m, uint8_t *p, uint16_t cap)
{
    uint16_t n = (uint16_t)(2u + m->len);
    if (m->len > TP_MAX_ERROR_TEXT || cap < n) {
        return 0u;
    }
    tp_put_u16(p, m->code);
    copy_bytes(p + 2, (const uint8_t *)m->text, m->len);
    return n;
}

int8_t tp_unpack_error(const uint8_t *p, uint16_t len, tp_error_t *m)
{
    if (len < 2u || len > 2u + TP_MAX_ERROR_TEXT) {
        return -1;
    }
    m->code = tp_get_u16(p);
    m->len = (uint16_t)(len - 2u);
    copy_bytes((uint8_t *)m->text, p + 2, m->len);
    return 0;
}
