/* The real-time gesture app: radar sweeps in, frame classes and gesture events out, over the
 * serial protocol (docs/protocol.md, docs/gestures.md).
 *
 * Per sweep (from the host-fed source, or the board's own source while capturing): the C
 * preprocessing pushes it into the N-sweep ring and, once the ring is full, every hop sweeps
 * (every sweep for the seed's sliding window, once per burst for an A121-style source) writes
 * a frame; the last TP_APP_CONTEXT_FRAMES frames are copied (float model) or quantized (int8
 * model) into the model's input; the model runs; the class with the highest score and its
 * probability x 256 go through the gesture detector (which counts frames); a RESULT reports
 * the sweep. Preprocessing plus inference is measured with the board's counter and judged
 * against the deadline (clock / the model's frame rate, TP_APP_DEADLINE_BUDGET); a miss is
 * counted and flagged, never fatal.
 *
 * A SWEEP with sweep_index 0 starts a new stream: the ring and the detector are cleared, so a
 * host that streams a recording twice gets the same results twice. CAPTURE_START does the same.
 *
 * The preprocessing is the board's (TP_APP_DSP_Q15, board.json "dsp"): float on the Cortex-M,
 * q15 on the MSP430, whose frames reach an int8 model through a 256-entry table
 * (tp_gesture_io.h). The large buffers carry TP_APP_FRAM, which puts them in the MSP430's FRAM
 * (its 2 kB SRAM holds the stack and the small state); each is initialized before it is read.
 *
 * Build-time configuration comes from gesture_config.h and the replay recording from
 * gesture_replay.h, both generated next to model.h by host/gesture_fw.py. Nothing allocates.
 */
#include <stddef.h>
#include <stdint.h>

#include "gesture_config.h"
#include "model.h"
#include "tp_board.h"
#include "tp_dsp.h"
#include "tp_frame.h"
#include "tp_gesture.h"
#include "tp_gesture_io.h"
#include "tp_messages.h"
#include "tp_sensor.h"
#include "tp_seq.h"

#define EXIT_INIT 3
#define MAX_RX_PER_TURN 512u /* bytes handled before a capturing loop sends its next sweep */

#if TP_APP_CONTEXT_FRAMES * TP_DSP_BINS * TP_DSP_N != TP_MODEL_INPUT0_SIZE
#error "the model's input is not TP_APP_CONTEXT_FRAMES preprocessed frames (TP_DSP_BINS x TP_DSP_N)"
#endif
#if TP_APP_N_CLASSES > TP_MAX_CLASSES || TP_APP_N_CLASSES != TP_MODEL_OUTPUT0_SIZE
#error "the model's output is not one score per class (at most TP_MAX_CLASSES)"
#endif
#if TP_APP_N_DEPTHS > TP_MAX_DEPTHS || TP_APP_N_DEPTHS != TP_DSP_DEPTHS_IN
#error "the configured depths are not the DSP tables' input depths"
#endif

/* Boards without a low-power wait leave tp_board_idle out: polling then just spins. */
__attribute__((weak)) void tp_board_idle(void)
{
}

/* INFO's memory figures are the addresses of two absolute symbols that each board's linker
 * script defines from its own section names (the flash or FRAM image, the RAM of statics and
 * stack); weak, so a build without them (the hosted one) reports 0. */
extern uint8_t __tp_flash_used __attribute__((weak));
extern uint8_t __tp_ram_used __attribute__((weak));

static const uint8_t s_model_hash[8] = TP_APP_MODEL_HASH;
static const tp_radar_config_t s_radar = {TP_APP_START_MM, TP_APP_STEP_UM, TP_APP_N_DEPTHS,
                                          TP_APP_SWEEP_RATE_MHZ};

/* Protocol state. */
static TP_APP_FRAM tp_frame_decoder_t s_dec;
static tp_seq_t s_seq;
static tp_cmd_filter_t s_cmd;
static TP_APP_FRAM uint8_t s_payload[TP_FRAME_MAX_PAYLOAD];
static TP_APP_FRAM uint8_t s_wire[TP_FRAME_MAX_WIRE];
static uint16_t s_tx_seq;
static uint8_t s_sent_any;
static uint32_t s_tx_frames, s_tx_dropped, s_payload_errors;

