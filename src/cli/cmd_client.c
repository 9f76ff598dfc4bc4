/* beforeafter client add|list */
#include "cli.h"

static int print_client(const ba_client *c, void *ud)
{
    (void)ud;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "client_id");
        json_builder_add_int_value(b, c->id);
        json_builder_set_member_name(b, "code");
        json_builder_add_string_value(b, c->code);
        json_builder_set_member_name(b, "name");
        if (c->name[0])
            json_builder_add_string_value(b, c->name);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "created_at");
        json_builder_add_string_value(b, c->created_at);
        json_builder_set_member_name(b, "photos");
        json_builder_add_int_value(b, c->photo_count);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet) {
        cli_say("%-16s %-30s %5d photos\n", c->code, c->name, c->photo_count);
    }
    return 0;
}

int cmd_client(ba_catalog *cat, int argc, char **argv)
{
    char *name = NULL;
    const GOptionEntry entries[] = {
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "Display name (add)", "NAME"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!cli_parse(&argc, &argv, entries, "add CODE [--name NAME] | list",
                   "Add a client (a pseudonymous code such as C-0042) or list clients.", NULL)) {
        g_free(name);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (argc < 2) {
        rc = cli_usage("client", "say 'add CODE' or 'list'");
        goto out;
    }
    const char *sub = argv[1];
    if (g_strcmp0(sub, "add") == 0) {
        if (argc != 3) {
            rc = cli_usage("client", "'client add' takes exactly one CODE");
            goto out;
        }
        rc = cli_need_writable(cat);
        if (rc != EXIT_OK)
            goto out;
        ba_error err;
        gint64 id = 0;
        if (ba_catalog_client_add(cat, argv[2], name, &id, &err)) {
            cli_report_error(NULL, &err);
            rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        } else if (g_cli.json) {
            ba_client c;
            if (ba_catalog_client_get(cat, argv[2], &c, &err) == 0)
                print_client(&c, NULL);
        } else {
            cli_say("added client %s\n", argv[2]);
        }
    } else if (g_strcmp0(sub, "list") == 0) {
        if (argc != 2) {
            rc = cli_usage("client", "'client list' takes no arguments");
            goto out;
        }
        if (!cat) {
            rc = cli_no_library();
            goto out;
        }
        ba_error err;
        if (ba_catalog_client_list(cat, print_client, NULL, &err)) {
            cli_report_error(NULL, &err);
            rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        }
    } else {
        rc = cli_usage("client", "unknown subcommand '%s'; say 'add' or 'list'", sub);
    }
out:
    g_free(name);
    return rc;
}
