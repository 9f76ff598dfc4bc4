/* beforeafter session show|set */
#include <string.h>

#include "cli.h"

static void print_session(const ba_session *s)
{
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, "session");
        json_builder_set_member_name(b, "session_id");
        json_builder_add_int_value(b, s->id);
        cli_json_str(b, "client", s->client);
        cli_json_str(b, "date", s->date);
        json_builder_set_member_name(b, "number");
        json_builder_add_int_value(b, s->number);
        cli_json_str(b, "treatment", s->treatment);
        cli_json_str(b, "provider", s->provider);
        cli_json_str(b, "notes", s->notes);
        json_builder_set_member_name(b, "photos");
        json_builder_add_int_value(b, s->photo_count);
        json_builder_end_object(b);
        cli_json_line(b);
        return;
    }
    if (g_cli.quiet)
        return;
    char *t = cli_escape(s->treatment), *p = cli_escape(s->provider), *n = cli_escape(s->notes);
    cli_say("session %" G_GINT64_FORMAT " of %s: #%d on %s, %d photos\n  treatment: %s\n"
            "  provider: %s\n  notes: %s\n",
            s->id, s->client, s->number, s->date, s->photo_count, *t ? t : "-", *p ? p : "-",
            *n ? n : "-");
    g_free(t);
    g_free(p);
    g_free(n);
}

int cmd_session(ba_catalog *cat, int argc, char **argv)
{
    char *treatment = NULL, *provider = NULL, *notes = NULL;
    const GOptionEntry entries[] = {
        {"treatment", 0, 0, G_OPTION_ARG_STRING, &treatment, "Treatment ('' clears it) (set)",
         "TEXT"},
        {"provider", 0, 0, G_OPTION_ARG_STRING, &provider, "Provider ('' clears it) (set)",
         "TEXT"},
        {"notes", 0, 0, G_OPTION_ARG_STRING, &notes, "Notes ('' clears them) (set)", "TEXT"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    gint64 id = 0;
    if (!cli_parse(&argc, &argv, entries,
                   "show ID | set ID [--treatment T] [--provider P] [--notes N]",
                   "Show or correct a session ('client show CODE' lists a client's sessions "
                   "with their ids).",
                   NULL)) {
        rc = EXIT_USAGE;
        goto out;
    }
    bool set = argc >= 2 && strcmp(argv[1], "set") == 0;
    bool show = argc >= 2 && strcmp(argv[1], "show") == 0;
    if (!set && !show) {
        rc = cli_usage("session", argc < 2 ? "say 'show ID' or 'set ID'"
                                           : "unknown subcommand; say 'show ID' or 'set ID'");
        goto out;
    }
    if (argc != 3 || !cli_parse_id(argv[2], &id)) {
        rc = cli_usage("session", "'session %s' takes one session id", argv[1]);
        goto out;
    }
    if (show && (treatment || provider || notes)) {
        rc = cli_usage("session", "'session show' takes no --treatment, --provider or --notes");
        goto out;
    }
    if (set && !treatment && !provider && !notes) {
        rc = cli_usage("session", "'session set' needs --treatment, --provider or --notes");
        goto out;
    }
    if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    ba_error err;
    if (set && ((rc = cli_need_writable(cat)) != EXIT_OK))
        goto out;
    ba_session s;
    if ((set && ba_catalog_session_set(cat, id, treatment, provider, notes, &err)) ||
        ba_catalog_session_get(cat, id, &s, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }
    print_session(&s);
out:
    g_free(treatment);
    g_free(provider);
    g_free(notes);
    return rc;
}