/* Pipeline state: a frame holds q15 (int16) or float values (tp_frame_value_t). */
#if TP_APP_DSP_Q15
static TP_APP_FRAM tp_dsp_q15_state s_dsp;
#define DSP_INIT tp_dsp_q15_init
#else
static tp_dsp_f32_state s_dsp;
static float s_iq_f[2u * TP_APP_N_DEPTHS];
#define DSP_INIT tp_dsp_f32_init
#endif
static TP_APP_FRAM tp_frame_value_t s_frame[TP_DSP_BINS][TP_DSP_N];
static TP_APP_FRAM tp_gesture_context_t s_context;
static TP_APP_FRAM int16_t s_iq[2u * TP_MAX_DEPTHS];
static tp_gesture_t s_gesture;
static tp_sensor_t *s_host_src;
static tp_sensor_t *s_capture_src; /* non-NULL while capturing */
static uint32_t s_capture_left;    /* 0: until CAPTURE_STOP */
static uint8_t s_capture_classify;
static uint32_t s_sweeps, s_results, s_deadline_misses;

/* Profile of the last classified sweep, in counter units. */
static uint32_t s_marks[TP_MODEL_NUM_STEPS + 1];
static uint32_t s_mark_cost;
static uint32_t s_prof_index, s_prof_pre, s_prof_inf;
static uint32_t s_prof_steps[TP_MODEL_NUM_STEPS];

/* The profiling hook model.c calls (compiled with -DTP_PROFILE_HOOK=tp_gesture_mark). */
void tp_gesture_mark(int32_t step);

void tp_gesture_mark(int32_t step)
{
    s_marks[step + 1] = tp_board_counter();
}

/* A counter difference in the unit INFO reports: the qemu_m7 timer ticks 40 ns per tick at
 * 128 ns per instruction, so instructions = ticks * 5 / 16, rounded (docs/measurement.md). */
static uint32_t to_units(uint32_t counts)
{
    const uint64_t scaled = (uint64_t)counts * TP_APP_COUNTER_NUM + TP_APP_COUNTER_DEN / 2u;
    return (uint32_t)(scaled / TP_APP_COUNTER_DEN);
}

/* ---- sending ---- */

static void send(uint8_t type, uint16_t len)
{
    /* SYNC on the first frame after boot and on INFO lets the host track us from scratch. */
    const uint8_t flags = (!s_sent_any || type == TP_MSG_INFO) ? TP_FLAG_SYNC : 0u;
    const uint16_t n = tp_frame_encode(type, flags, (uint16_t)(s_tx_seq + 1u), s_payload, len,
                                       s_wire, (uint16_t)sizeof(s_wire));
    if (n == 0u) {
        s_tx_dropped++;
        return;
    }
    s_tx_seq++;
    s_sent_any = 1u;
    tp_board_serial_write(s_wire, n);
    s_tx_frames++;
}

static uint16_t copy_text(char *dst, uint16_t cap, const char *a, const char *b)
{
    uint16_t n = 0;
    while (a != NULL && *a != '\0' && n < cap) {
        dst[n++] = *a++;
    }
    while (b != NULL && *b != '\0' && n < cap) {
        dst[n++] = *b++;
    }
    return n;
}

static void send_log(uint8_t level, const char *text)
{
    static TP_APP_FRAM tp_log_t log;
    log.level = level;
    log.len = copy_text(log.text, TP_MAX_LOG_TEXT, text, NULL);
    send(TP_MSG_LOG, tp_pack_log(&log, s_payload, (uint16_t)sizeof(s_payload)));
}

static char *put_uint(char *p, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v > 0u);
    while (n > 0) {
        *p++ = digits[--n];
    }
    *p = '\0';
    return p;
}

static void send_error(uint16_t code, const char *text, const char *detail)
{
    static TP_APP_FRAM tp_error_t err;
    err.code = code;
    err.len = copy_text(err.text, TP_MAX_ERROR_TEXT, text, detail);
    send(TP_MSG_ERROR, tp_pack_error(&err, s_payload, (uint16_t)sizeof(s_payload)));
}

static void send_ack(uint16_t seq, uint8_t type, uint8_t reply, uint8_t reason)
{
    if (reply == TP_MSG_ACK) {
        const tp_ack_t ack = {seq, type};
        send(TP_MSG_ACK, tp_pack_ack(&ack, s_payload, (uint16_t)sizeof(s_payload)));
    } else {
        const tp_nack_t nack = {seq, type, reason};
        send(TP_MSG_NACK, tp_pack_nack(&nack, s_payload, (uint16_t)sizeof(s_payload)));
    }
}

/* ---- the pipeline ---- */

