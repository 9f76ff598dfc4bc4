/* libFuzzer target: the CSV manifest parser (libcsv behind our column logic). */
#include <beforeafter/beforeafter.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ba_batch_list list;
    ba_batch_list_init(&list);
    ba_error err;
    if (ba_batch_parse_manifest((const char *)data, size, "fuzz.csv", "/base", &list, &err) == 0)
        for (size_t i = 0; i < list.count; i++)
            if (!list.items[i].file || (!list.items[i].error && (!list.items[i].client ||
                                                                 !list.items[i].area)))
                __builtin_trap();
    ba_batch_list_clear(&list);
    return 0;
}
