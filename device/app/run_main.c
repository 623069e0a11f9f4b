/* The app behind `tinyprune run`: inferences on inputs handed over as files.
 *
 * Files (raw little-endian, no header), in the current directory of the host side:
 *   input.bin   in:  input 0 (further inputs: input1.bin, input2.bin, ...), one or more
 *               frames back to back: the app runs one inference per frame;
 *   output.bin  out: output 0 (further outputs: output1.bin, ...), one per frame, in order;
 *   marks.bin   out: TP_MODEL_NUM_STEPS + 2 uint32 counter values, of the first frame.
 *               marks[0] is the calibration: the counter difference between two back-to-back
 *               marks with nothing between them (the cost of one mark). marks[1] is read
 *               before step 0 and marks[k + 2] after step k, so step k costs
 *               marks[k + 2] - marks[k + 1] - marks[0].
 *   flips.bin   in (built with -DTP_BIT_ERRORS only): a mask XORed into the binary weights
 *               before the first frame (tp_bit_errors.c, docs/bit_errors.md).
 * Exit status: 0 ok, 2 an input file missing or too short, 3 init failed, 4 invoke failed,
 * 5 an output file could not be written, 6 flips.bin missing or not the weights' size.
 */
#include "model.h"
#include "tp_board.h"
#ifdef TP_BIT_ERRORS
#include "tp_bit_errors.h"
#endif

#include <stddef.h>

#define EXIT_BAD_INPUT 2
#define EXIT_INIT 3
#define EXIT_INVOKE 4
#define EXIT_WRITE 5
#define EXIT_BIT_ERRORS 6

static uint32_t s_marks[TP_MODEL_NUM_STEPS + 2];

/* The profiling hook model.c calls (it is compiled with -DTP_PROFILE_HOOK=tp_run_mark). */
void tp_run_mark(int32_t step);

void tp_run_mark(int32_t step)
{
    s_marks[step + 2] = tp_board_counter();
}

/* "<stem>.bin" for index 0, "<stem><index>.bin" otherwise; no stdio on the device. */
static const char *file_name(char *buf, const char *stem, int32_t index)
{
    char digits[10];
    int32_t n = 0;
    char *p = buf;
    while (*stem != '\0') {
        *p++ = *stem++;
    }
    while (index > 0 && n < (int32_t)sizeof(digits)) {
        digits[n++] = (char)('0' + index % 10);
        index /= 10;
    }
    while (n > 0) {
        *p++ = digits[--n];
    }
    *p++ = '.';
    *p++ = 'b';
    *p++ = 'i';
    *p++ = 'n';
    *p = '\0';
    return buf;
}

/* Read frame `frame` of every input; 0 when the inputs are exhausted, 1 when read. */
static int32_t read_frame(uint32_t frame)
{
    char name[24];
    int32_t i;
    for (i = 0; i < TP_MODEL_NUM_INPUTS; i++) {
        const uint32_t bytes = tp_model_input_bytes(i);
        const int32_t got = tp_board_read_file(file_name(name, "input", i), frame * bytes,
                                               tp_model_input(i), bytes);
        if (got == (int32_t)bytes) {
            continue;
        }
        if (frame > 0u && got == 0) {
            return 0;
        }
        tp_board_puts("run: an input file is missing or not a whole number of model inputs\n");
        tp_board_exit(EXIT_BAD_INPUT);
    }
    return 1;
}

int main(void)
{
    char name[24];
    uint32_t before;
    uint32_t frame;
    int32_t i;

    tp_board_init();
    if (tp_model_init(NULL, 0u) != TP_MODEL_OK) {
        tp_board_exit(EXIT_INIT);
    }
#ifdef TP_BIT_ERRORS
    if (tp_bit_errors_apply("flips.bin") != 0) {
        tp_board_puts("run: flips.bin is missing or not the size of the binary weights\n");
        tp_board_exit(EXIT_BIT_ERRORS);
    }
#endif
    for (frame = 0u; read_frame(frame); frame++) {
        tp_run_mark(-1);
        before = s_marks[1];
        tp_run_mark(-1);
        if (frame == 0u) {
            s_marks[0] = s_marks[1] - before;
        }
        if (tp_model_invoke() != TP_MODEL_OK) {
            tp_board_exit(EXIT_INVOKE);
        }
        for (i = 0; i < TP_MODEL_NUM_OUTPUTS; i++) {
            if (tp_board_write_file(file_name(name, "output", i), tp_model_output(i),
                                    tp_model_output_bytes(i), frame > 0u) != 0) {
                tp_board_exit(EXIT_WRITE);
            }
        }
        if (frame == 0u &&
            tp_board_write_file("marks.bin", s_marks, (uint32_t)sizeof(s_marks), 0) != 0) {
            tp_board_exit(EXIT_WRITE);
        }
    }
    tp_board_exit(0);
    return 0;
}
