/* beforeafter verify [--repair]: one line per problem, exit 1 when any. */
#include "cli.h"

static const char *kind_name(ba_problem_kind k)
{
    switch (k) {
    case BA_PROBLEM_CATALOG: return "catalog";
    case BA_PROBLEM_MISSING: return "missing";
    case BA_PROBLEM_CORRUPT: return "corrupt";
    case BA_PROBLEM_METADATA: return "metadata";
    case BA_PROBLEM_ORPHAN: return "orphan";
    case BA_PROBLEM_STRAY_TMP: return "stray-tmp";
    case BA_PROBLEM_AUDIT: return "audit";
    case BA_PROBLEM_EVIDENCE: return "evidence";
    case BA_PROBLEM_RENDER: return "render";
    case BA_PROBLEM_FOREIGN: return "foreign";
    case BA_PROBLEM_PENDING_EXPORT: return "pending-export";
    case BA_PROBLEM_MODE: return "mode";
    }
    return "problem";
}

static void on_problem(const ba_problem *p, void *ud)
{
    size_t *repaired = ud;
    if (p->repaired)
        (*repaired)++;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "problem");
        json_builder_set_member_name(b, "problem");
        json_builder_add_string_value(b, kind_name(p->kind));
        json_builder_set_member_name(b, "photo_id");
        if (p->photo_id)
            json_builder_add_int_value(b, p->photo_id);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, p->path);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, p->message);
        json_builder_set_member_name(b, "repaired");
        json_builder_add_boolean_value(b, p->repaired);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        /* Problems are the result: printed even with -q, escaped (paths are names). */
        char *safe = cli_escape(p->message);
        printf("%s: %s\n", kind_name(p->kind), safe);
        g_free(safe);
    }
}

int cmd_verify(ba_catalog *cat, int argc, char **argv)
{
    gboolean repair = FALSE;
    const GOptionEntry entries[] = {
        {"repair", 0, 0, G_OPTION_ARG_NONE, &repair,
         "Remove orphan masters and stale files, move foreign files and damaged render "
         "copies to lost+found/, mark photos whose master is gone or damaged", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!cli_parse(&argc, &argv, entries, "[--repair]",
                   "Check the library: catalog integrity and foreign keys, the audit log's hash\n"
                   "chain and triggers, every master present, intact (SHA-256 = its name) and\n"
                   "metadata-free, render copies and consent evidence intact, no unreferenced,\n"
                   "foreign or stale files. Safe while other commands write to the library.\n"
                   "Rows are never deleted: --repair marks photos, and reports what it cannot\n"
                   "restore (audit log, evidence).",
                   "Exit codes: 0 no problem, 1 problems found (even when repaired), 3 library "
                   "unusable."))
        return EXIT_USAGE;
    if (argc > 1)
        return cli_usage("verify", "unexpected argument '%s'", argv[1]);
    /* Plain verify also checks a library this process cannot write (a
     * read-only mount, someone else's folder): it then re-checks orphans
     * without the write lock and repairs nothing.  --repair needs to write. */
    if (!cat)
        return cli_no_library();
    if (repair && cli_need_writable(cat) != EXIT_OK)
        return EXIT_LIBRARY;
    size_t n = 0;
    ba_error err;
    size_t repaired = 0;
    if (ba_verify_library(cat, repair, on_problem, &repaired, &n, &err)) {
        cli_report_error(NULL, &err);
        return cli_exit_for(&err, CLI_ABOUT_LIBRARY);
    }
    if (g_cli.json) {
        /* The verdict, clean or not: one object after the problems. */
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "verify");
        cli_json_str(b, "library", cli_library_dir());
        json_builder_set_member_name(b, "problems");
        json_builder_add_int_value(b, (gint64)n);
        json_builder_set_member_name(b, "repaired");
        json_builder_add_int_value(b, (gint64)repaired);
        json_builder_set_member_name(b, "clean");
        json_builder_add_boolean_value(b, n == 0);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet && n == 0)
        cli_say("library %s: no problems\n", cli_library_dir());
    return n ? EXIT_PARTIAL : EXIT_OK;
}
