/* beforeafter consent grant|revoke|list */
#include <string.h>

#include "cli.h"

static int print_consent(const ba_consent *c, void *ud)
{
    const char *today = ud;
    gboolean active = ba_consent_is_active(c, today);
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "consent");
        json_builder_set_member_name(b, "consent_id");
        json_builder_add_int_value(b, c->id);
        cli_json_str(b, "client", c->client);
        cli_json_str(b, "scope", c->scope);
        cli_json_str(b, "granted_at", c->granted_at);
        cli_json_str(b, "expires_at", c->expires_at);
        cli_json_str(b, "revoked_at", c->revoked_at);
        json_builder_set_member_name(b, "active");
        json_builder_add_boolean_value(b, active);
        cli_json_str(b, "evidence", c->evidence_path);
        cli_json_str(b, "evidence_sha256", c->evidence_sha256);
        cli_json_str(b, "evidence_original_sha256", c->evidence_original_sha256);
        /* A list is an array; none stored means any mode is allowed: null. */
        json_builder_set_member_name(b, "allowed_deidentification");
        if (c->allowed_deidentification[0]) {
            char **modes = g_strsplit(c->allowed_deidentification, ",", -1);
            json_builder_begin_array(b);
            for (char **m = modes; *m; m++)
                if (**m)
                    json_builder_add_string_value(b, *m);
            json_builder_end_array(b);
            g_strfreev(modes);
        } else {
            json_builder_add_null_value(b);
        }
        cli_json_str(b, "note", c->note);
        cli_json_str(b, "recorded_at", c->recorded_at);
        json_builder_end_object(b);
        cli_json_line(b);
        return 0;
    }
    if (g_cli.quiet)
        return 0;
    char state[64];
    ba_consent_state st = ba_consent_state_on(c, today);
    if (st == BA_CONSENT_STATE_REVOKED)
        snprintf(state, sizeof state, "revoked %.10s", c->revoked_at);
    else
        g_strlcpy(state, ba_consent_state_name(st), sizeof state);
    cli_say("consent %-4" G_GINT64_FORMAT " %-12s %-10s %s..%-10s %-18s evidence %s; allows %s%s%s\n",
           c->id, c->client, c->scope, c->granted_at, c->expires_at[0] ? c->expires_at : "",
           state, c->evidence_path[0] ? c->evidence_path : "none",
           c->allowed_deidentification[0] ? c->allowed_deidentification : "any",
           c->note[0] ? "; " : "", c->note);
    return 0;
}

