/* libFuzzer harness for device/protocol/tp_seq.c: the data-frame sequence judge and the
 * command-retry filter, driven as device/app/gesture_app.c drives them (handle_frame and
 * handle_command). The input is a list of 4-byte frame headers: seq (little-endian), flags,
 * type. Properties checked for any input:
 *   - a data frame is delivered at most once between SYNCs: the numbers delivered since the
 *     last SYNC strictly increase (modulo 2^16, within half the number space);
 *   - gaps and duplicates count exactly the frames skipped and the frames dropped;
 *   - a command is executed at most once per (seq, type): a retry is answered with the
 *     remembered reply and never executed again.
 * Built by tests/device/test_fuzz_c.py with clang-14 -fsanitize=fuzzer,address,undefined. */
#include <stddef.h>
#include <stdint.h>

#include "tp_frame.h"
#include "tp_seq.h"

#define CHECK(cond) do { if (!(cond)) { __builtin_trap(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_seq_t s;
    tp_cmd_filter_t f;
    uint32_t gaps = 0u, dropped = 0u;
    uint16_t last = 0u;
    uint8_t delivered = 0u;
    size_t i;

    tp_seq_init(&s);
    tp_cmd_filter_init(&f);
    for (i = 0; i + 4u <= size; i += 4u) {
        const uint16_t seq = (uint16_t)(data[i] | (data[i + 1u] << 8));
        const uint8_t sync = (uint8_t)(data[i + 2u] & TP_FLAG_SYNC);
        const uint8_t type = data[i + 3u];
        const uint8_t was_valid = s.valid;
        const uint16_t was_last = s.last;
        const tp_seq_class_t c = tp_seq_classify(&s, seq, sync);

        CHECK(c == TP_SEQ_NEW || c == TP_SEQ_DUPLICATE || c == TP_SEQ_STALE);
        CHECK(s.valid == 1u);
        if (c == TP_SEQ_NEW) {
            const uint16_t delta = (uint16_t)(seq - was_last);
            CHECK(s.last == seq);
            if (was_valid && !(sync && seq != was_last)) {
                /* Delivered in order: ahead of the last one, by less than half the space. */
                CHECK(delta != 0u && delta < 0x8000u);
                CHECK(!delivered || (uint16_t)(seq - last) == delta);
                gaps += (uint32_t)(delta - 1u);
            }
            last = seq;
            delivered = 1u;
        } else {
            CHECK(was_valid && s.last == was_last);
            CHECK(c != TP_SEQ_DUPLICATE || seq == was_last);
            CHECK(c != TP_SEQ_STALE || (uint16_t)(seq - was_last) >= 0x8000u);
            dropped++;
        }
        CHECK(s.gaps == gaps && s.duplicates == dropped);

        if (tp_is_command(type)) {
            const tp_cmd_filter_t before = f;
            if (tp_cmd_is_retry(&f, seq, type)) {
                CHECK(before.valid && before.seq == seq && before.type == type);
                CHECK(f.reply_type == TP_MSG_ACK || f.reply_type == TP_MSG_NACK);
            } else {
                /* Executed: never the command executed just before (that is a retry). */
                CHECK(!before.valid || before.seq != seq || before.type != type);
                const uint8_t reason = (uint8_t)(data[i + 2u] >> 1);
                tp_cmd_executed(&f, seq, type, reason ? TP_MSG_NACK : TP_MSG_ACK, reason);
                CHECK(tp_cmd_is_retry(&f, seq, type));
            }
        }
    }
    return 0;
}
