/* Runs device/protocol against the test vectors. Reads one vector per line on stdin (written
 * by tests/device/test_protocol_c.py from tests/vectors/protocol_vectors.json) and prints what the C
 * codec makes of it, one line per vector; the Python test compares with the expected values.
 *
 *   C <hex>          CRC-16 of the bytes               -> C <crc>
 *   B <hex>          COBS encode, then decode          -> B <encoded> <decoded|ERR>
 *   F <hex>          feed wire bytes to the decoder    -> F <verdicts> [<type> <seq> <flags> <payload> <re-encoded wire>]
 *   S <hex>          feed a stream                     -> S <seqs of OK frames> <count per verdict>
 *   M <type> <hex>   unpack a payload, then repack     -> M OK <fields> <repacked> | M BAD
 *   R <type> <hex>   the same for a whole INFO or STATS record (their frames carry pages)
 *   Q <seq>:<sync>,...  sequence tracking              -> Q <classes> <gaps> <duplicates>
 * An empty byte string is written "-".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_cobs.h"
#include "tp_crc16.h"
#include "tp_frame.h"
#include "tp_messages.h"
#include "tp_seq.h"

#define MAX_LINE 32768
#define MAX_BYTES (MAX_LINE / 2)

static char line[MAX_LINE];
static uint8_t bytes[MAX_BYTES];
static uint8_t out[MAX_BYTES];

static int parse_hex(const char *s, uint8_t *dst, int cap)
{
    int n = 0;
    if (strcmp(s, "-") == 0) {
        return 0;
    }
    while (s[0] && s[1]) {
        unsigned v;
        if (n >= cap || sscanf(s, "%2x", &v) != 1) {
            return -1;
        }
        dst[n++] = (uint8_t)v;
        s += 2;
    }
    return s[0] ? -1 : n;
}

static void print_hex(const uint8_t *p, int n)
{
    int i;
    if (n == 0) {
        printf("-");
    }
    for (i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

static void field_u(const char *name, unsigned long v)
{
    printf(" %s=%lu", name, v);
}

static void field_hex(const char *name, const void *p, int n)
{
    printf(" %s=", name);
    print_hex((const uint8_t *)p, n);
}

static void field_list(const char *name, const long *v, int n)
{
    int i;
    printf(" %s=", name);
    if (n == 0) {
        printf("-");
    }
    for (i = 0; i < n; i++) {
        printf(i ? ",%ld" : "%ld", v[i]);
    }
}

/* Unpack, print the fields in the order of sdk/protocol/messages.py (records: records.py),
 * repack. The record types are INFO and STATS; every other type is unpacked as a message. */
