/* beforeafter init: create a library folder. */
#include "cli.h"

int cmd_init(int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "",
                   "Create a library: catalog.db, masters/ and tmp/ in the --library folder.\n"
                   "Refuses a folder that holds anything but a library.",
                   NULL))
        return EXIT_USAGE;
    if (argc > 1)
        return cli_usage("init", "unexpected argument '%s'", argv[1]);
    ba_error err;
    ba_catalog *cat = ba_catalog_create(cli_library_dir(), &err);
    if (!cat) {
        if (err.code == BA_ERR_EXISTS) {
            cli_say("%s\n", err.message);
            return EXIT_OK;
        }
        cli_error("%s", err.message);
        return err.code == BA_ERR_USAGE ? EXIT_USAGE : EXIT_LIBRARY;
    }
    ba_catalog_close(cat);
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "library");
        json_builder_add_string_value(b, cli_library_dir());
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, "created");
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        cli_say("created library %s\n", cli_library_dir());
    }
    return EXIT_OK;
}