static void pipeline_reset(void)
{
    static const tp_gesture_config_t cfg = {TP_APP_G_THRESHOLD, TP_APP_G_CONSECUTIVE,
                                            TP_APP_G_REFRACTORY, TP_APP_G_BACKGROUND};
    DSP_INIT(&s_dsp);
    tp_gesture_init(&s_gesture, &cfg);
    tp_gesture_context_reset(&s_context);
}

static void process_sweep(const int16_t *iq, uint32_t index)
{
    static TP_APP_FRAM tp_result_t res;
    int16_t p256 = 0;
    uint32_t t_pre, t_inf = 0u, units;

    if (index == 0u && s_capture_src == NULL) {
        pipeline_reset(); /* a new host-fed stream */
    }
    const uint32_t t0 = tp_board_counter();
#if TP_APP_DSP_Q15
    const int ready = tp_dsp_q15_push(&s_dsp, iq, s_frame)
                      && tp_gesture_load_input(&s_context, &s_frame[0][0], tp_model_input(0));
#else
    for (uint32_t i = 0; i < 2u * TP_APP_N_DEPTHS; ++i) {
        s_iq_f[i] = (float)iq[i];
    }
    const int ready = tp_dsp_f32_push(&s_dsp, s_iq_f, s_frame)
                      && tp_gesture_load_input(&s_context, &s_frame[0][0], tp_model_input(0));
#endif
    t_pre = tp_board_counter();
    res.sweep_index = index;
    res.frame_class = TP_NONE_CLASS;
    res.n_scores = 0u;
    res.flags = 0u;
    res.event = TP_NONE_CLASS;
    if (ready) {
        if (tp_model_invoke() != TP_MODEL_OK) {
            send_error(TP_ERROR_INTERNAL, "model invoke failed", NULL);
            return;
        }
        t_inf = tp_board_counter();
        res.frame_class = tp_gesture_read_output(tp_model_output(0), res.scores, &p256);
        res.n_scores = TP_APP_N_CLASSES;
        /* The detector counts frames: it steps at the frame rate, not per sweep. */
        res.event = tp_gesture_step(&s_gesture, res.frame_class, p256);
    }
    units = to_units(t_pre - t0);
    if (ready) {
        s_prof_index = index;
        s_prof_pre = units;
        s_prof_inf = to_units(t_inf - t_pre);
        units += s_prof_inf;
        for (uint32_t k = 0; k < TP_MODEL_NUM_STEPS; ++k) {
            const uint32_t u = to_units(s_marks[k + 1] - s_marks[k]);
            s_prof_steps[k] = u > s_mark_cost ? u - s_mark_cost : 0u;
        }
    }
    res.work = units;
    if (TP_APP_DEADLINE_BUDGET != 0u && units > TP_APP_DEADLINE_BUDGET) {
        res.flags |= TP_RESULT_DEADLINE_MISSED;
        s_deadline_misses++;
    }
    s_sweeps++;
    send(TP_MSG_RESULT, tp_pack_result(&res, s_payload, (uint16_t)sizeof(s_payload)));
    s_results++;
}

/* ---- commands ---- */

/* Steps per PROFILE page: a 26-byte payload survives a line with 5 % byte errors often enough
 * for every page to arrive within a command's budget (docs/protocol.md). */
#define PROFILE_PAGE_STEPS 2u

/* Sends the page at the offset a HELLO or GET_STATS asks for of the record rec[0 .. total-1];
 * returns a NACK reason or 0. */
static uint8_t send_page(uint8_t type, const uint8_t *rec, uint16_t total, uint8_t offset)
{
    static TP_APP_FRAM tp_page_t page;
    if (tp_page_of(rec, (uint8_t)total, offset, &page) != 0) {
        return TP_NACK_BAD_PAYLOAD;
    }
    send(type, tp_pack_page(&page, s_payload, (uint16_t)sizeof(s_payload)));
    return 0u;
}

