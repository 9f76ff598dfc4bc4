/* beforeafter batch ingest|compare: many photos or comparisons, in parallel. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "cli.h"

static int batch_ingest(ba_catalog *cat, int argc, char **argv, const ba_ingest_options *defaults,
                        int jobs, gboolean create_clients, const char *layout, const char *report,
                        gboolean dry_run)
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
        cli_batch_mode(NULL, dry_run);
    } else {
        if (layout) {
            rc = cli_usage("batch", "--layout applies to folders, and %s is not one", source);
            goto out;
        }
        rc = ba_batch_read_manifest(source, &list, &err);
        cli_batch_mode(source, dry_run);
    }
    if (rc) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_ARGUMENT);
        goto out;
    }
    rc = cat ? cli_run_batch(cat, &list, defaults, jobs, create_clients, report, TRUE)
             : cli_no_library();
out:
    ba_batch_list_clear(&list);
    return rc;
}

static volatile int compare_cancel;

static void on_compare_signal(int sig)
{
    compare_cancel = 1;
    signal(sig, SIG_DFL);
}

typedef struct compare_out {
    FILE *report;
} compare_out;

static void on_compare(const ba_batch_compare_event *ev, void *ud)
{
    compare_out *co = ud;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    cli_json_str(b, "kind", "batch-compare");
    json_builder_set_member_name(b, "client");
    json_builder_add_string_value(b, ev->client);
    json_builder_set_member_name(b, "area");
    json_builder_add_string_value(b, ev->area);
    json_builder_set_member_name(b, "output");
    json_builder_add_string_value(b, ev->output);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, ev->result ? "rendered" : "error");
    if (ev->result) {
        json_builder_set_member_name(b, "comparison_id");
        json_builder_add_int_value(b, ev->result->id);
        json_builder_set_member_name(b, "sha256");
        json_builder_add_string_value(b, ev->result->sha256);
        json_builder_set_member_name(b, "warnings");
        json_builder_begin_array(b);
        for (int i = 0; i < ev->result->n_warnings; i++)
            json_builder_add_string_value(b, ev->result->warnings[i]);
        json_builder_end_array(b);
    } else {
        char *text = cli_error_text(ev->error);
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, text);
        g_free(text);
    }
    json_builder_end_object(b);
    if (co->report)
        cli_json_write(co->report, b);
    if (g_cli.json) {
        cli_json_line(b);
    } else {
        g_object_unref(b);
        if (ev->result)
            cli_say("[%zu/%zu] %s %s -> %s (comparison %" G_GINT64_FORMAT ")\n", ev->done,
                    ev->total, ev->client, ev->area, ev->output, ev->result->id);
    }
    if (ev->error) {
        char *what = g_strdup_printf("%s %s", ev->client, ev->area);
        cli_report_error(what, ev->error);
        g_free(what);
    }
}

static int batch_compare(ba_catalog *cat, int argc, char **argv, const char *layout,
                         const char *out_dir,
                         const char *format, const char *view, int jobs, const char *report,
                         const char *labels, int width, int height, const char *caption)
{
    if (argc != 2)
        return cli_usage("batch", "'batch compare' takes options only, not '%s'", argv[2]);
    if (!out_dir)
        return cli_usage("batch", "'batch compare' needs --out DIR");
    ba_batch_compare_options o;
    memset(&o, 0, sizeof o);
    ba_compose_options_init(&o.compose);
    int lay = ba_layout_parse(layout ? layout : "side-by-side");
    int lab = ba_label_style_parse(labels ? labels : "full");
    if (lay < 0 || lab < 0)
        return cli_usage("batch", "unknown --layout or --label-style");
    const char *ext = format ? format : "png";
    if (strcmp(ext, "png") != 0 && strcmp(ext, "jpg") != 0 && strcmp(ext, "webp") != 0)
        return cli_usage("batch", "--format is png, jpg or webp");
    if (view && !ba_view_valid(view))
        return cli_usage("batch", "invalid --view '%s'", view);
    if ((width != CLI_UNSET && width < 1) || (height != CLI_UNSET && height < 1))
        return cli_usage("batch", "--width and --height must be 1 or more");
    if (cli_jobs_option("batch", &jobs) != EXIT_OK)
        return EXIT_USAGE;
    o.compose.layout = (ba_layout)lay;
    o.compose.labels = (ba_label_style)lab;
    o.compose.width = width == CLI_UNSET ? 0 : width; /* upper bounds: the library's */
    o.compose.height = height == CLI_UNSET ? 0 : height;
    o.compose.caption = caption;
    o.jobs = jobs;
    o.out_dir = out_dir;
    o.extension = ext;
    o.view = view;
    compare_out co = {0};
    cli_report rep;
    if (cli_report_open(&rep, report))
        return EXIT_USAGE;
    co.report = rep.fp;
    o.on_result = on_compare;
    o.ud = &co;
    o.cancel = &compare_cancel;
    if (!cat) {
        cli_report_close(&rep, FALSE);
        return cli_no_library();
    }
    signal(SIGINT, on_compare_signal);
    signal(SIGTERM, on_compare_signal);
    ba_batch_summary sum;
    ba_error err;
    int rc = ba_batch_compare(cat, &o, &sum, &err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    cli_report_close(&rep, TRUE);
    if (rc) {
        /* Before any render: the output folder or the options are at fault. */
        cli_report_error(NULL, &err);
        return cli_exit_for(&err, CLI_ABOUT_ARGUMENT);
    }
    if (!g_cli.json && !g_cli.quiet)
        printf("%zu rendered, %zu failed%s in %.1f s\n", sum.ingested, sum.failed,
               sum.cancelled ? " (interrupted)" : "", sum.seconds);
    if (sum.library_error)
        return EXIT_LIBRARY;
    if (sum.cancelled)
        return 130;
    return sum.failed ? EXIT_PARTIAL : EXIT_OK;
}

