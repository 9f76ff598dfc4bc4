/* beforeafter audit: the append-only audit log and the exports to take down. */
#include <string.h>

#include "cli.h"

/* @b as one line of text (b is freed). */
static char *json_text(JsonBuilder *b)
{
    char *s = cli_json_text(b);
    g_object_unref(b);
    return s;
}

/* The members a take-down and an unfinished export share, of @kind. */
static JsonBuilder *export_json(const char *kind, const ba_export_record *e,
                                const ba_export_item *items, int n)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    cli_json_str(b, "kind", kind);
    json_builder_set_member_name(b, "export_id");
    json_builder_add_int_value(b, e->id);
    cli_json_str(b, "status", e->status);
    cli_json_str(b, "purpose", e->purpose);
    cli_json_str(b, "created_at", e->created_at);
    cli_json_str(b, "destination", e->destination);
    cli_json_str(b, "deidentification", e->deidentification);
    json_builder_set_member_name(b, "files");
    json_builder_begin_array(b);
    for (int i = 0; i < n; i++)
        json_builder_add_string_value(b, items[i].file);
    json_builder_add_string_value(b, "export.json");
    json_builder_add_string_value(b, "export.json.sig");
    json_builder_end_array(b);
    return b;
}

/* "PREFIX export N (…) in DEST:" and the files, as one line. */
static GString *export_text(const char *prefix, const char *state, const ba_export_record *e,
                            const ba_export_item *items, int n)
{
    GString *t = g_string_new(NULL);
    g_string_printf(t, "%s export %" G_GINT64_FORMAT " (%s, %s%s%s) in %s:", prefix, e->id,
                    e->purpose, e->created_at, state ? ", " : "", state ? state : "",
                    e->destination);
    for (int i = 0; i < n; i++)
        g_string_append_printf(t, " %s", items[i].file);
    g_string_append(t, " export.json export.json.sig");
    return t;
}

int cli_print_takedown(const ba_export_record *e, const ba_export_item *items, int n, void *ud)
{
    GString *out = ud;
    char *line;
    if (g_cli.json) {
        JsonBuilder *b = export_json("take-down", e, items, n);
        json_builder_set_member_name(b, "sha256");
        json_builder_begin_array(b);
        for (int i = 0; i < n; i++)
            json_builder_add_string_value(b, items[i].sha256);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "consent_ids");
        json_builder_begin_array(b);
        for (int i = 0; i < e->n_consents; i++)
            json_builder_add_int_value(b, e->consent_ids[i]);
        json_builder_end_array(b);
        json_builder_end_object(b);
        char *s = json_text(b);
        line = g_strconcat(s, "\n", NULL);
        g_free(s);
    } else {
        bool done = !e->status || strcmp(e->status, "done") == 0;
        GString *t = export_text("take down", done ? NULL : e->status, e, items, n);
        /* The destination and file names are the user's: one escaped line. */
        char *safe = cli_escape(t->str);
        g_string_free(t, TRUE);
        line = g_strconcat(safe, "\n", NULL);
        g_free(safe);
    }
    if (out)
        g_string_append(out, line);
    else if (g_cli.json || !g_cli.quiet)
        fputs(line, stdout);
    g_free(line);
    return 0;
}

/* An export that never reached done: its files may be in its destination. */
static int print_unfinished(const ba_export_record *e, const ba_export_item *items, int n,
                            void *ud)
{
    (void)ud;
    if (g_cli.json) {
        JsonBuilder *b = export_json("unfinished-export", e, items, n);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        /* One line through cli_say(): the destination is the user's path. */
        GString *t = export_text("unfinished", e->status, e, items, n);
        cli_say("%s (check for these files)\n", t->str);
        g_string_free(t, TRUE);
    }
    return 0;
}

/* The audit row's objects ("export 3; comparisons 5,7", catalog.h) as the
 * array [{"kind":"export","id":3},{"kind":"comparison","id":5},...]: kinds
 * singular, ids numbers.  A part that is not "WORD ID[,ID...]" is kept as
 * {"kind":"text","text":PART} rather than lost. */
static void objects_member(JsonBuilder *b, const char *objects)
{
    json_builder_set_member_name(b, "objects");
    json_builder_begin_array(b);
    char **parts = g_strsplit(objects ? objects : "", ";", -1);
    for (char **p = parts; *p; p++) {
        char *part = g_strstrip(*p);
        if (!*part)
            continue;
        char *space = strchr(part, ' ');
        char **ids = space ? g_strsplit(space + 1, ",", -1) : NULL;
        gboolean ok = ids && ids[0];
        for (char **i = ids; ok && *i; i++) {
            gint64 id;
            ok = cli_parse_id(g_strstrip(*i), &id);
        }
        if (!ok) {
            json_builder_begin_object(b);
            cli_json_str(b, "kind", "text");
            cli_json_str(b, "text", part);
            json_builder_end_object(b);
            g_strfreev(ids);
            continue;
        }
        char *kind = g_strndup(part, space - part);
        size_t n = strlen(kind);
        if (n > 1 && kind[n - 1] == 's') /* "comparisons 5,7" */
            kind[n - 1] = '\0';
        for (char **i = ids; *i; i++) {
            gint64 id = 0;
            cli_parse_id(*i, &id);
            json_builder_begin_object(b);
            cli_json_str(b, "kind", kind);
            json_builder_set_member_name(b, "id");
            json_builder_add_int_value(b, id);
            json_builder_end_object(b);
        }
        g_free(kind);
        g_strfreev(ids);
    }
    g_strfreev(parts);
    json_builder_end_array(b);
}

