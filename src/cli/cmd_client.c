/* beforeafter client add|list|show|rename|set|merge
 *
 * One function per subcommand, each parsing its own options; the table at
 * the bottom dispatches on the first word that is not an option. */
#include <string.h>

#include "cli.h"

/* The birth date is in JSON (every client line) and 'client show', not in
 * the text of 'client list'. */
static void client_members(JsonBuilder *b, const ba_client *c)
{
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, "client");
    json_builder_set_member_name(b, "client_id");
    json_builder_add_int_value(b, c->id);
    cli_json_str(b, "client", c->code);
    cli_json_str(b, "code", c->code); /* before the one vocabulary; same as "client" */
    cli_json_str(b, "name", c->name);
    cli_json_str(b, "birth_date", c->birth_date);
    cli_json_str(b, "created_at", c->created_at);
    json_builder_set_member_name(b, "photos");
    json_builder_add_int_value(b, c->photo_count);
}

static int print_client(const ba_client *c, void *ud)
{
    (void)ud;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        client_members(b, c);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet) {
        char *name = cli_escape(c->name);
        cli_say("%-16s %-30s %5d photos\n", c->code, name, c->photo_count);
        g_free(name);
    }
    return 0;
}

/* A failed library call: one line, the exit code for it. */
static int fail(const ba_error *err)
{
    cli_report_error(NULL, err);
    return cli_exit_for(err, CLI_ABOUT_INPUT);
}

/* ---- add, list ---------------------------------------------------------------- */

static int client_add(ba_catalog *cat, int argc, char **argv)
{
    char *name = NULL;
    const GOptionEntry entries[] = {
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "Display name", "NAME"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    if (!cli_parse(&argc, &argv, entries, "add CODE [--name NAME]",
                   "Add a client (a pseudonymous code such as C-0042; unique whatever its case).",
                   NULL)) {
        rc = EXIT_USAGE;
    } else if (argc != 3) {
        rc = cli_usage("client", "'client add' takes exactly one CODE");
    } else if ((rc = cli_need_writable(cat)) == EXIT_OK) {
        ba_error err;
        gint64 id = 0;
        ba_client c;
        if (ba_catalog_client_add(cat, argv[2], name, &id, &err))
            rc = fail(&err);
        else if (g_cli.json && ba_catalog_client_get(cat, argv[2], &c, &err) == 0)
            print_client(&c, NULL);
        else if (!g_cli.json)
            cli_say("added client %s\n", argv[2]);
    }
    g_free(name);
    return rc;
}

static int client_list(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "list", "List clients.", NULL))
        return EXIT_USAGE;
    if (argc != 2)
        return cli_usage("client", "'client list' takes no arguments");
    if (!cat)
        return cli_no_library();
    ba_error err;
    if (ba_catalog_client_list(cat, print_client, NULL, &err))
        return fail(&err);
    return EXIT_OK;
}

/* ---- show ----------------------------------------------------------------------- */

static int add_session_json(const ba_session *s, void *ud)
{
    JsonBuilder *b = ud;
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
    return 0;
}

static int print_session_text(const ba_session *s, void *ud)
{
    (void)ud;
    char *t = cli_escape(s->treatment), *p = cli_escape(s->provider), *n = cli_escape(s->notes);
    cli_say("  session %-5" G_GINT64_FORMAT " #%-3d %s  %3d photos  treatment: %s  provider: %s"
            "%s%s\n",
            s->id, s->number, s->date, s->photo_count, *t ? t : "-", *p ? p : "-",
            *n ? "  notes: " : "", n);
    g_free(t);
    g_free(p);
    g_free(n);
    return 0;
}

