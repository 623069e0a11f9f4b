/* libFuzzer harness for device/protocol: the streaming frame decoder, every payload unpacker,
 * and two properties that must hold for any input:
 *   - a payload that unpacks packs back to the same bytes (INFO and STATS bytes both as a
 *     page and as the whole record the pages carry);
 *   - any payload of at most 256 bytes, encoded as a frame, decodes to itself.
 * Built by tests/device/test_fuzz_c.py with clang-14 -fsanitize=fuzzer,address,undefined. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tp_frame.h"
#include "tp_messages.h"
#include "tp_seq.h"

#define CHECK(cond) do { if (!(cond)) { __builtin_trap(); } } while (0)

static void round_trip(uint8_t type, const uint8_t *p, uint16_t len)
{
    uint8_t re[TP_FRAME_MAX_PAYLOAD];
    uint8_t re2[TP_FRAME_MAX_PAYLOAD];
    uint16_t n = 0;
    int8_t rc = -1;
    tp_get_profile_t gp;
    tp_capture_start_t cs;
    tp_ack_t ack;
    tp_nack_t nack;
    tp_info_t info;
    tp_get_page_t gpage;
    tp_page_t page;
    tp_sweep_t sweep;
    tp_result_t result;
    tp_profile_t profile;
    tp_stats_t stats;
    tp_log_t log;
    tp_error_t err;

    switch (type) {
    case TP_MSG_RESET_STATS: case TP_MSG_CAPTURE_STOP:
        rc = tp_unpack_empty(p, len);
        break;
    case TP_MSG_HELLO: case TP_MSG_GET_STATS:
        if ((rc = tp_unpack_get_page(p, len, &gpage)) == 0) n = tp_pack_get_page(&gpage, re, sizeof re);
        break;
    case TP_MSG_GET_PROFILE:
        if ((rc = tp_unpack_get_profile(p, len, &gp)) == 0) n = tp_pack_get_profile(&gp, re, sizeof re);
        break;
    case TP_MSG_CAPTURE_START:
        if ((rc = tp_unpack_capture_start(p, len, &cs)) == 0) n = tp_pack_capture_start(&cs, re, sizeof re);
        break;
    case TP_MSG_ACK:
        if ((rc = tp_unpack_ack(p, len, &ack)) == 0) n = tp_pack_ack(&ack, re, sizeof re);
        break;
    case TP_MSG_NACK:
        if ((rc = tp_unpack_nack(p, len, &nack)) == 0) n = tp_pack_nack(&nack, re, sizeof re);
        break;
    case TP_MSG_INFO:
        if ((rc = tp_unpack_page(p, len, &page)) == 0) n = tp_pack_page(&page, re, sizeof re);
        /* The same bytes as a whole INFO record (what the pages carry). */
        if (tp_unpack_info(p, len, &info) == 0) {
            CHECK(tp_pack_info(&info, re2, sizeof re2) == len && memcmp(re2, p, len) == 0);
        }
        break;
    case TP_MSG_SWEEP:
        if ((rc = tp_unpack_sweep(p, len, &sweep)) == 0) n = tp_pack_sweep(&sweep, re, sizeof re);
        break;
    case TP_MSG_RESULT:
        if ((rc = tp_unpack_result(p, len, &result)) == 0) n = tp_pack_result(&result, re, sizeof re);
        break;
    case TP_MSG_PROFILE:
        if ((rc = tp_unpack_profile(p, len, &profile)) == 0) n = tp_pack_profile(&profile, re, sizeof re);
        break;
    case TP_MSG_STATS:
        if ((rc = tp_unpack_page(p, len, &page)) == 0) n = tp_pack_page(&page, re, sizeof re);
        if (tp_unpack_stats(p, len, &stats) == 0) {
            CHECK(tp_pack_stats(&stats, re2, sizeof re2) == len && memcmp(re2, p, len) == 0);
        }
        break;
    case TP_MSG_LOG:
        if ((rc = tp_unpack_log(p, len, &log)) == 0) n = tp_pack_log(&log, re, sizeof re);
        break;
    case TP_MSG_ERROR:
        if ((rc = tp_unpack_error(p, len, &err)) == 0) n = tp_pack_error(&err, re, sizeof re);
        break;
    default:
        return;
    }
    if (rc == 0) {
        CHECK(n == len);
        CHECK(len == 0 || memcmp(re, p, len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tp_frame_decoder_t dec;
    static tp_seq_t seq;
    static uint8_t wire[TP_FRAME_MAX_WIRE];
    tp_frame_t frame;
    size_t i;
    uint32_t judged = 0;
    uint16_t n;

    /* The whole input as a received byte stream. */
    tp_frame_decoder_init(&dec);
    tp_seq_init(&seq);
    for (i = 0; i < size; i++) {
        tp_verdict_t v = tp_frame_decoder_push(&dec, data[i], &frame);
        if (v == TP_VERDICT_PENDING) {
            continue;
        }
        CHECK(v < TP_VERDICT_COUNT);
        judged++;
        if (v == TP_VERDICT_OK) {
            CHECK(frame.len <= TP_FRAME_MAX_PAYLOAD);
            (void)tp_seq_classify(&seq, frame.seq, (uint8_t)(frame.flags & TP_FLAG_SYNC));
            round_trip(frame.type, frame.payload, frame.len);
        }
    }
    for (i = 0; i < TP_VERDICT_COUNT; i++) {
        judged -= dec.counts[i];
    }
    CHECK(judged == 0);

    /* The input as a type byte and a payload, unpacked directly and framed. */
    if (size >= 1 && size - 1 <= TP_FRAME_MAX_PAYLOAD) {
        uint16_t len = (uint16_t)(size - 1);
        round_trip(data[0], data + 1, len);
        n = tp_frame_encode(data[0], 0, 0x1234, data + 1, len, wire, sizeof wire);
        CHECK(n > 0 && n <= TP_FRAME_MAX_WIRE && wire[n - 1] == 0);
        tp_frame_decoder_init(&dec);
        for (i = 0; i < n; i++) {
            tp_verdict_t v = tp_frame_decoder_push(&dec, wire[i], &frame);
            CHECK(i + 1 == n || v == TP_VERDICT_PENDING);
            if (i + 1 == n) {
                CHECK(v == (tp_is_known_type(data[0]) ? TP_VERDICT_OK : TP_VERDICT_TYPE));
                if (v == TP_VERDICT_OK) {
                    CHECK(frame.type == data[0] && frame.seq == 0x1234 && frame.len == len);
                    CHECK(len == 0 || memcmp(frame.payload, data + 1, len) == 0);
                }
            }
        }
    }
    return 0;
}
