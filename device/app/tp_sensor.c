/* The host-fed and replay sensor sources (tp_sensor.h). */
#include "tp_sensor.h"

#include "gesture_config.h" /* TP_APP_FRAM; generated next to model.h by host/gesture_fw.py */
#include "gesture_replay.h"
#include "tp_messages.h"

/* ---- host-fed: a one-sweep mailbox filled by the protocol handler ---- */

static TP_APP_FRAM struct {
    tp_sensor_t sensor;
    int16_t iq[2u * TP_MAX_DEPTHS];
    uint32_t index;
    uint8_t full;
} s_host;

static int32_t host_start(tp_sensor_t *s)
{
    (void)s;
    s_host.full = 0u;
    return 0;
}

static int32_t host_poll(tp_sensor_t *s, int16_t *iq, uint32_t *index)
{
    if (!s_host.full) {
        return 0;
    }
    for (uint32_t i = 0; i < 2u * (uint32_t)s->config.n_depths; ++i) {
        iq[i] = s_host.iq[i];
    }
    *index = s_host.index;
    s_host.full = 0u;
    return 1;
}

static void host_stop(tp_sensor_t *s)
{
    (void)s;
    s_host.full = 0u;
}

tp_sensor_t *tp_sensor_host(const tp_radar_config_t *config)
{
    s_host.sensor.start = host_start;
    s_host.sensor.poll = host_poll;
    s_host.sensor.stop = host_stop;
    s_host.sensor.config = *config;
    s_host.sensor.n_sweeps = 0u;
    s_host.full = 0u;
    return &s_host.sensor;
}

int32_t tp_sensor_host_offer(const int16_t *iq, uint16_t n_depths, uint32_t index)
{
    const int32_t replaced = s_host.full;
    uint32_t n = n_depths;
    if (n > TP_MAX_DEPTHS) {
        n = TP_MAX_DEPTHS;
    }
    for (uint32_t i = 0; i < 2u * n; ++i) {
        s_host.iq[i] = iq[i];
    }
    s_host.index = index;
    s_host.full = 1u;
    return replaced;
}

/* ---- replay: the compiled-in recording, looped ---- */

#if TP_REPLAY_N_SWEEPS > 0
static struct {
    tp_sensor_t sensor;
    uint32_t next; /* sweeps delivered since start */
} s_replay;

static int32_t replay_start(tp_sensor_t *s)
{
    (void)s;
    s_replay.next = 0u;
    return 0;
}

static int32_t replay_poll(tp_sensor_t *s, int16_t *iq, uint32_t *index)
{
    /* The emulator has no sensor clock: a sweep is always ready and the link paces the
     * stream. A board with a timer would release one per 1/18 s here. */
    const uint32_t row = s_replay.next % (uint32_t)TP_REPLAY_N_SWEEPS;
    const int16_t *src = &tp_replay_iq[row * 2u * (uint32_t)TP_REPLAY_N_DEPTHS];
    for (uint32_t i = 0; i < 2u * (uint32_t)s->config.n_depths; ++i) {
        iq[i] = src[i];
    }
    *index = s_replay.next++;
    return 1;
}

static void replay_stop(tp_sensor_t *s)
{
    (void)s;
}

tp_sensor_t *tp_sensor_replay(void)
{
    s_replay.sensor.start = replay_start;
    s_replay.sensor.poll = replay_poll;
    s_replay.sensor.stop = replay_stop;
    s_replay.sensor.config.start_mm = TP_REPLAY_START_MM;
    s_replay.sensor.config.step_um = TP_REPLAY_STEP_UM;
    s_replay.sensor.config.n_depths = TP_REPLAY_N_DEPTHS;
    s_replay.sensor.config.sweep_rate_mhz = TP_REPLAY_SWEEP_RATE_MHZ;
    s_replay.sensor.n_sweeps = TP_REPLAY_N_SWEEPS;
    return &s_replay.sensor;
}
#else
tp_sensor_t *tp_sensor_replay(void)
{
    return 0;
}
#endif
