/* Gesture detector; the rules are written out in docs/gestures.md and in
 * sdk/radar/gestures.py, which must stay step for step the same as this file. */
#include "tp_gesture.h"

void tp_gesture_init(tp_gesture_t *g, const tp_gesture_config_t *cfg)
{
    g->cfg = *cfg;
    if (g->cfg.consecutive == 0u) {
        g->cfg.consecutive = 1u;
    }
    g->candidate = TP_GESTURE_NONE;
    g->run = 0u;
    g->quiet_left = 0u;
}

uint8_t tp_gesture_step(tp_gesture_t *g, uint8_t frame_class, int16_t p256)
{
    /* 1. Refractory: after an event the same hand motion keeps being classified for a while;
     *    those frames must not fire it again. */
    if (g->quiet_left > 0u) {
        g->quiet_left--;
        g->candidate = TP_GESTURE_NONE;
        g->run = 0u;
        return TP_GESTURE_NONE;
    }
    /* 2. A frame that is not a confident gesture breaks the run. */
    if (frame_class == TP_GESTURE_NONE || frame_class == g->cfg.background ||
        p256 < g->cfg.threshold) {
        g->candidate = TP_GESTURE_NONE;
        g->run = 0u;
        return TP_GESTURE_NONE;
    }
    /* 3. Debounce: count confident frames of one class in a row. */
    if (frame_class == g->candidate) {
        g->run++;
    } else {
        g->candidate = frame_class;
        g->run = 1u;
    }
    if (g->run < g->cfg.consecutive) {
        return TP_GESTURE_NONE;
    }
    /* 4. Fire, and start the refractory period. */
    g->candidate = TP_GESTURE_NONE;
    g->run = 0u;
    g->quiet_left = g->cfg.refractory;
    return frame_class;
}