static void do_message(int type, const uint8_t *p, int n, int record)
{
    uint8_t re[TP_FRAME_MAX_PAYLOAD];
    uint16_t rn = 0;
    long list[2 * TP_MAX_DEPTHS];
    int i;
    int8_t rc = -1;
    static tp_info_t info;
    static tp_sweep_t sweep;
    static tp_result_t result;
    static tp_profile_t profile;
    static tp_stats_t stats;
    static tp_log_t log;
    static tp_error_t err;
    static tp_page_t page;
    tp_get_page_t gpage;
    tp_get_profile_t gp;
    tp_capture_start_t cs;
    tp_ack_t ack;
    tp_nack_t nack;
    uint16_t len = (uint16_t)n;

    const char kind = record ? 'R' : 'M';
    if (!record && (type == TP_MSG_INFO || type == TP_MSG_STATS)) {
        type = -type; /* a page of the record */
    }
    switch (type) {
    case TP_MSG_RESET_STATS: case TP_MSG_CAPTURE_STOP:
        rc = tp_unpack_empty(p, len);
        break;
    case TP_MSG_HELLO: case TP_MSG_GET_STATS: rc = tp_unpack_get_page(p, len, &gpage); break;
    case -TP_MSG_INFO: case -TP_MSG_STATS: rc = tp_unpack_page(p, len, &page); break;
    case TP_MSG_GET_PROFILE: rc = tp_unpack_get_profile(p, len, &gp); break;
    case TP_MSG_CAPTURE_START: rc = tp_unpack_capture_start(p, len, &cs); break;
    case TP_MSG_ACK: rc = tp_unpack_ack(p, len, &ack); break;
    case TP_MSG_NACK: rc = tp_unpack_nack(p, len, &nack); break;
    case TP_MSG_INFO: rc = tp_unpack_info(p, len, &info); break;
    case TP_MSG_SWEEP: rc = tp_unpack_sweep(p, len, &sweep); break;
    case TP_MSG_RESULT: rc = tp_unpack_result(p, len, &result); break;
    case TP_MSG_PROFILE: rc = tp_unpack_profile(p, len, &profile); break;
    case TP_MSG_STATS: rc = tp_unpack_stats(p, len, &stats); break;
    case TP_MSG_LOG: rc = tp_unpack_log(p, len, &log); break;
    case TP_MSG_ERROR: rc = tp_unpack_error(p, len, &err); break;
    default: break;
    }
    if (rc != 0) {
        printf("%c BAD\n", kind);
        return;
    }
    printf("%c OK", kind);
    switch (type) {
    case TP_MSG_HELLO: case TP_MSG_GET_STATS:
        field_u("offset", gpage.offset);
        rn = tp_pack_get_page(&gpage, re, sizeof re);
        break;
    case -TP_MSG_INFO: case -TP_MSG_STATS:
        field_u("offset", page.offset);
        field_u("total", page.total);
        field_hex("data", page.data, page.n);
        rn = tp_pack_page(&page, re, sizeof re);
        break;
    case TP_MSG_GET_PROFILE:
        field_u("first_step", gp.first_step);
        rn = tp_pack_get_profile(&gp, re, sizeof re);
        break;
    case TP_MSG_CAPTURE_START:
        field_u("n_sweeps", cs.n_sweeps);
        field_u("flags", cs.flags);
        rn = tp_pack_capture_start(&cs, re, sizeof re);
        break;
    case TP_MSG_ACK:
        field_u("acked_seq", ack.acked_seq);
        field_u("acked_type", ack.acked_type);
        rn = tp_pack_ack(&ack, re, sizeof re);
        break;
    case TP_MSG_NACK:
        field_u("acked_seq", nack.acked_seq);
        field_u("acked_type", nack.acked_type);
        field_u("reason", nack.reason);
        rn = tp_pack_nack(&nack, re, sizeof re);
        break;
    case TP_MSG_INFO:
        field_u("protocol_version", info.protocol_version);
        field_u("fw_major", info.fw_major);
        field_u("fw_minor", info.fw_minor);
        field_u("fw_patch", info.fw_patch);
        field_u("clock_hz", info.clock_hz);
        field_u("counter_unit", info.counter_unit);
        field_u("deadline_budget", info.deadline_budget);
        field_hex("model_hash", info.model_hash, 8);
        field_u("n_classes", info.n_classes);
        field_u("start_mm", info.start_mm);
        field_u("step_um", info.step_um);
        field_u("n_depths", info.n_depths);
        field_u("sweep_rate_mhz", info.sweep_rate_mhz);
        field_u("frame_sweeps", info.frame_sweeps);
        field_u("flash_used", info.flash_used);
        field_u("ram_used", info.ram_used);
        field_u("capabilities", info.capabilities);
        field_hex("board", info.board, info.board_len);
        if ((int)strlen(info.board) != info.board_len) {
            printf(" board_not_terminated");
        }
        rn = tp_pack_info(&info, re, sizeof re);
        break;
    case TP_MSG_SWEEP:
        field_u("sweep_index", sweep.sweep_index);
        for (i = 0; i < 2 * sweep.n_depths; i++) {
            list[i] = sweep.iq[i];
        }
        field_list("iq", list, 2 * sweep.n_depths);
        rn = tp_pack_sweep(&sweep, re, sizeof re);
        break;
    case TP_MSG_RESULT:
        field_u("sweep_index", result.sweep_index);
        field_u("frame_class", result.frame_class);
        field_u("event", result.event);
        field_u("flags", result.flags);
        field_u("work", result.work);
        for (i = 0; i < result.n_scores; i++) {
            list[i] = result.scores[i];
        }
        field_list("scores", list, result.n_scores);
        rn = tp_pack_result(&result, re, sizeof re);
        break;
    case TP_MSG_PROFILE:
        field_u("sweep_index", profile.sweep_index);
        field_u("unit", profile.unit);
        field_u("preprocess", profile.preprocess);
        field_u("inference", profile.inference);
        field_u("total_steps", profile.total_steps);
        field_u("first_step", profile.first_step);
        for (i = 0; i < profile.n_steps; i++) {
            list[i] = (long)profile.steps[i];
        }
        field_list("steps", list, profile.n_steps);
        rn = tp_pack_profile(&profile, re, sizeof re);
        break;
    case TP_MSG_STATS: {
        static const char *names[TP_STAT_COUNT] = {
            "rx_frames", "tx_frames", "cobs_errors", "oversize_errors", "short_errors",
            "crc_errors", "version_errors", "length_errors", "type_errors", "payload_errors",
            "seq_gaps", "duplicates", "sweeps", "results", "deadline_misses", "tx_dropped"};
        for (i = 0; i < TP_STAT_COUNT; i++) {
            field_u(names[i], stats.v[i]);
        }
        rn = tp_pack_stats(&stats, re, sizeof re);
        break;
    }
    case TP_MSG_LOG:
        field_u("level", log.level);
        field_hex("text", log.text, log.len);
        rn = tp_pack_log(&log, re, sizeof re);
        break;
    case TP_MSG_ERROR:
        field_u("code", err.code);
        field_hex("text", err.text, err.len);
        rn = tp_pack_error(&err, re, sizeof re);
        break;
    default:
        printf(" -");
        break;
    }
    printf(" ");
    print_hex(re, rn);
    printf("\n");
}