static int client_show(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "show CODE",
                   "Show a client (name, birth date) and its sessions with their ids.", NULL))
        return EXIT_USAGE;
    if (argc != 3)
        return cli_usage("client", "'client show' takes exactly one CODE");
    if (!cat)
        return cli_no_library();
    ba_error err;
    ba_client c;
    if (ba_catalog_client_get(cat, argv[2], &c, &err))
        return fail(&err);
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        client_members(b, &c);
        json_builder_set_member_name(b, "sessions");
        json_builder_begin_array(b);
        int rc = ba_catalog_session_list(cat, c.code, add_session_json, b, &err);
        json_builder_end_array(b);
        json_builder_end_object(b);
        if (rc) {
            g_object_unref(b);
            return fail(&err);
        }
        cli_json_line(b);
        return EXIT_OK;
    }
    if (g_cli.quiet)
        return EXIT_OK;
    char *name = cli_escape(c.name);
    cli_say("client %s (id %" G_GINT64_FORMAT ")\n  name: %s\n  birth date: %s\n  created: %s\n"
            "  photos: %d\n",
            c.code, c.id, *name ? name : "-", c.birth_date[0] ? c.birth_date : "-", c.created_at,
            c.photo_count);
    g_free(name);
    if (ba_catalog_session_list(cat, c.code, print_session_text, NULL, &err))
        return fail(&err);
    return EXIT_OK;
}

/* ---- corrections ------------------------------------------------------------------- */

/* Print the client as it now is (JSON), or @text. */
static void print_done(ba_catalog *cat, const char *code, const char *text)
{
    ba_client c;
    ba_error err;
    if (g_cli.json) {
        if (ba_catalog_client_get(cat, code, &c, &err) == 0)
            print_client(&c, NULL);
    } else {
        cli_say("%s\n", text);
    }
}

static int client_rename(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "rename OLD NEW",
                   "Correct a client's code (audit rows under OLD stay found under NEW).", NULL))
        return EXIT_USAGE;
    if (argc != 4)
        return cli_usage("client", "'client rename' takes OLD and NEW");
    int rc = cli_need_writable(cat);
    if (rc != EXIT_OK)
        return rc;
    ba_error err;
    if (ba_catalog_client_rename(cat, argv[2], argv[3], &err))
        return fail(&err);
    char *text = g_strdup_printf("renamed client %s to %s", argv[2], argv[3]);
    print_done(cat, argv[3], text);
    g_free(text);
    return EXIT_OK;
}

