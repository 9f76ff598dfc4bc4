/* beforeafter ghost: a faint overlay of a photo, to frame the next session. */
#include "cli.h"

int cmd_ghost(ba_catalog *cat, int argc, char **argv)
{
    char *output = NULL;
    double opacity = 0.4;
    int size = 1920;
    gboolean edges = FALSE;
    const GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Output PNG", "FILE"},
        {"opacity", 0, 0, G_OPTION_ARG_DOUBLE, &opacity, "0..1 (default 0.4)", "X"},
        {"size", 0, 0, G_OPTION_ARG_INT, &size, "Long edge in pixels (default 1920)", "PX"},
        {"edges", 0, 0, G_OPTION_ARG_NONE, &edges, "Only the edges, as lines", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    if (!cli_parse(&argc, &argv, entries, "(ID | FILE) -o OVERLAY.png",
                   "Write a capture aid: the photo, faint (or its edges), sized for a phone\n"
                   "screen, to frame the next session like this one.",
                   NULL)) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (argc != 2 || !output) {
        rc = cli_usage("ghost", "give one photo id or file and -o OUTPUT.png");
        goto out;
    }
    if (!cli_fraction_ok(opacity) || size < 64 || size > 8000) {
        rc = cli_usage("ghost", "--opacity must be a number in 0..1 and --size 64..8000");
        goto out;
    }
    gint64 id = 0;
    if (!cli_parse_id(argv[1], &id))
        cat = NULL; /* a file: the library plays no part */
    else if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    ba_error err;
    if (ba_compose_ghost(cat, id, argv[1], opacity, edges, size, output, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
    } else if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "output");
        json_builder_add_string_value(b, output);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        cli_say("%s\n", output);
    }
out:
    g_free(output);
    return rc;
}