int cmd_consent(ba_catalog *cat, int argc, char **argv)
{
    char *scope = NULL, *evidence = NULL, *expires = NULL, *granted = NULL, *allow = NULL,
         *note = NULL;
    const GOptionEntry entries[] = {
        {"scope", 0, 0, G_OPTION_ARG_STRING, &scope, "clinical, education or marketing",
         "SCOPE"},
        {"evidence", 0, 0, G_OPTION_ARG_FILENAME, &evidence,
         "The signed form (PDF, or an image: stored without metadata)", "FILE"},
        {"expires", 0, 0, G_OPTION_ARG_STRING, &expires, "Last day the consent holds",
         "YYYY-MM-DD"},
        {"granted", 0, 0, G_OPTION_ARG_STRING, &granted, "Day it was given (default today)",
         "YYYY-MM-DD"},
        {"allow-deidentify", 0, 0, G_OPTION_ARG_STRING, &allow,
         "Allowed de-identifications: none,eyes,half-letterbox,blur-face (default any)", "LIST"},
        {"note", 0, 0, G_OPTION_ARG_STRING, &note, "Free text", "TEXT"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    if (!cli_parse(&argc, &argv, entries,
                   "grant CODE --scope S [...] | revoke CODE --scope S | list [CODE]",
                   "Record, revoke or list a client's consent to education or marketing use\n"
                   "of their photos (clinical use is implied for every client).",
                   "'revoke' prints every export made under the revoked consent: the images to\n"
                   "take down.  Exit codes: 0 done, 2 bad input (nothing recorded), 3 library "
                   "unusable.")) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (argc < 2) {
        rc = cli_usage("consent", "say 'grant CODE', 'revoke CODE' or 'list [CODE]'");
        goto out;
    }
    const char *sub = argv[1];
    gboolean is_grant = strcmp(sub, "grant") == 0, is_revoke = strcmp(sub, "revoke") == 0,
             is_list = strcmp(sub, "list") == 0;
    if (!is_grant && !is_revoke && !is_list) {
        rc = cli_usage("consent", "unknown subcommand '%s'; say 'grant', 'revoke' or 'list'", sub);
        goto out;
    }
    if ((is_grant || is_revoke) && argc != 3) {
        rc = cli_usage("consent", "'consent %s' takes exactly one client CODE", sub);
        goto out;
    }
    if (is_list && argc > 3) {
        rc = cli_usage("consent", "'consent list' takes at most one client CODE");
        goto out;
    }
    if ((is_grant || is_revoke) && !scope) {
        rc = cli_usage("consent", "'consent %s' needs --scope clinical|education|marketing", sub);
        goto out;
    }
    if (!is_grant && (evidence || expires || granted || allow || note)) {
        rc = cli_usage("consent", "--evidence, --expires, --granted, --allow-deidentify and "
                                  "--note belong to 'consent grant'");
        goto out;
    }
    if (is_list && scope) {
        rc = cli_usage("consent", "'consent list' takes no --scope");
        goto out;
    }
    rc = is_list ? (cat ? EXIT_OK : cli_no_library()) : cli_need_writable(cat);
    if (rc != EXIT_OK)
        goto out;
    ba_error err;
    char day[BA_DATE_MAX];
    ba_catalog_today(cat, day);
    if (is_grant) {
        ba_consent_grant_options o;
        ba_consent_grant_options_init(&o);
        o.client = argv[2];
        o.scope = scope;
        o.evidence = evidence;
        o.expires = expires;
        o.granted = granted;
        o.allow_deidentify = allow;
        o.note = note;
        ba_consent c;
        if (ba_consent_grant(cat, &o, &c, &err)) {
            /* The evidence file is the command's own argument: bad, it is bad input. */
            cli_report_error("consent grant", &err);
            rc = cli_exit_for(&err, CLI_ABOUT_ARGUMENT);
        } else {
            if (!g_cli.json)
                cli_say("recorded ");
            print_consent(&c, day);
        }
    } else if (is_revoke) {
        int n = 0;
        GString *takedown = g_string_new(NULL);
        if (ba_consent_revoke(cat, argv[2], scope, cli_print_takedown, takedown, &n, &err)) {
            cli_report_error("consent revoke", &err);
            rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        } else if (g_cli.json) {
            JsonBuilder *b = json_builder_new();
            json_builder_begin_object(b);
            cli_json_str(b, "kind", "revoked");
            cli_json_str(b, "client", argv[2]);
            cli_json_str(b, "scope", scope);
            json_builder_set_member_name(b, "consents_revoked");
            json_builder_add_int_value(b, n);
            json_builder_end_object(b);
            cli_json_line(b);
        } else {
            cli_say("revoked %d %s consent(s) of %s; %s\n", n, scope, argv[2],
                    takedown->len ? "take these exports down:" : "no exports to take down");
        }
        if (rc == EXIT_OK && (g_cli.json || !g_cli.quiet))
            fputs(takedown->str, stdout);
        g_string_free(takedown, TRUE);
    } else {
        if (ba_consent_list(cat, argc == 3 ? argv[2] : NULL, print_consent, day, &err)) {
            cli_report_error("consent list", &err);
            rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        }
    }
out:
    g_free(scope);
    g_free(evidence);
    g_free(expires);
    g_free(granted);
    g_free(allow);
    g_free(note);
    return rc;
}
