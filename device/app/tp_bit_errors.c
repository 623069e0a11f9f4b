/* Bit errors in the binary weights: XOR a host-sent mask into the RAM copy of the weights.
 *
 * The host draws the flips (sdk/bnn/bit_errors.py) and prints them in the device's own
 * layouts as a mask (host/bit_errors_device.py), so the device and the reference see the
 * same corrupted weights for a seed whatever layout each kernel keeps its filters in.
 */
#include "tp_bit_errors.h"

#include "tp_board.h"

#include <stddef.h>

/* Bytes read per file access: semihosting opens the file on every read. */
#define TP_BIT_ERRORS_CHUNK 256u

int32_t tp_bit_errors_apply(const char *name)
{
    uint8_t chunk[TP_BIT_ERRORS_CHUNK];
    uint32_t offset = 0u;
    uint32_t bytes = 0u;
    int32_t table;
    for (table = 0; ; table++) {
        uint8_t *words = tp_model_weight_bits(table, &bytes);
        uint32_t done = 0u;
        if (words == NULL) {
            break;
        }
        while (done < bytes) {
            const uint32_t want = (bytes - done < TP_BIT_ERRORS_CHUNK) ? bytes - done
                                                                       : TP_BIT_ERRORS_CHUNK;
            uint32_t i;
            if (tp_board_read_file(name, offset + done, chunk, want) != (int32_t)want) {
                return -1;
            }
            for (i = 0u; i < want; i++) {
                words[done + i] ^= chunk[i];
            }
            done += want;
        }
        offset += bytes;
    }
    return (tp_board_read_file(name, offset, chunk, 1u) == 0) ? 0 : -1;
}
