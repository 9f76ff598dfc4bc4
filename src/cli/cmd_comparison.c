/* beforeafter comparison delete */
#include <string.h>

#include "cli.h"

int cmd_comparison(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "delete ID...",
                   "Delete comparisons: each leaves lists and its stored render is removed\n"
                   "(unless another comparison shows the same file); exports that included\n"
                   "it keep their own files and records.",
                   NULL))
        return EXIT_USAGE;
    if (argc < 3 || strcmp(argv[1], "delete") != 0)
        return cli_usage("comparison", "say 'delete ID...'");
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    int rc = EXIT_OK;
    for (int i = 2; i < argc; i++) {
        gint64 id;
        if (!cli_parse_id(argv[i], &id)) {
            rc = cli_usage("comparison", "'%s' is not a comparison id", argv[i]);
            goto out;
        }
        g_array_append_val(ids, id);
    }
    if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    for (guint i = 0; i < ids->len; i++) {
        gint64 id = g_array_index(ids, gint64, i);
        ba_error err;
        bool removed = false;
        if (ba_catalog_comparison_delete(cat, id, &removed, &err)) {
            cli_report_error(NULL, &err);
            int r = cli_exit_for(&err, CLI_ABOUT_INPUT);
            if (rc == EXIT_OK || r > rc)
                rc = r;
            continue;
        }
        if (g_cli.json) {
            JsonBuilder *b = json_builder_new();
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "kind");
            json_builder_add_string_value(b, "comparison-deleted");
            json_builder_set_member_name(b, "comparison_id");
            json_builder_add_int_value(b, id);
            json_builder_set_member_name(b, "render_removed");
            json_builder_add_boolean_value(b, removed);
            json_builder_end_object(b);
            cli_json_line(b);
        } else {
            cli_say("deleted comparison %" G_GINT64_FORMAT "%s\n", id,
                    removed ? "" : " (its render is kept: another comparison shows it)");
        }
    }
out:
    g_array_free(ids, TRUE);
    return rc;
}
