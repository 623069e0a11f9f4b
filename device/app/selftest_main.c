/* MSP430 self-test: the protocol codec (device/protocol) against the test vectors, and the q15
 * radar preprocessing (device/dsp) on simulated sweeps, on the board (built and run by
 * host/msp430_selftest.py; the headers it includes are generated there).
 *
 * Protocol: every CRC and COBS vector; every frame vector fed byte by byte through the
 * streaming decoder (exactly one verdict, the expected one; for valid frames the header
 * fields, the payload, every decoded message field, the repacked payload and the re-encoded
 * wire bytes); every malformed payload refused by its unpacker; the streams (delivered
 * sequence numbers and the decoder's counts per verdict); sequence tracking.
 * Preprocessing: every sweep pushed through tp_dsp_q15_push (ring and frame in FRAM), each
 * frame appended to the host file "frames.bin", a counter reading before and after each push.
 *
 * Prints the pass/fail counts and exits with the number of failures (0: all passed).
 */
#include <stdint.h>

#include "tp_board.h"
#include "tp_cobs.h"
#include "tp_crc16.h"
#include "tp_dsp.h"
#include "tp_frame.h"
#include "tp_messages.h"
#include "tp_seq.h"

typedef struct {
    uint16_t off, len, crc;
} st_crc_vec;

typedef struct {
    uint16_t off, len, enc_off, enc_len;
} st_cobs_vec;

typedef struct {
    uint16_t off, len;
    uint8_t verdict, type, flags;
    uint16_t seq, payload_off, payload_len, fields_off, fields_len;
} st_frame_vec;

typedef struct {
    uint8_t type;
    uint16_t off, len;
} st_bad_vec;

typedef struct {
    uint16_t off, len, seqs_off, n_seqs, counts_off;
} st_stream_vec;

typedef struct {
    uint16_t events_off, n;
    uint32_t gaps, duplicates;
} st_seq_vec;

#include "selftest_sweeps.h"
#include "selftest_vectors.h"

#if ST_N_DEPTHS != TP_DSP_DEPTHS_IN
#error "selftest_sweeps.h and the DSP tables disagree on the depths per sweep"
#endif

/* Counter readings: protocol start and end, before and after every push, then two back to
 * back (the cost of one call). Read back by the host from this symbol. */
#define ST_N_MARKS (2u + 2u * ST_N_SWEEPS + 2u)
uint32_t tp_selftest_marks[ST_N_MARKS];

static uint16_t s_checks;
static uint16_t s_failures;

/* The decoder, the message being checked and a work buffer: 1.1 kB of the 2 kB SRAM. */
static tp_frame_decoder_t s_dec;
static uint8_t s_work[TP_FRAME_MAX_WIRE];
static union {
    tp_get_profile_t gp;
    tp_capture_start_t cs;
    tp_ack_t ack;
    tp_nack_t nack;
    tp_get_page_t gpage;
    tp_page_t page;
    tp_sweep_t sweep;
    tp_result_t result;
    tp_profile_t profile;
    tp_log_t log;
    tp_error_t err;
} s_msg;

/* The q15 state (2.4 kB) and frame (1.2 kB) live in FRAM. */
static TP_DSP_FRAM tp_dsp_q15_state s_dsp;
static TP_DSP_FRAM int16_t s_frame[TP_DSP_BINS][TP_DSP_N];

static void put_u16(uint16_t v)
{
    char text[6];
    char *p = &text[5];
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    tp_board_puts(p);
}

/* One check: on failure a line "FAIL <group>[<index>]: <what>". */
static void check(int ok, const char *group, uint16_t index, const char *what)
{
    s_checks++;
    if (ok) {
        return;
    }
    s_failures++;
    tp_board_puts("FAIL ");
    tp_board_puts(group);
    tp_board_puts("[");
    put_u16(index);
    tp_board_puts("]: ");
    tp_board_puts(what);
    tp_board_puts("\n");
}

