/* beforeafter photo set|retract|restore: corrections of one photo.
 *
 * One function per subcommand, each parsing its own options and calling one
 * library function (catalog.h, "corrections: photos"). */
#include <string.h>

#include "cli.h"

static int fail(const ba_error *err)
{
    cli_report_error(NULL, err);
    return cli_exit_for(err, CLI_ABOUT_INPUT);
}

/* The photo as it now is, with what happened to it (@status). */
static void print_result(const ba_photo *p, const char *status)
{
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_photo_members(b, p, FALSE);
        cli_json_str(b, "status", status);
        json_builder_end_object(b);
        cli_json_line(b);
        return;
    }
    char *areas = cli_photo_areas(p);
    cli_say("photo %" G_GINT64_FORMAT " %s: client %s, area%s %s, stage %s, view %s, session %s "
            "(#%d)%s\n",
            p->id, status, p->client, p->n_areas > 1 ? "s" : "", areas, p->stage, p->view,
            p->session_date, p->session_number, p->retracted_at[0] ? ", retracted" : "");
    g_free(areas);
}

/* argv after parsing must be "beforeafter photo SUB ID". */
static gboolean one_id(int argc, char **argv, const char *sub, gint64 *id)
{
    if (argc != 3 || !cli_parse_id(argv[2], id)) {
        cli_usage("photo", "'photo %s' takes one photo ID (a positive number)", sub);
        return FALSE;
    }
    return TRUE;
}

static int photo_set(ba_catalog *cat, int argc, char **argv)
{
    char *area = NULL, *stage = NULL, *view = NULL, *date = NULL;
    const GOptionEntry entries[] = {
        {"area", 0, 0, G_OPTION_ARG_STRING, &area,
         "Every area the photo shows, separated by commas (the first is the primary)",
         "AREA[,AREA...]"},
        {"stage", 0, 0, G_OPTION_ARG_STRING, &stage, "before, after or progress", "STAGE"},
        {"view", 0, 0, G_OPTION_ARG_STRING, &view,
         "frontal, left-45, right-45, left-90, right-90, other", "VIEW"},
        {"date", 0, 0, G_OPTION_ARG_STRING, &date,
         "Move the photo to the client's session on this date (created if needed)",
         "YYYY-MM-DD"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    gint64 id = 0;
    if (!cli_parse(&argc, &argv, entries,
                   "set ID [--area A[,B...]] [--stage S] [--view V] [--date YYYY-MM-DD]",
                   "Correct a photo's areas, stage, view or session date.  Its stored\n"
                   "alignments and comparisons are marked stale; the change is audited.",
                   "A field given with the value it already has changes nothing: the photo is\n"
                   "reported 'unchanged' (exit 0) and nothing is audited.")) {
        rc = EXIT_USAGE;
    } else if (!one_id(argc, argv, "set", &id)) {
        rc = EXIT_USAGE;
    } else if (!area && !stage && !view && !date) {
        rc = cli_usage("photo", "'photo set' needs --area, --stage, --view or --date");
    } else if ((rc = cli_need_writable(cat)) == EXIT_OK) {
        ba_photo_change ch = {area, stage, view, date};
        ba_photo p;
        ba_error err;
        int r = ba_catalog_photo_set(cat, id, &ch, &p, &err);
        if (r < 0)
            rc = fail(&err);
        else
            print_result(&p, r == 0 ? "corrected" : "unchanged");
    }
    g_free(area);
    g_free(stage);
    g_free(view);
    g_free(date);
    return rc;
}

static int photo_retract(ba_catalog *cat, int argc, char **argv)
{
    char *reason = NULL;
    const GOptionEntry entries[] = {
        {"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why (required; kept in the record)",
         "TEXT"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    gint64 id = 0;
    if (!cli_parse(&argc, &argv, entries, "retract ID --reason TEXT",
                   "Retract a photo: it leaves lists, comparisons and exports but stays in the\n"
                   "record and on disk ('photo restore' undoes it).",
                   NULL)) {
        rc = EXIT_USAGE;
    } else if (!one_id(argc, argv, "retract", &id)) {
        rc = EXIT_USAGE;
    } else if (!reason || !*reason) {
        rc = cli_usage("photo", "'photo retract' needs --reason TEXT");
    } else if ((rc = cli_need_writable(cat)) == EXIT_OK) {
        ba_photo p;
        ba_error err;
        if (ba_catalog_photo_retract(cat, id, reason, &p, &err))
            rc = fail(&err);
        else
            print_result(&p, "retracted");
    }
    g_free(reason);
    return rc;
}

static int photo_restore(ba_catalog *cat, int argc, char **argv)
{
    int rc = EXIT_OK;
    gint64 id = 0;
    if (!cli_parse(&argc, &argv, NULL, "restore ID", "Undo the retraction of a photo.", NULL)) {
        rc = EXIT_USAGE;
    } else if (!one_id(argc, argv, "restore", &id)) {
        rc = EXIT_USAGE;
    } else if ((rc = cli_need_writable(cat)) == EXIT_OK) {
        ba_photo p;
        ba_error err;
        if (ba_catalog_photo_restore(cat, id, &p, &err))
            rc = fail(&err);
        else
            print_result(&p, "restored");
    }
    return rc;
}

typedef struct photo_sub {
    const char *name;
    int (*run)(ba_catalog *cat, int argc, char **argv);
} photo_sub;

static const photo_sub SUBS[] = {
    {"set", photo_set},
    {"retract", photo_retract},
    {"restore", photo_restore},
    {NULL, NULL},
};

int cmd_photo(ba_catalog *cat, int argc, char **argv)
{
    /* The subcommand is the first word that is neither an option nor the
     * value of --library. */
    const char *sub = NULL;
    for (int i = 1; i < argc && !sub; i++) {
        if (strcmp(argv[i], "--library") == 0) {
            i++;
            continue;
        }
        if (argv[i][0] != '-')
            sub = argv[i];
    }
    for (int i = 0; sub && SUBS[i].name; i++)
        if (strcmp(sub, SUBS[i].name) == 0)
            return SUBS[i].run(cat, argc, argv);
    if (!sub && !cli_parse(&argc, &argv, NULL, "set|retract|restore ID ...",
                           "Correct, retract or restore a photo.", NULL))
        return EXIT_USAGE;
    return sub ? cli_usage("photo", "unknown subcommand '%s'; say one of set, retract, restore",
                           sub)
               : cli_usage("photo", "say one of set, retract, restore");
}