static void do_frame(const uint8_t *p, int n, int stream)
{
    static tp_frame_decoder_t dec;
    tp_frame_t f;
    tp_frame_t last;
    int i;
    int first = 1;
    int found = 0;
    tp_frame_decoder_init(&dec);
    printf(stream ? "S " : "F ");
    for (i = 0; i < n; i++) {
        tp_verdict_t v = tp_frame_decoder_push(&dec, p[i], &f);
        if (v == TP_VERDICT_PENDING) {
            continue;
        }
        if (stream) {
            if (v == TP_VERDICT_OK) {
                printf(first ? "%u" : ",%u", f.seq);
                first = 0;
            }
        } else {
            printf(first ? "%d" : ",%d", (int)v);
            first = 0;
        }
        if (v == TP_VERDICT_OK) {
            /* Copy the payload out: the decoder reuses its buffer for the next frame. */
            memcpy(out, f.payload, f.len);
            last = f;
            last.payload = out;
            found = 1;
        }
    }
    if (first) {
        printf("-");
    }
    if (stream) {
        for (i = 0; i < TP_VERDICT_COUNT; i++) {
            printf(i ? ",%lu" : " %lu", (unsigned long)dec.counts[i]);
        }
    } else if (found) {
        uint8_t wire[TP_FRAME_MAX_WIRE];
        uint16_t wn = tp_frame_encode(last.type, last.flags, last.seq, last.payload, last.len,
                                      wire, sizeof wire);
        printf(" %u %u %u ", last.type, last.seq, last.flags);
        print_hex(last.payload, last.len);
        printf(" ");
        print_hex(wire, wn);
    }
    printf("\n");
}

static void do_cobs(const uint8_t *p, int n)
{
    tp_cobs_enc_t enc;
    tp_cobs_dec_t dec;
    uint16_t en;
    int dn = 0;
    int i;
    tp_cobs_enc_init(&enc, out, (uint16_t)sizeof out);
    for (i = 0; i < n; i++) {
        tp_cobs_enc_push(&enc, p[i]);
    }
    en = tp_cobs_enc_finish(&enc);
    printf("B ");
    print_hex(out, en);
    tp_cobs_dec_init(&dec);
    for (i = 0; i < en; i++) {
        uint8_t b;
        if (tp_cobs_dec_push(&dec, out[i], &b)) {
            bytes[dn++] = b;
        }
    }
    printf(" ");
    if (tp_cobs_dec_end(&dec)) {
        print_hex(bytes, dn);
    } else {
        printf("ERR");
    }
    printf("\n");
}

static void do_sequence(char *s)
{
    static const char *names[] = {"new", "duplicate", "stale"};
    tp_seq_t seq;
    char *tok;
    int first = 1;
    tp_seq_init(&seq);
    printf("Q ");
    for (tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        unsigned v;
        unsigned sync;
        if (sscanf(tok, "%u:%u", &v, &sync) != 2) {
            printf("PARSE");
            break;
        }
        printf(first ? "%s" : ",%s", names[tp_seq_classify(&seq, (uint16_t)v, (uint8_t)sync)]);
        first = 0;
    }
    printf(" %lu %lu\n", (unsigned long)seq.gaps, (unsigned long)seq.duplicates);
}

int main(void)
{
    while (fgets(line, sizeof line, stdin)) {
        char kind;
        char arg[MAX_LINE];
        int type;
        int n;
        line[strcspn(line, "\n")] = '\0';
        kind = line[0];
        if (kind == 'M' || kind == 'R') {
            if (sscanf(line + 2, "%d %s", &type, arg) != 2 ||
                (n = parse_hex(arg, bytes, MAX_BYTES)) < 0) {
                printf("PARSE\n");
                continue;
            }
            do_message(type, bytes, n, kind == 'R');
            continue;
        }
        if (kind == 'Q') {
            do_sequence(line + 2);
            continue;
        }
        if (sscanf(line + 2, "%s", arg) != 1 || (n = parse_hex(arg, bytes, MAX_BYTES)) < 0) {
            printf("PARSE\n");
            continue;
        }
        switch (kind) {
        case 'C': printf("C %u\n", tp_crc16(TP_CRC16_INIT, bytes, (uint16_t)n)); break;
        case 'B': do_cobs(bytes, n); break;
        case 'F': do_frame(bytes, n, 0); break;
        case 'S': do_frame(bytes, n, 1); break;
        default: printf("PARSE\n"); break;
        }
    }
    return 0;
}
