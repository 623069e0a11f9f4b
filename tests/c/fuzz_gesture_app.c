/* libFuzzer harness for the gesture app's handling of host bytes (device/app/gesture_app.c
 * with tp_sensor.c, the protocol and the DSP): the input is what the host sends over the
 * serial link; the app's main loop runs on it until the input is used up and a few loop turns
 * more (so a started capture streams some sweeps). Properties checked for any input:
 *   - the app never exits (an init failure aside) and never trips a sanitizer;
 *   - everything it sends decodes as valid frames (verdict OK), numbered in sequence.
 * gesture_app.c is included so the harness can rename its main and clear its state between
 * inputs. Built by tests/device/test_fuzz_c.py with the generated model and headers of a small
 * float gesture model (host/gesture_fw.py) and clang-14 -fsanitize=fuzzer,address,undefined. */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#define main tp_gesture_app_main
#include "gesture_app.c"
#undef main

#define CHECK(cond) do { if (!(cond)) { __builtin_trap(); } } while (0)
#define TURNS_AFTER_INPUT 8u /* loop turns after the last byte: some capture sweeps */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jmp_buf s_done;
static const uint8_t *s_in;
static size_t s_in_len, s_in_pos;
static uint32_t s_idle_turns;
static tp_frame_decoder_t s_out_dec;
static uint16_t s_out_seq;
static uint8_t s_out_any;
static uint32_t s_out_writes; /* the app writes one whole frame per call */

void tp_board_init(void)
{
}

uint32_t tp_board_counter(void)
{
    return 0u;
}

int32_t tp_board_read_file(const char *name, uint32_t offset, void *buf, uint32_t size)
{
    (void)name, (void)offset, (void)buf, (void)size;
    return -1;
}

int32_t tp_board_write_file(const char *name, const void *buf, uint32_t size, int32_t append)
{
    (void)name, (void)buf, (void)size, (void)append;
    return -1;
}

void tp_board_serial_write(const uint8_t *bytes, uint32_t n)
{
    tp_frame_t f;
    s_out_writes++;
    for (uint32_t i = 0; i < n; ++i) {
        const tp_verdict_t v = tp_frame_decoder_push(&s_out_dec, bytes[i], &f);
        CHECK(v == TP_VERDICT_PENDING || v == TP_VERDICT_OK);
        if (v == TP_VERDICT_OK) {
            CHECK(!s_out_any || f.seq == (uint16_t)(s_out_seq + 1u));
            s_out_seq = f.seq;
            s_out_any = 1u;
        }
    }
}

int32_t tp_board_serial_read(void)
{
    if (s_in_pos < s_in_len) {
        return s_in[s_in_pos++];
    }
    if (++s_idle_turns > TURNS_AFTER_INPUT) {
        longjmp(s_done, 1);
    }
    return -1;
}

void tp_board_puts(const char *text)
{
    (void)text;
}

void tp_board_exit(int32_t code)
{
    CHECK(code == 0); /* the app exits only when its model cannot start */
}

/* Every piece of app state a previous input may have changed. */
static void reset_app(void)
{
    s_tx_seq = 0u;
    s_sent_any = 0u;
    s_tx_frames = s_tx_dropped = s_payload_errors = 0u;
    s_capture_src = NULL;
    s_capture_left = 0u;
    s_capture_classify = 0u;
    s_sweeps = s_results = s_deadline_misses = 0u;
    s_prof_index = s_prof_pre = s_prof_inf = 0u;
    for (uint32_t k = 0; k < TP_MODEL_NUM_STEPS; ++k) {
        s_prof_steps[k] = 0u;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reset_app();
    s_in = data;
    s_in_len = size;
    s_in_pos = 0u;
    s_idle_turns = 0u;
    tp_frame_decoder_init(&s_out_dec);
    s_out_any = 0u;
    s_out_writes = 0u;
    if (setjmp(s_done) == 0) {
        (void)tp_gesture_app_main();
    }
    CHECK(s_out_dec.counts[TP_VERDICT_OK] == s_out_writes);
    return 0;
}
