/* libFuzzer target: the whole ingest of one in-memory file into a library. */
#include <beforeafter/beforeafter.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static ba_catalog *cat;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    ba_error err;
    if (ba_init((*argv)[0], &err))
        abort();
    char *tmp = g_dir_make_tmp("ba-fuzz-XXXXXX", NULL);
    char *lib = g_build_filename(tmp, "lib", NULL);
    cat = ba_catalog_create(lib, &err);
    if (!cat || ba_catalog_client_add(cat, "F-1", NULL, NULL, &err))
        abort();
    g_free(lib);
    g_free(tmp);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.client = "F-1";
    o.area = "cheeks";
    o.date = "2026-01-01";
    o.max_megapixels = 4; /* keep each run quick: larger headers are refused */
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_buffer(cat, "fuzz.jpg", data, size, &o, &r, &err) != 0 &&
        (err.code == BA_OK || err.message[0] == '\0'))
        __builtin_trap(); /* every failure says why */
    return 0;
}
