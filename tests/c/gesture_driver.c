/* Runs device/app/tp_gesture.c on a sequence for tests/system/test_gesture_app.py.
 * argv: threshold consecutive refractory background; stdin: "class p256" lines;
 * stdout: one event per line (255: none). */
#include <stdio.h>
#include <stdlib.h>

#include "tp_gesture.h"

int main(int argc, char **argv)
{
    tp_gesture_config_t cfg;
    tp_gesture_t g;
    int cls, p;
    if (argc != 5) {
        fprintf(stderr, "usage: gesture_driver threshold consecutive refractory background\n");
        return 2;
    }
    cfg.threshold = (int16_t)atoi(argv[1]);
    cfg.consecutive = (uint8_t)atoi(argv[2]);
    cfg.refractory = (uint16_t)atoi(argv[3]);
    cfg.background = (uint8_t)atoi(argv[4]);
    tp_gesture_init(&g, &cfg);
    while (scanf("%d %d", &cls, &p) == 2) {
        printf("%d\n", tp_gesture_step(&g, (uint8_t)cls, (int16_t)p));
    }
    return 0;
}