static uint8_t send_info(const tp_frame_t *f)
{
    static TP_APP_FRAM tp_info_t info;
    static TP_APP_FRAM uint8_t rec[45u + TP_MAX_BOARD_NAME];
    tp_get_page_t req;
    if (tp_unpack_get_page(f->payload, f->len, &req) != 0) {
        return TP_NACK_BAD_PAYLOAD;
    }
    const tp_sensor_t *replay = tp_sensor_replay();
    info.protocol_version = TP_PROTO_VERSION;
    info.fw_major = TP_APP_FW_MAJOR;
    info.fw_minor = TP_APP_FW_MINOR;
    info.fw_patch = TP_APP_FW_PATCH;
    info.clock_hz = TP_APP_CLOCK_HZ;
    info.counter_unit = TP_APP_COUNTER_UNIT;
    info.deadline_budget = TP_APP_DEADLINE_BUDGET;
    for (uint32_t i = 0; i < 8u; ++i) {
        info.model_hash[i] = s_model_hash[i];
    }
    info.n_classes = TP_APP_N_CLASSES;
    info.start_mm = s_radar.start_mm;
    info.step_um = s_radar.step_um;
    info.n_depths = s_radar.n_depths;
    info.sweep_rate_mhz = s_radar.sweep_rate_mhz;
    info.frame_sweeps = TP_DSP_N;
    info.flash_used = (uint32_t)(uintptr_t)&__tp_flash_used;
    info.ram_used = (uint32_t)(uintptr_t)&__tp_ram_used;
    info.capabilities = (uint8_t)(0x01u | (replay != NULL ? 0x06u : 0x00u));
    info.board_len = (uint8_t)copy_text(info.board, TP_MAX_BOARD_NAME, TP_APP_BOARD, NULL);
    return send_page(TP_MSG_INFO, rec, tp_pack_info(&info, rec, (uint16_t)sizeof(rec)),
                     req.offset);
}

/* GET_STATS at offset 0 takes the snapshot every page of it comes from (a retry of it does
 * not), so the pages of one reading agree. */
static uint8_t send_stats(const tp_frame_t *f, uint8_t execute)
{
    static TP_APP_FRAM tp_stats_t st;
    static TP_APP_FRAM uint8_t rec[4u * TP_STAT_COUNT];
    static uint16_t rec_len;
    tp_get_page_t req;
    if (tp_unpack_get_page(f->payload, f->len, &req) != 0) {
        return TP_NACK_BAD_PAYLOAD;
    }
    if (rec_len != 0u && !(execute && req.offset == 0u)) {
        return send_page(TP_MSG_STATS, rec, rec_len, req.offset);
    }
    st.v[TP_STAT_RX_FRAMES] = s_dec.counts[TP_VERDICT_OK];
    st.v[TP_STAT_TX_FRAMES] = s_tx_frames + 1u; /* this STATS frame included */
    st.v[TP_STAT_COBS_ERRORS] = s_dec.counts[TP_VERDICT_COBS];
    st.v[TP_STAT_OVERSIZE_ERRORS] = s_dec.counts[TP_VERDICT_OVERSIZE];
    st.v[TP_STAT_SHORT_ERRORS] = s_dec.counts[TP_VERDICT_SHORT];
    st.v[TP_STAT_CRC_ERRORS] = s_dec.counts[TP_VERDICT_CRC];
    st.v[TP_STAT_VERSION_ERRORS] = s_dec.counts[TP_VERDICT_VERSION];
    st.v[TP_STAT_LENGTH_ERRORS] = s_dec.counts[TP_VERDICT_LENGTH];
    st.v[TP_STAT_TYPE_ERRORS] = s_dec.counts[TP_VERDICT_TYPE];
    st.v[TP_STAT_PAYLOAD_ERRORS] = s_payload_errors;
    st.v[TP_STAT_SEQ_GAPS] = s_seq.gaps;
    st.v[TP_STAT_DUPLICATES] = s_seq.duplicates;
    st.v[TP_STAT_SWEEPS] = s_sweeps;
    st.v[TP_STAT_RESULTS] = s_results;
    st.v[TP_STAT_DEADLINE_MISSES] = s_deadline_misses;
    st.v[TP_STAT_TX_DROPPED] = s_tx_dropped;
    rec_len = tp_pack_stats(&st, rec, (uint16_t)sizeof(rec));
    return send_page(TP_MSG_STATS, rec, rec_len, req.offset);
}

static void reset_stats(void)
{
    for (uint32_t i = 0; i < TP_VERDICT_COUNT; ++i) {
        s_dec.counts[i] = 0u;
    }
    s_seq.gaps = 0u;
    s_seq.duplicates = 0u;
    s_tx_frames = s_tx_dropped = s_payload_errors = 0u;
    s_sweeps = s_results = s_deadline_misses = 0u;
}

