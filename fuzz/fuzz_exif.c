/* libFuzzer target: the EXIF reader (libexif behind our whitelist). */
#include <beforeafter/beforeafter.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ba_capture c;
    ba_ingest_read_exif(data, size, &c);
    /* Whatever came in, what comes out is bounded, terminated text. */
    if (strlen(c.make) >= sizeof c.make || strlen(c.model) >= sizeof c.model ||
        strlen(c.captured_at) >= sizeof c.captured_at || c.orientation < 0 || c.orientation > 8)
        __builtin_trap();
    return 0;
}
