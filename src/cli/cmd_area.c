/* beforeafter area add|list */
#include "cli.h"

static int print_area(const char *name, void *ud)
{
    (void)ud;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "area");
        json_builder_add_string_value(b, name);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        cli_say("%s\n", name);
    }
    return 0;
}

int cmd_area(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "add NAME | list",
                   "Extend or list the vocabulary of treatment areas.", NULL))
        return EXIT_USAGE;
    if (argc < 2)
        return cli_usage("area", "say 'add NAME' or 'list'");
    const char *sub = argv[1];
    gboolean add = g_strcmp0(sub, "add") == 0;
    if (!add && g_strcmp0(sub, "list") != 0)
        return cli_usage("area", "unknown subcommand '%s'; say 'add' or 'list'", sub);
    if (add ? argc != 3 : argc != 2)
        return cli_usage("area", add ? "'area add' takes exactly one NAME"
                                     : "'area list' takes no arguments");
    if (!cat)
        return cli_no_library();
    if (add && cli_need_writable(cat) != EXIT_OK)
        return EXIT_LIBRARY;
    ba_error err;
    int rc = EXIT_OK;
    if (add) {
        if (ba_catalog_area_add(cat, argv[2], &err)) {
            cli_report_error(NULL, &err);
            rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        } else if (g_cli.json) {
            print_area(argv[2], NULL);
        } else {
            cli_say("added area %s\n", argv[2]);
        }
    } else if (ba_catalog_area_list(cat, print_area, NULL, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
    }
    return rc;
}
