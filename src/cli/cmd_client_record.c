/* beforeafter client export CODE --to DIR | client erase CODE --confirm CODE
 * [--override-retention REASON] | settings [retention-years [N]] */
#include "cli.h"

static void add_int(JsonBuilder *b, const char *name, gint64 v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, v);
}

static int client_export(ba_catalog *cat, int argc, char **argv)
{
    char *to = NULL;
    const GOptionEntry entries[] = {
        {"to", 0, 0, G_OPTION_ARG_FILENAME, &to, "The new folder to write (outside the library)",
         "DIR"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!cli_parse(&argc, &argv, entries, "export CODE --to DIR",
                   "Write a client's whole record to a new folder: every master (as stored,\n"
                   "metadata-free), every comparison render, consent evidence and record.json\n"
                   "(sessions, photos, consents, exports, the client's audit rows). Audited.",
                   NULL)) {
        g_free(to);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (argc != 3 || !to || strcmp(argv[1], "export") != 0) {
        rc = cli_usage("client", "'client export' takes one CODE and --to DIR");
        goto out;
    }
    if ((rc = cli_need_writable(cat)) != EXIT_OK)
        goto out;
    ba_record_export_result r;
    ba_error err;
    if (ba_record_client_export(cat, argv[2], to, &r, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
    } else if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "client-export");
        cli_json_str(b, "client", r.client);
        add_int(b, "client_id", r.client_id);
        cli_json_str(b, "to", to);
        add_int(b, "masters", r.masters);
        add_int(b, "comparisons", r.comparisons);
        add_int(b, "evidence", r.evidence);
        add_int(b, "bytes", (gint64)r.bytes);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        char *safe = cli_escape(to);
        cli_say("exported client %s to %s: %d masters, %d comparisons, %d evidence files, "
                "record.json\n", r.client, safe, r.masters, r.comparisons, r.evidence);
        g_free(safe);
    }
out:
    g_free(to);
    return rc;
}

static int client_erase(ba_catalog *cat, int argc, char **argv)
{
    char *confirm = NULL, *reason = NULL;
    const GOptionEntry entries[] = {
        {"confirm", 0, 0, G_OPTION_ARG_STRING, &confirm, "The client's code again", "CODE"},
        {"override-retention", 0, 0, G_OPTION_ARG_STRING, &reason,
         "Erase inside the library's retention period, for this reason (kept)", "REASON"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!cli_parse(&argc, &argv, entries, "erase CODE --confirm CODE [--override-retention R]",
                   "Erase a client: masters, renders, evidence, sessions, photos, alignments,\n"
                   "comparisons, consents; the audit log keeps a tombstone without personal\n"
                   "data. Not one byte of the code or name remains in the library.",
                   NULL)) {
        g_free(confirm);
        g_free(reason);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (argc != 3 || strcmp(argv[1], "erase") != 0) {
        rc = cli_usage("client", "'client erase' takes exactly one CODE");
        goto out;
    }
    if ((rc = cli_need_writable(cat)) != EXIT_OK)
        goto out;
    ba_record_erase_result r;
    ba_error err;
    if (ba_record_client_erase(cat, argv[2], confirm, reason, &r, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "client-erase");
        add_int(b, "client_id", r.client_id);
        add_int(b, "audit_id", r.tombstone_id);
        add_int(b, "sessions", r.sessions);
        add_int(b, "photos", r.photos);
        add_int(b, "alignments", r.alignments);
        add_int(b, "comparisons", r.comparisons);
        add_int(b, "consents", r.consents);
        add_int(b, "exports", r.exports);
        add_int(b, "files_removed", r.files_removed);
        add_int(b, "audit_redacted", r.audit_redacted);
        add_int(b, "exports_to_take_down", r.exports_to_take_down);
        json_builder_set_member_name(b, "compacted");
        json_builder_add_boolean_value(b, r.compacted);
        json_builder_set_member_name(b, "warnings");
        json_builder_begin_array(b);
        if (r.warning[0])
            json_builder_add_string_value(b, r.warning);
        json_builder_end_array(b);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        cli_say("erased client %" G_GINT64_FORMAT ": %d sessions, %d photos, %d comparisons, "
                "%d consents, %d files; tombstone: audit row %" G_GINT64_FORMAT "\n",
                r.client_id, r.sessions, r.photos, r.comparisons, r.consents, r.files_removed,
                r.tombstone_id);
        if (r.exports_to_take_down)
            cli_say("%d earlier export%s showed the client: 'beforeafter audit' lists them in "
                    "the tombstone; take them down\n",
                    r.exports_to_take_down, r.exports_to_take_down == 1 ? "" : "s");
    }
    if (r.warning[0]) {
        char *safe = cli_escape(r.warning);
        cli_error("warning: %s", safe);
        g_free(safe);
    }
out:
    g_free(confirm);
    g_free(reason);
    return rc;
}

int cmd_client_record(ba_catalog *cat, int argc, char **argv)
{
    /* As cmd_client chose: the first word that is neither an option nor the
     * value of --library (the global option before it that takes one). */
    const char *sub = NULL;
    for (int i = 1; i < argc && !sub; i++) {
        if (argv[i][0] != '-')
            sub = argv[i];
        else if (strcmp(argv[i], "--library") == 0)
            i++;
    }
    if (g_strcmp0(sub, "export") == 0)
        return client_export(cat, argc, argv);
    return client_erase(cat, argc, argv);
}

int cmd_settings(ba_catalog *cat, int argc, char **argv)
{
    const GOptionEntry none[] = {{NULL, 0, 0, 0, NULL, NULL, NULL}};
    if (!cli_parse(&argc, &argv, none, "[retention-years [N] | rules [PACK] | disclosure [TEXT]]",
                   "Show the library's settings, or set one:\n"
                   "  retention-years N   keep records N years after the newest session:\n"
                   "                      'client erase' refuses a younger record (0: none)\n"
                   "  rules PACK          the rules pack of marketing exports without --rules:\n"
                   "                      uk, au, us or none ('' clears it)\n"
                   "  disclosure TEXT     the caption a rules pack adds to an image without one",
                   NULL))
        return EXIT_USAGE;
    if (!cat)
        return cli_no_library();
    bool text_setting = argc > 1 && (g_strcmp0(argv[1], "rules") == 0 ||
                                      g_strcmp0(argv[1], "disclosure") == 0);
    if (argc > 1 && g_strcmp0(argv[1], "retention-years") != 0 && !text_setting)
        return cli_usage("settings", "unknown setting '%s'; say 'retention-years', 'rules' or "
                         "'disclosure'", argv[1]);
    if (argc > 3)
        return cli_usage("settings", "unexpected argument '%s'", argv[3]);
    ba_error err;
    if (text_setting && argc == 3) {
        int rc = cli_need_writable(cat);
        if (rc != EXIT_OK)
            return rc;
        if (ba_consent_setting_set(cat, argv[1], argv[2], &err)) {
            cli_report_error(NULL, &err);
            return cli_exit_for(&err, CLI_ABOUT_INPUT);
        }
    }
    if (argc == 3 && !text_setting) {
        gint64 n = 0;
        if (!cli_parse_id(argv[2], &n) && g_strcmp0(argv[2], "0") != 0)
            return cli_usage("settings", "retention-years takes a whole number of years, not "
                             "'%s'", argv[2]);
        int rc = cli_need_writable(cat);
        if (rc != EXIT_OK)
            return rc;
        if (ba_record_retention_set(cat, (int)CLAMP(n, -1, 100000), &err)) {
            cli_report_error(NULL, &err);
            return cli_exit_for(&err, CLI_ABOUT_INPUT);
        }
    }
    int years = 0;
    if (ba_record_retention_get(cat, &years, &err)) {
        cli_report_error(NULL, &err);
        return cli_exit_for(&err, CLI_ABOUT_LIBRARY);
    }
    char *rules = NULL, *disclosure = NULL;
    if (ba_consent_setting_get(cat, "rules", &rules, &err) ||
        ba_consent_setting_get(cat, "disclosure", &disclosure, &err)) {
        g_free(rules);
        cli_report_error(NULL, &err);
        return cli_exit_for(&err, CLI_ABOUT_LIBRARY);
    }
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "settings");
        cli_json_str(b, "timezone", ba_catalog_timezone(cat));
        add_int(b, "retention_years", years);
        cli_json_str(b, "rules", rules ? rules : "none");
        cli_json_str(b, "disclosure", disclosure);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        cli_say("timezone         %s\n", ba_catalog_timezone(cat));
        cli_say("retention-years  %d\n", years);
        cli_say("rules            %s\n", rules ? rules : "none");
        cli_say("disclosure       %s\n", disclosure ? disclosure : "-");
    }
    g_free(rules);
    g_free(disclosure);
    return EXIT_OK;
}
