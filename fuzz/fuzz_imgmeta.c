/* libFuzzer target: our JPEG-marker / PNG-chunk metadata reader. */
#include <beforeafter/beforeafter.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char found[160];
    int n = ba_verify_image_metadata(data, size, found, sizeof found);
    if (n < -1 || strlen(found) >= sizeof found)
        __builtin_trap();
    return 0;
}
