/* beforeafter batch ingest: a manifest or a folder, in parallel, resumable. */
#include "cli.h"

static int batch_ingest(int argc, char **argv, const ba_ingest_options *defaults, int jobs,
                        gboolean create_clients, const char *layout, const char *report)
{
    if (argc != 3)
        return cli_usage("batch", "'batch ingest' takes one MANIFEST.csv or FOLDER");
    const char *source = argv[2];
    ba_batch_list list;
    ba_batch_list_init(&list);
    ba_error err;
    int rc;
    if (g_file_test(source, G_FILE_TEST_IS_DIR)) {
        if (!layout) {
            rc = cli_usage("batch", "a folder needs --layout, e.g. \"{client}/{area}/{date}/{stage}\"");
            goto out;
        }
        rc = ba_batch_scan_folder(source, layout, &list, &err);
    } else {
        if (layout) {
            rc = cli_usage("batch", "--layout applies to folders, and %s is not one", source);
            goto out;
        }
        rc = ba_batch_read_manifest(source, &list, &err);
    }
    if (rc) {
        cli_error("%s", err.message);
        rc = EXIT_USAGE;
        goto out;
    }
    ba_catalog *cat = cli_open_library();
    if (!cat) {
        rc = EXIT_LIBRARY;
        goto out;
    }
    rc = cli_run_batch(cat, &list, defaults, jobs, create_clients, report, TRUE);
    ba_catalog_close(cat);
out:
    ba_batch_list_clear(&list);
    return rc;
}

int cmd_batch(int argc, char **argv)
{
    char *client = NULL, *area = NULL, *stage = NULL, *view = NULL, *date = NULL,
         *treatment = NULL, *layout = NULL, *report = NULL;
    double max_mp = BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    int quality = BA_INGEST_DEFAULT_QUALITY, jobs = 0;
    gboolean create_clients = FALSE;
    const GOptionEntry entries[] = {
        {"layout", 0, 0, G_OPTION_ARG_STRING, &layout,
         "Folder template, e.g. \"{client}/{area}/{date}/{stage}\"", "TEMPLATE"},
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Photos processed at once (default: cores)", "N"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &report, "Write one JSON line per input", "FILE"},
        {"create-clients", 0, 0, G_OPTION_ARG_NONE, &create_clients,
         "Add clients that do not exist yet", NULL},
        {"client", 0, 0, G_OPTION_ARG_STRING, &client, "Default client", "CODE"},
        {"area", 0, 0, G_OPTION_ARG_STRING, &area, "Default area", "AREA"},
        {"stage", 0, 0, G_OPTION_ARG_STRING, &stage, "Default stage", "STAGE"},
        {"view", 0, 0, G_OPTION_ARG_STRING, &view, "Default view", "VIEW"},
        {"date", 0, 0, G_OPTION_ARG_STRING, &date, "Default session date", "YYYY-MM-DD"},
        {"treatment", 0, 0, G_OPTION_ARG_STRING, &treatment, "Default treatment", "TEXT"},
        {"max-megapixels", 0, 0, G_OPTION_ARG_DOUBLE, &max_mp,
         "Refuse images larger than this (default 100)", "N"},
        {"master-quality", 0, 0, G_OPTION_ARG_INT, &quality,
         "JPEG quality of the masters (default 95)", "Q"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc;
    if (!cli_parse(&argc, &argv, entries, "ingest (MANIFEST.csv | FOLDER --layout TEMPLATE)",
                   "Ingest many photos: a CSV manifest with the columns\n"
                   "file,client,area,stage,date,view,treatment (file, client, area required), or\n"
                   "a folder whose sub-folders follow --layout. N photos at once, one writer to\n"
                   "the catalog; re-running an interrupted batch finishes the rest.",
                   "Exit codes: 0 all done, 1 some inputs failed (the rest are in), 2 usage "
                   "error,\n3 library unusable, 130 interrupted.")) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (argc < 2 || g_strcmp0(argv[1], "ingest") != 0) {
        rc = cli_usage("batch", argc < 2 ? "say 'batch ingest MANIFEST|FOLDER'"
                                         : "unknown subcommand; say 'batch ingest'");
        goto out;
    }
    ba_error err;
    if (jobs < 0 || quality < 1 || quality > 100 || !(max_mp > 0)) {
        rc = cli_usage("batch", "--jobs, --master-quality (1..100) and --max-megapixels must be "
                                "positive");
        goto out;
    }
    if ((stage && !ba_stage_valid(stage)) || (view && !ba_view_valid(view))) {
        rc = cli_usage("batch", "invalid --stage or --view");
        goto out;
    }
    if (date && ba_date_check(date, &err)) {
        rc = cli_usage("batch", "--date: %s", err.message);
        goto out;
    }
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.client = client;
    o.area = area;
    o.stage = stage;
    o.view = view;
    o.date = date;
    o.treatment = treatment;
    o.max_megapixels = max_mp;
    o.master_quality = quality;
    rc = batch_ingest(argc, argv, &o, jobs, create_clients, layout, report);
out:
    g_free(client);
    g_free(area);
    g_free(stage);
    g_free(view);
    g_free(date);
    g_free(treatment);
    g_free(layout);
    g_free(report);
    return rc;
}