static int client_set(ba_catalog *cat, int argc, char **argv)
{
    char *name = NULL, *birth = NULL;
    const GOptionEntry entries[] = {
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "Display name ('' clears it)", "NAME"},
        {"birth-date", 0, 0, G_OPTION_ARG_STRING, &birth, "Birth date ('' clears it)",
         "YYYY-MM-DD"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    if (!cli_parse(&argc, &argv, entries, "set CODE [--name NAME] [--birth-date YYYY-MM-DD]",
                   "Correct a client's display name or birth date.", NULL)) {
        rc = EXIT_USAGE;
    } else if (argc != 3) {
        rc = cli_usage("client", "'client set' takes exactly one CODE");
    } else if (!name && !birth) {
        rc = cli_usage("client", "'client set' needs --name or --birth-date");
    } else if ((rc = cli_need_writable(cat)) == EXIT_OK) {
        ba_error err;
        if (ba_catalog_client_set(cat, argv[2], name, birth, &err)) {
            rc = fail(&err);
        } else {
            char *text = g_strdup_printf("corrected client %s", argv[2]);
            print_done(cat, argv[2], text);
            g_free(text);
        }
    }
    g_free(name);
    g_free(birth);
    return rc;
}

static int client_merge(ba_catalog *cat, int argc, char **argv)
{
    char *into = NULL;
    const GOptionEntry entries[] = {
        {"into", 0, 0, G_OPTION_ARG_STRING, &into, "The client that remains", "CODE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    if (!cli_parse(&argc, &argv, entries, "merge FROM --into TO",
                   "Merge client FROM into TO (one person under two codes): sessions, photos,\n"
                   "consents and comparisons move; sessions on the same date are joined; FROM\n"
                   "is removed.  A conflict is refused and nothing changes.",
                   NULL)) {
        rc = EXIT_USAGE;
    } else if (argc != 3 || !into) {
        rc = cli_usage("client", "'client merge' takes FROM and --into TO");
    } else if ((rc = cli_need_writable(cat)) == EXIT_OK) {
        ba_error err;
        ba_client_merge_result r;
        if (ba_catalog_client_merge(cat, argv[2], into, &r, &err)) {
            rc = fail(&err);
        } else if (g_cli.json) {
            JsonBuilder *b = json_builder_new();
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "kind");
            json_builder_add_string_value(b, "client-merge");
            ba_client c;
            if (ba_catalog_client_get(cat, into, &c, &err) == 0)
                cli_json_str(b, "client", c.code);
            json_builder_set_member_name(b, "client_id");
            json_builder_add_int_value(b, r.into_id);
            cli_json_str(b, "merged", argv[2]);
            const char *names[] = {"sessions_moved", "sessions_joined", "photos", "consents",
                                   "comparisons", "comparisons_stale"};
            int values[] = {r.sessions_moved, r.sessions_joined, r.photos, r.consents,
                            r.comparisons, r.comparisons_stale};
            for (int i = 0; i < 6; i++) {
                json_builder_set_member_name(b, names[i]);
                json_builder_add_int_value(b, values[i]);
            }
            json_builder_end_object(b);
            cli_json_line(b);
        } else {
            cli_say("merged client %s into %s: %d sessions moved, %d joined, %d photos, "
                    "%d consents, %d comparisons (%d now stale)\n",
                    argv[2], into, r.sessions_moved, r.sessions_joined, r.photos, r.consents,
                    r.comparisons, r.comparisons_stale);
        }
    }
    g_free(into);
    return rc;
}

/* ---- dispatch ---------------------------------------------------------------------- */

typedef struct client_sub {
    const char *name;
    int (*run)(ba_catalog *cat, int argc, char **argv);
} client_sub;

static const client_sub SUBS[] = {
    {"add", client_add},
    {"list", client_list},
    {"show", client_show},
    {"rename", client_rename},
    {"set", client_set},
    {"merge", client_merge},
    {"export", cmd_client_record}, /* cmd_client_record.c */
    {"erase", cmd_client_record},
    /* more subcommands: one line each here */
    {NULL, NULL},
};

int cmd_client(ba_catalog *cat, int argc, char **argv)
{
    /* The subcommand is the first word that is neither an option nor the
     * value of one (before it, only the global options can come; --library
     * is the one of them that takes a value, "--name X" is skipped too). */
    const char *sub = NULL;
    for (int i = 1; i < argc && !sub; i++) {
        if (argv[i][0] != '-')
            sub = argv[i];
        else if (!strchr(argv[i], '=') &&
                 (strcmp(argv[i], "--library") == 0 || strcmp(argv[i], "--name") == 0))
            i++;
    }
    for (int i = 0; sub && SUBS[i].name; i++)
        if (strcmp(sub, SUBS[i].name) == 0)
            return SUBS[i].run(cat, argc, argv);
    GString *names = g_string_new(NULL);
    for (int i = 0; SUBS[i].name; i++)
        g_string_append_printf(names, "%s%s", i ? ", " : "", SUBS[i].name);
    if (!sub) {
        /* --help and friends */
        if (!cli_parse(&argc, &argv, NULL, "add|list|show|rename|set|merge ...",
                       "Add, list, show and correct clients.", NULL)) {
            g_string_free(names, TRUE);
            return EXIT_USAGE;
        }
    }
    int rc = sub ? cli_usage("client", "unknown subcommand '%s'; say one of %s", sub, names->str)
                 : cli_usage("client", "say one of %s", names->str);
    g_string_free(names, TRUE);
    return rc;
}