/* GET_PROFILE's answer; returns a NACK reason or 0. */
static uint8_t send_profile(const tp_frame_t *f)
{
    static TP_APP_FRAM tp_profile_t prof;
    tp_get_profile_t req;
    if (tp_unpack_get_profile(f->payload, f->len, &req) != 0 ||
        (req.first_step >= TP_MODEL_NUM_STEPS && req.first_step != 0u)) {
        return TP_NACK_BAD_PAYLOAD;
    }
    uint32_t n = TP_MODEL_NUM_STEPS - req.first_step;
    if (n > PROFILE_PAGE_STEPS) {
        n = PROFILE_PAGE_STEPS;
    }
    prof.sweep_index = s_prof_index;
    prof.unit = TP_APP_COUNTER_UNIT;
    prof.preprocess = s_prof_pre;
    prof.inference = s_prof_inf;
    prof.total_steps = TP_MODEL_NUM_STEPS;
    prof.first_step = req.first_step;
    prof.n_steps = (uint8_t)n;
    for (uint32_t k = 0; k < n; ++k) {
        prof.steps[k] = s_prof_steps[req.first_step + k];
    }
    send(TP_MSG_PROFILE, tp_pack_profile(&prof, s_payload, (uint16_t)sizeof(s_payload)));
    return 0u;
}

static int32_t same_radar(const tp_radar_config_t *a, const tp_radar_config_t *b)
{
    return a->start_mm == b->start_mm && a->step_um == b->step_um &&
           a->n_depths == b->n_depths && a->sweep_rate_mhz == b->sweep_rate_mhz;
}

static uint8_t capture_start(const tp_frame_t *f)
{
    tp_capture_start_t req;
    char text[80];
    if (tp_unpack_capture_start(f->payload, f->len, &req) != 0) {
        return TP_NACK_BAD_PAYLOAD;
    }
    tp_sensor_t *src = tp_sensor_replay();
    if (src == NULL) {
        send_log(3, "capture: this firmware has no sensor and no replay recording");
        return TP_NACK_UNSUPPORTED;
    }
    if (s_capture_src != NULL) {
        return TP_NACK_BUSY;
    }
    if (!same_radar(&src->config, &s_radar)) {
        char *p = text + copy_text(text, 40, "replay start_mm ", NULL);
        p = put_uint(p, src->config.start_mm);
        p += copy_text(p, 16, " step_um ", NULL);
        p = put_uint(p, src->config.step_um);
        p += copy_text(p, 16, " depths ", NULL);
        (void)put_uint(p, src->config.n_depths);
        send_error(TP_ERROR_RADAR_MISMATCH,
                   "radar configuration mismatch between the firmware and its recording: ", text);
        return TP_NACK_MISMATCH;
    }
    if (src->start(src) != 0) {
        return TP_NACK_BUSY;
    }
    pipeline_reset();
    s_capture_src = src;
    s_capture_left = req.n_sweeps;
    s_capture_classify = (uint8_t)(req.flags & TP_CAPTURE_CLASSIFY);
    return 0u;
}

static void capture_stop(void)
{
    if (s_capture_src != NULL) {
        s_capture_src->stop(s_capture_src);
        s_capture_src = NULL;
    }
}

/* Execute a command; sends its answer data, returns a NACK reason or 0 for ACK. Queries
 * (HELLO, GET_STATS, GET_PROFILE) only send; execute is 0 for a retry of a query. */
static uint8_t run_command(const tp_frame_t *f, uint8_t execute)
{
    switch (f->type) {
    case TP_MSG_HELLO:
        return send_info(f);
    case TP_MSG_GET_STATS:
        return send_stats(f, execute);
    case TP_MSG_GET_PROFILE:
        return send_profile(f);
    case TP_MSG_RESET_STATS:
        if (tp_unpack_empty(f->payload, f->len) != 0) {
            return TP_NACK_BAD_PAYLOAD;
        }
        if (execute) {
            reset_stats();
        }
        return 0u;
    case TP_MSG_CAPTURE_START:
        return execute ? capture_start(f) : 0u;
    case TP_MSG_CAPTURE_STOP:
        if (tp_unpack_empty(f->payload, f->len) != 0) {
            return TP_NACK_BAD_PAYLOAD;
        }
        if (execute) {
            capture_stop();
        }
        return 0u;
    default:
        return TP_NACK_UNSUPPORTED;
    }
}