int cmd_batch(ba_catalog *cat, int argc, char **argv)
{
    char *client = NULL, *area = NULL, *stage = NULL, *view = NULL, *date = NULL,
         *treatment = NULL, *layout = NULL, *report = NULL, *out_dir = NULL, *format = NULL,
         *labels = NULL, *caption = NULL;
    int width = CLI_UNSET, height = CLI_UNSET;
    gboolean all_pairs = FALSE;
    double max_mp = BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    int quality = BA_INGEST_DEFAULT_QUALITY, jobs = CLI_UNSET;
    gboolean create_clients = FALSE, dry_run = FALSE;
    const GOptionEntry entries[] = {
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "ingest: check every row (files and their headers, clients, areas, dates, duplicate "
         "rows) and write nothing; exit 0 when all would pass",
         NULL},
        {"layout", 0, 0, G_OPTION_ARG_STRING, &layout,
         "ingest: folder template, e.g. \"{client}/{area}/{date}/{stage}\"; compare: "
         "side-by-side, stacked or timeline",
         "LAYOUT"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out_dir, "compare: output folder", "DIR"},
        {"all-pairs", 0, 0, G_OPTION_ARG_NONE, &all_pairs,
         "compare: first vs last session of every client and area (the default)", NULL},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format, "compare: png (default), jpg, webp", "EXT"},
        {"label-style", 0, 0, G_OPTION_ARG_STRING, &labels, "compare: none, stage, date, full",
         "STYLE"},
        {"width", 0, 0, G_OPTION_ARG_INT, &width, "compare: output width", "PX"},
        {"height", 0, 0, G_OPTION_ARG_INT, &height, "compare: output height", "PX"},
        {"caption", 0, 0, G_OPTION_ARG_STRING, &caption, "compare: footer text", "TEXT"},
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
    if (!cli_parse(&argc, &argv, entries,
                   "ingest (MANIFEST.csv | FOLDER --layout TEMPLATE) | compare --out DIR",
                   "Ingest many photos: a CSV manifest with the columns\n"
                   "file,client,area,stage,date,view,treatment (file, client, area required), or\n"
                   "a folder whose sub-folders follow --layout. N photos at once, one writer to\n"
                   "the catalog; re-running an interrupted batch finishes the rest.\n"
                   "'batch compare' renders first vs last session (or a timeline) of every\n"
                   "client and area with two or more sessions, in parallel.",
                   "Exit codes: 0 all done, 1 some inputs failed (the rest are in), 2 usage "
                   "error,\n3 library unusable, 130 interrupted.")) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (argc >= 2 && g_strcmp0(argv[1], "compare") == 0) {
        (void)all_pairs; /* first vs last is what compare does without --layout timeline */
        rc = batch_compare(cat, argc, argv, layout, out_dir, format, view, jobs, report, labels,
                           width, height, caption);
        goto out;
    }
    if (argc < 2 || g_strcmp0(argv[1], "ingest") != 0) {
        rc = cli_usage("batch", argc < 2 ? "say 'batch ingest MANIFEST|FOLDER' or 'batch compare'"
                                         : "unknown subcommand; say 'batch ingest' or 'batch compare'");
        goto out;
    }
    ba_ingest_options o;
    rc = cli_ingest_options("batch", &o, client, area, stage, view, date, treatment, max_mp,
                            quality, &jobs);
    if (rc != EXIT_OK)
        goto out;
    rc = batch_ingest(cat, argc, argv, &o, jobs, create_clients, layout, report, dry_run);
out:
    g_free(client);
    g_free(area);
    g_free(stage);
    g_free(view);
    g_free(date);
    g_free(treatment);
    g_free(layout);
    g_free(report);
    g_free(out_dir);
    g_free(format);
    g_free(labels);
    g_free(caption);
    return rc;
}
