/* beforeafter audit --access: who read or changed a client's record through
 * the server (the access log; changes are in the audit log as well). */
#include "cli.h"

static int print_access(const ba_access_entry *e, void *ud)
{
    (void)ud;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "access");
        json_builder_set_member_name(b, "access_id");
        json_builder_add_int_value(b, e->id);
        cli_json_str(b, "at", e->at);
        cli_json_str(b, "user", e->actor);
        cli_json_str(b, "action", e->action);
        cli_json_str(b, "object", e->object);
        cli_json_str(b, "client", e->client);
        cli_json_str(b, "remote", e->remote);
        cli_json_str(b, "result", e->result);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet) {
        char *object = cli_escape(e->object), *user = cli_escape(e->actor);
        cli_say("%-6" G_GINT64_FORMAT " %s %-16s %-16s %-10s %-24s %-9s %s\n", e->id, e->at, user,
                e->action, e->client ? e->client : "-", object, e->result,
                e->remote ? e->remote : "-");
        g_free(object);
        g_free(user);
    }
    return 0;
}

int cli_audit_access(ba_catalog *cat, const char *user, const char *client)
{
    ba_error err;
    if (ba_access_log_list(cat, user, client, print_access, NULL, &err)) {
        cli_report_error("audit", &err);
        return cli_exit_for(&err, CLI_ABOUT_INPUT);
    }
    return EXIT_OK;
}
