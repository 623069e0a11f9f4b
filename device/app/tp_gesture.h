/* Gesture detector: frame classes in, gesture events out (docs/gestures.md).
 *
 * The same logic is sdk/radar/gestures.py (numpy); tests feed both the same sequences and
 * compare every event. Integer only, so both sides agree bit for bit on every board. */
#ifndef TP_GESTURE_H
#define TP_GESTURE_H

#include <stdint.h>

#define TP_GESTURE_NONE 0xFFu

typedef struct {
    int16_t threshold;    /* a frame counts when its class probability x 256 >= threshold */
    uint8_t consecutive;  /* frames of one class in a row that fire an event (>= 1) */
    uint16_t refractory;  /* sweeps ignored after an event */
    uint8_t background;   /* class that never fires (e.g. "empty"); TP_GESTURE_NONE: none */
} tp_gesture_config_t;

typedef struct {
    tp_gesture_config_t cfg;
    uint8_t candidate;   /* class of the current run, TP_GESTURE_NONE when there is none */
    uint8_t run;         /* frames in the current run */
    uint16_t quiet_left; /* sweeps of refractory period left */
} tp_gesture_t;

void tp_gesture_init(tp_gesture_t *g, const tp_gesture_config_t *cfg);

/* One sweep's outcome: its frame class (TP_GESTURE_NONE while the window fills) and that
 * class's probability x 256. Returns the class that fired, or TP_GESTURE_NONE. */
uint8_t tp_gesture_step(tp_gesture_t *g, uint8_t frame_class, int16_t p256);

#endif /* TP_GESTURE_H */