static int bytes_equal(const uint8_t *a, const uint8_t *b, uint16_t n)
{
    uint16_t i;
    for (i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

/* ---- decoded message fields, in the order host/msp430_selftest.py lists them ---- */

typedef struct {
    const uint32_t *expect;
    uint16_t n;
    uint16_t pos;
    uint8_t bad;
} st_fields;

static void field(st_fields *f, uint32_t v)
{
    if (f->pos >= f->n || f->expect[f->pos] != v) {
        f->bad = 1u;
    }
    f->pos++;
}

static void field_bytes(st_fields *f, const uint8_t *p, uint16_t n, int with_len)
{
    uint16_t i;
    if (with_len) {
        field(f, n);
    }
    for (i = 0; i < n; i++) {
        field(f, p[i]);
    }
}

static void field_i16s(st_fields *f, const int16_t *v, uint16_t n)
{
    uint16_t i;
    field(f, n);
    for (i = 0; i < n; i++) {
        field(f, (uint32_t)(int32_t)v[i]);
    }
}

static int is_empty_type(uint8_t type)
{
    return type == TP_MSG_RESET_STATS || type == TP_MSG_CAPTURE_STOP;
}

static int8_t unpack(uint8_t type, const uint8_t *p, uint16_t len)
{
    if (is_empty_type(type)) {
        return tp_unpack_empty(p, len);
    }
    switch (type) {
    case TP_MSG_GET_PROFILE: return tp_unpack_get_profile(p, len, &s_msg.gp);
    case TP_MSG_CAPTURE_START: return tp_unpack_capture_start(p, len, &s_msg.cs);
    case TP_MSG_ACK: return tp_unpack_ack(p, len, &s_msg.ack);
    case TP_MSG_NACK: return tp_unpack_nack(p, len, &s_msg.nack);
    case TP_MSG_HELLO: case TP_MSG_GET_STATS: return tp_unpack_get_page(p, len, &s_msg.gpage);
    case TP_MSG_INFO: case TP_MSG_STATS: return tp_unpack_page(p, len, &s_msg.page);
    case TP_MSG_SWEEP: return tp_unpack_sweep(p, len, &s_msg.sweep);
    case TP_MSG_RESULT: return tp_unpack_result(p, len, &s_msg.result);
    case TP_MSG_PROFILE: return tp_unpack_profile(p, len, &s_msg.profile);
    case TP_MSG_LOG: return tp_unpack_log(p, len, &s_msg.log);
    case TP_MSG_ERROR: return tp_unpack_error(p, len, &s_msg.err);
    default: return -1;
    }
}

/* List the unpacked message's fields into f and repack it into s_work; returns its length. */
static uint16_t fields_and_repack(uint8_t type, st_fields *f)
{
    uint16_t i;
    const uint16_t cap = (uint16_t)sizeof s_work;
    switch (type) {
    case TP_MSG_GET_PROFILE:
        field(f, s_msg.gp.first_step);
        return tp_pack_get_profile(&s_msg.gp, s_work, cap);
    case TP_MSG_CAPTURE_START:
        field(f, s_msg.cs.n_sweeps);
        field(f, s_msg.cs.flags);
        return tp_pack_capture_start(&s_msg.cs, s_work, cap);
    case TP_MSG_ACK:
        field(f, s_msg.ack.acked_seq);
        field(f, s_msg.ack.acked_type);
        return tp_pack_ack(&s_msg.ack, s_work, cap);
    case TP_MSG_NACK:
        field(f, s_msg.nack.acked_seq);
        field(f, s_msg.nack.acked_type);
        field(f, s_msg.nack.reason);
        return tp_pack_nack(&s_msg.nack, s_work, cap);
    case TP_MSG_HELLO:
    case TP_MSG_GET_STATS:
        field(f, s_msg.gpage.offset);
        return tp_pack_get_page(&s_msg.gpage, s_work, cap);
    case TP_MSG_INFO:
    case TP_MSG_STATS:
        field(f, s_msg.page.offset);
        field(f, s_msg.page.total);
        field_bytes(f, s_msg.page.data, s_msg.page.n, 1);
        return tp_pack_page(&s_msg.page, s_work, cap);
    case TP_MSG_SWEEP:
        field(f, s_msg.sweep.sweep_index);
        field_i16s(f, s_msg.sweep.iq, (uint16_t)(2u * s_msg.sweep.n_depths));
        return tp_pack_sweep(&s_msg.sweep, s_work, cap);
    case TP_MSG_RESULT:
        field(f, s_msg.result.sweep_index);
        field(f, s_msg.result.frame_class);
        field(f, s_msg.result.event);
        field(f, s_msg.result.flags);
        field(f, s_msg.result.work);
        field_i16s(f, s_msg.result.scores, s_msg.result.n_scores);
        return tp_pack_result(&s_msg.result, s_work, cap);
    case TP_MSG_PROFILE: {
        const tp_profile_t *m = &s_msg.profile;
        field(f, m->sweep_index);
        field(f, m->unit);
        field(f, m->preprocess);
        field(f, m->inference);
        field(f, m->total_steps);
        field(f, m->first_step);
        field(f, m->n_steps);
        for (i = 0; i < m->n_steps; i++) {
            field(f, m->steps[i]);
        }
        return tp_pack_profile(m, s_work, cap);
    }
    case TP_MSG_LOG:
        field(f, s_msg.log.level);
        field_bytes(f, (const uint8_t *)s_msg.log.text, s_msg.log.len, 1);
        return tp_pack_log(&s_msg.log, s_work, cap);
    case TP_MSG_ERROR:
        field(f, s_msg.err.code);
        field_bytes(f, (const uint8_t *)s_msg.err.text, s_msg.err.len, 1);
        return tp_pack_error(&s_msg.err, s_work, cap);
    default:
        return 0u; /* empty payloads: nothing to list, nothing to pack */
    }
}

/* ---- the protocol vectors ---- */

static void test_crc_and_cobs(void)
{
    uint16_t i, j;
    for (i = 0; i < ST_N_CRC; i++) {
        const st_crc_vec *v = &st_crc[i];
        check(tp_crc16(TP_CRC16_INIT, &st_bytes[v->off], v->len) == v->crc, "crc", i, "value");
    }
    for (i = 0; i < ST_N_COBS; i++) {
        const st_cobs_vec *v = &st_cobs[i];
        tp_cobs_enc_t enc;
        tp_cobs_dec_t dec;
        uint16_t n = 0u;
        uint8_t ok = 1u;
        tp_cobs_enc_init(&enc, s_work, (uint16_t)sizeof s_work);
        for (j = 0; j < v->len; j++) {
            tp_cobs_enc_push(&enc, st_bytes[v->off + j]);
        }
        j = tp_cobs_enc_finish(&enc);
        check(j == v->enc_len && bytes_equal(s_work, &st_bytes[v->enc_off], j), "cobs", i,
              "encoded bytes");
        tp_cobs_dec_init(&dec);
        for (j = 0; j < v->enc_len; j++) {
            uint8_t out;
            if (tp_cobs_dec_push(&dec, st_bytes[v->enc_off + j], &out)) {
                if (n >= v->len || out != st_bytes[v->off + n]) {
                    ok = 0u;
                }
                n++;
            }
        }
        check(ok && n == v->len && tp_cobs_dec_end(&dec) == 1u, "cobs", i, "decoded bytes");
    }
}

static void test_frames(void)
{
    uint16_t i, j;
    for (i = 0; i < ST_N_FRAMES; i++) {
        const st_frame_vec *v = &st_frames[i];
        tp_frame_t f;
        uint8_t verdict = TP_VERDICT_PENDING;
        uint16_t verdicts = 0u;
        tp_frame_decoder_init(&s_dec);
        for (j = 0; j < v->len; j++) {
            tp_verdict_t r = tp_frame_decoder_push(&s_dec, st_bytes[v->off + j], &f);
            if (r != TP_VERDICT_PENDING) {
                verdict = (uint8_t)r;
                verdicts++;
            }
        }
        check(verdicts == 1u && verdict == v->verdict, "frames", i, "verdict");
        check(s_dec.counts[v->verdict] == 1u, "frames", i, "verdict count");
        if (verdicts != 1u || verdict != TP_VERDICT_OK || v->verdict != TP_VERDICT_OK) {
            continue;
        }
        check(f.type == v->type && f.flags == v->flags && f.seq == v->seq, "frames", i,
              "header fields");
        check(f.len == v->payload_len &&
              bytes_equal(f.payload, &st_bytes[v->payload_off], v->payload_len),
              "frames", i, "payload");
        j = tp_frame_encode(f.type, f.flags, f.seq, f.payload, f.len, s_work,
                            (uint16_t)sizeof s_work);
        check(j == v->len && bytes_equal(s_work, &st_bytes[v->off], j), "frames", i,
              "re-encoded wire bytes");
        /* The payload sits at an odd address in the decoder's buffer (after the 7-byte
         * header): unpacking it checks that no field is read as a misaligned word. */
        if (unpack(f.type, f.payload, f.len) != 0) {
            check(0, "frames", i, "message unpack");
            continue;
        }
        {
            st_fields fl = {&st_words[v->fields_off], v->fields_len, 0u, 0u};
            uint16_t n = fields_and_repack(f.type, &fl);
            check(!fl.bad && fl.pos == fl.n, "frames", i, "message fields");
            check(n == f.len && bytes_equal(s_work, &st_bytes[v->payload_off], n), "frames", i,
                  "repacked payload");
        }
    }
    for (i = 0; i < ST_N_BAD_PAYLOADS; i++) {
        const st_bad_vec *v = &st_bad[i];
        check(unpack(v->type, &st_bytes[v->off], v->len) == -1, "payload_errors", i,
              "accepted");
    }
}

static void test_streams(void)
{
    uint16_t i, j;
    for (i = 0; i < ST_N_STREAMS; i++) {
        const st_stream_vec *v = &st_streams[i];
        tp_frame_t f;
        uint16_t n_ok = 0u;
        uint8_t ok = 1u;
        tp_frame_decoder_init(&s_dec);
        for (j = 0; j < v->len; j++) {
            if (tp_frame_decoder_push(&s_dec, st_bytes[v->off + j], &f) == TP_VERDICT_OK) {
                if (n_ok >= v->n_seqs || f.seq != st_words[v->seqs_off + n_ok]) {
                    ok = 0u;
                }
                n_ok++;
            }
        }
        check(ok && n_ok == v->n_seqs, "streams", i, "sequence numbers of the OK frames");
        for (j = 0; j < TP_VERDICT_COUNT; j++) {
            if (s_dec.counts[j] != st_words[v->counts_off + j]) {
                ok = 0u;
            }
        }
        check(ok, "streams", i, "counts per verdict");
    }
    for (i = 0; i < ST_N_SEQUENCES; i++) {
        const st_seq_vec *v = &st_seq[i];
        const uint32_t *e = &st_words[v->events_off];
        tp_seq_t s;
        uint8_t ok = 1u;
        tp_seq_init(&s);
        for (j = 0; j < v->n; j++, e += 3) {
            if ((uint32_t)tp_seq_classify(&s, (uint16_t)e[0], (uint8_t)e[1]) != e[2]) {
                ok = 0u;
            }
        }
        check(ok && s.gaps == v->gaps && s.duplicates == v->duplicates, "sequence", i,
              "classes, gaps and duplicates");
    }
}

/* ---- the preprocessing ---- */

static void test_preprocessing(void)
{
    uint16_t i;
    uint16_t frames = 0u;
    tp_dsp_q15_init(&s_dsp);
    for (i = 0; i < ST_N_SWEEPS; i++) {
        int ready;
        tp_selftest_marks[2u + 2u * i] = tp_board_counter();
        ready = tp_dsp_q15_push(&s_dsp, &st_sweeps[2u * ST_N_DEPTHS * i], s_frame);
        tp_selftest_marks[3u + 2u * i] = tp_board_counter();
        check(ready == (i + 1u >= TP_DSP_N), "dsp", i, "frame ready");
        if (ready) {
            check(tp_board_write_file("frames.bin", s_frame, sizeof s_frame, frames > 0u) == 0,
                  "dsp", i, "cannot write frames.bin");
            frames++;
        }
    }
    tp_board_puts("dsp: ");
    put_u16(frames);
    tp_board_puts(" frames of ");
    put_u16(ST_N_SWEEPS);
    tp_board_puts(" sweeps\n");
}

int main(void)
{
    uint16_t protocol_checks;
    uint16_t protocol_failures;
    tp_board_init();
    tp_board_puts("msp430 self-test\n");
    tp_selftest_marks[0] = tp_board_counter();
    test_crc_and_cobs();
    test_frames();
    test_streams();
    tp_selftest_marks[1] = tp_board_counter();
    protocol_checks = s_checks;
    protocol_failures = s_failures;
    tp_board_puts("protocol: ");
    put_u16(protocol_checks);
    tp_board_puts(" checks, ");
    put_u16(protocol_failures);
    tp_board_puts(" failures\n");
    test_preprocessing();
    tp_selftest_marks[ST_N_MARKS - 2u] = tp_board_counter();
    tp_selftest_marks[ST_N_MARKS - 1u] = tp_board_counter();
    tp_board_puts("self-test: ");
    put_u16(s_checks);
    tp_board_puts(" checks, ");
    put_u16(s_failures);
    tp_board_puts(" failures\n");
    return (int)s_failures;
}