/* The row's detail: its JSON (old -> new values) as JSON, older free text
 * as a string, none as null. */
static void detail_member(JsonBuilder *b, const char *detail)
{
    JsonParser *parser = NULL;
    if (detail && (detail[0] == '{' || detail[0] == '[')) {
        parser = json_parser_new();
        if (!json_parser_load_from_data(parser, detail, -1, NULL)) {
            g_object_unref(parser);
            parser = NULL;
        }
    }
    if (!parser) {
        cli_json_str(b, "detail", detail);
        return;
    }
    json_builder_set_member_name(b, "detail");
    json_builder_add_value(b, json_node_copy(json_parser_get_root(parser)));
    g_object_unref(parser);
}

static int print_row(const ba_audit_entry *a, void *ud)
{
    (void)ud;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "audit");
        json_builder_set_member_name(b, "audit_id");
        json_builder_add_int_value(b, a->id);
        cli_json_str(b, "at", a->at);
        cli_json_str(b, "actor", a->actor);
        cli_json_str(b, "action", a->action);
        cli_json_str(b, "client", a->client);
        objects_member(b, a->objects);
        cli_json_str(b, "purpose", a->purpose);
        cli_json_str(b, "result", a->result);
        detail_member(b, a->detail);
        cli_json_str(b, "chain", a->chain); /* to copy the head elsewhere */
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet) {
        cli_say("%-5" G_GINT64_FORMAT " %s %-10s %-14s %-10s %-10s %-8s %s%s%s\n", a->id, a->at,
                a->actor ? a->actor : "-", a->action, a->client ? a->client : "-", a->purpose ? a->purpose : "-", a->result,
                a->objects ? a->objects : "", a->detail ? ": " : "", a->detail ? a->detail : "");
    }
    return 0;
}

int cmd_audit(ba_catalog *cat, int argc, char **argv)
{
    char *client = NULL, *user = NULL;
    gboolean access = FALSE;
    const GOptionEntry entries[] = {
        {"client", 0, 0, G_OPTION_ARG_STRING, &client, "Only rows about this client", "CODE"},
        {"access", 0, 0, G_OPTION_ARG_NONE, &access,
         "The access log instead: who read or changed records through the server", NULL},
        {"user", 0, 0, G_OPTION_ARG_STRING, &user, "With --access: only this user's", "NAME"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    if (!cli_parse(&argc, &argv, entries, "[--client CODE] [--access [--user NAME]]",
                   "List the audit log (consent changes, exports, refusals), then every export\n"
                   "made under a consent revoked since: the images to take down.",
                   "--json: {\"kind\":\"audit\",...} per row, then {\"kind\":\"take-down\",...} per "
                   "export.")) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (argc != 1) {
        rc = cli_usage("audit", "takes no arguments (did you mean --client %s?)", argv[1]);
        goto out;
    }
    if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    ba_error err;
    ba_client cl;
    if (client && ba_catalog_client_get(cat, client, &cl, &err)) {
        cli_report_error("audit", &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }
    if (access || user) {
        rc = cli_audit_access(cat, user, client ? cl.code : NULL);
        goto out;
    }
    if (ba_catalog_audit_list(cat, client, print_row, NULL, &err)) {
        cli_report_error("audit", &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }
    GString *takedown = g_string_new(NULL);
    if (ba_consent_takedown_list(cat, client, cli_print_takedown, takedown, &err)) {
        cli_report_error("audit", &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
    } else if (g_cli.json) {
        fputs(takedown->str, stdout);
    } else if (!g_cli.quiet) {
        /* takedown holds lines already escaped by cli_print_takedown(). */
        printf("\n%s\n%s", takedown->len ? "To take down (consent revoked since):"
                                         : "Nothing to take down.",
               takedown->str);
    }
    g_string_free(takedown, TRUE);
    /* Pending exports (being written, or their writer died) and interrupted
     * ones: whatever made it into their destination is listed there. */
    ba_export_filter unfinished = {.unfinished_only = true, .client = client};
    if (rc == EXIT_OK && (g_cli.json || !g_cli.quiet) &&
        ba_catalog_export_list(cat, &unfinished, print_unfinished, NULL, &err)) {
        cli_report_error("audit", &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
    }
out:
    g_free(client);
    g_free(user);
    return rc;
}