static void handle_command(const tp_frame_t *f)
{
    if (tp_cmd_is_retry(&s_cmd, f->seq, f->type)) {
        /* The reply was lost: answer queries again, never execute twice. */
        const uint8_t query = f->type == TP_MSG_HELLO || f->type == TP_MSG_GET_STATS ||
                              f->type == TP_MSG_GET_PROFILE;
        if (query && s_cmd.reply_type == TP_MSG_ACK) {
            (void)run_command(f, 0u);
        }
        send_ack(f->seq, f->type, s_cmd.reply_type, s_cmd.reason);
        return;
    }
    const uint8_t reason = run_command(f, 1u);
    if (reason == TP_NACK_BAD_PAYLOAD) {
        s_payload_errors++;
    }
    const uint8_t reply = reason == 0u ? TP_MSG_ACK : TP_MSG_NACK;
    tp_cmd_executed(&s_cmd, f->seq, f->type, reply, reason);
    send_ack(f->seq, f->type, reply, reason);
}

static void handle_sweep(const tp_frame_t *f)
{
    static TP_APP_FRAM tp_sweep_t sw;
    uint32_t index;
    if (tp_unpack_sweep(f->payload, f->len, &sw) != 0) {
        s_payload_errors++;
        return;
    }
    if (sw.n_depths != TP_APP_N_DEPTHS) {
        char text[40];
        char *p = put_uint(text, sw.sweep_index);
        p += copy_text(p, 6, " has ", NULL);
        (void)put_uint(p, sw.n_depths);
        send_error(TP_ERROR_BAD_SWEEP, "bad sweep (the firmware expects " TP_APP_N_DEPTHS_TEXT
                   " depths): sweep ", text);
        return;
    }
    (void)tp_sensor_host_offer(sw.iq, sw.n_depths, sw.sweep_index);
    if (s_host_src->poll(s_host_src, s_iq, &index)) {
        process_sweep(s_iq, index);
    }
}

static void handle_frame(const tp_frame_t *f)
{
    const tp_seq_class_t seen = tp_seq_classify(&s_seq, f->seq, f->flags & TP_FLAG_SYNC);
    if (tp_is_command(f->type)) {
        handle_command(f); /* retries carry old numbers: the command filter decides */
        return;
    }
    if (seen != TP_SEQ_NEW) {
        return; /* a duplicate or stale data frame: delivered at most once */
    }
    if (f->type == TP_MSG_SWEEP) {
        handle_sweep(f);
    }
    /* Other data types are device-to-host; a host sending one is ignored. */
}

static void capture_one(void)
{
    uint32_t index;
    static TP_APP_FRAM tp_sweep_t sw;
    if (!s_capture_src->poll(s_capture_src, s_iq, &index)) {
        return;
    }
    sw.sweep_index = index;
    sw.n_depths = TP_APP_N_DEPTHS;
    for (uint32_t i = 0; i < 2u * TP_APP_N_DEPTHS; ++i) {
        sw.iq[i] = s_iq[i];
    }
    send(TP_MSG_SWEEP, tp_pack_sweep(&sw, s_payload, (uint16_t)sizeof(s_payload)));
    if (s_capture_classify) {
        process_sweep(s_iq, index);
    }
    if (s_capture_left > 0u && --s_capture_left == 0u) {
        capture_stop();
    }
}

int main(void)
{
    tp_frame_t frame;
    tp_board_init();
    if (tp_model_init(NULL, 0u) != TP_MODEL_OK) {
        tp_board_exit(EXIT_INIT);
    }
    tp_frame_decoder_init(&s_dec);
    tp_seq_init(&s_seq);
    tp_cmd_filter_init(&s_cmd);
    s_host_src = tp_sensor_host(&s_radar);
    (void)s_host_src->start(s_host_src);
    pipeline_reset();
    /* The cost of one mark, subtracted from every step (as run_main.c does). */
    tp_gesture_mark(-1);
    const uint32_t before = s_marks[0];
    tp_gesture_mark(-1);
    s_mark_cost = to_units(s_marks[0] - before);
    send_log(1, "tinyprune gesture app " TP_APP_FW_TEXT " on " TP_APP_BOARD ": ready");

    for (;;) {
        uint32_t got = 0;
        int32_t byte;
        while (got < MAX_RX_PER_TURN && (byte = tp_board_serial_read()) >= 0) {
            got++;
            if (tp_frame_decoder_push(&s_dec, (uint8_t)byte, &frame) == TP_VERDICT_OK) {
                handle_frame(&frame);
            }
        }
        if (s_capture_src != NULL) {
            capture_one();
        } else if (got == 0u) {
            tp_board_idle();
        }
    }
}
