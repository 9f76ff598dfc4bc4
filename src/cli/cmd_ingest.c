/* beforeafter ingest: photos into the library, one result per file. */
#include <stdio.h>

#include "cli.h"

static void print_result(const char *file, const ba_ingest_result *r, const ba_error *err)
{
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "file");
        json_builder_add_string_value(b, file);
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, err ? "error"
                                         : r->status == BA_INGEST_DUPLICATE ? "duplicate"
                                                                            : "ingested");
        if (err) {
            json_builder_set_member_name(b, "error");
            json_builder_add_string_value(b, err->message);
        } else {
            json_builder_set_member_name(b, "photo_id");
            json_builder_add_int_value(b, r->photo_id);
            json_builder_set_member_name(b, "master");
            json_builder_add_string_value(b, r->master);
            if (r->warning[0]) {
                json_builder_set_member_name(b, "warning");
                json_builder_add_string_value(b, r->warning);
            }
        }
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!err) {
        cli_say("%s %s -> photo %" G_GINT64_FORMAT " (%s)\n",
                r->status == BA_INGEST_DUPLICATE ? "duplicate" : "ingested", file, r->photo_id,
                r->master);
    }
    if (err)
        cli_error("%s", err->message);
    else if (r->warning[0] && !g_cli.quiet)
        cli_error("%s: warning: %s", file, r->warning);
}

int cmd_ingest(int argc, char **argv)
{
    char *client = NULL, *area = NULL, *stage = NULL, *view = NULL, *date = NULL,
         *treatment = NULL;
    double max_mp = BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    int quality = BA_INGEST_DEFAULT_QUALITY;
    const GOptionEntry entries[] = {
        {"client", 0, 0, G_OPTION_ARG_STRING, &client, "Client code (required)", "CODE"},
        {"area", 0, 0, G_OPTION_ARG_STRING, &area, "Treatment area (required)", "AREA"},
        {"stage", 0, 0, G_OPTION_ARG_STRING, &stage,
         "before, after or progress (default progress)", "STAGE"},
        {"view", 0, 0, G_OPTION_ARG_STRING, &view,
         "frontal (default), left-45, right-45, left-90, right-90, other", "VIEW"},
        {"date", 0, 0, G_OPTION_ARG_STRING, &date,
         "Session date (default: the photo's EXIF DateTimeOriginal)", "YYYY-MM-DD"},
        {"treatment", 0, 0, G_OPTION_ARG_STRING, &treatment, "Treatment of the session",
         "TEXT"},
        {"max-megapixels", 0, 0, G_OPTION_ARG_DOUBLE, &max_mp,
         "Refuse images larger than this (default 100)", "N"},
        {"master-quality", 0, 0, G_OPTION_ARG_INT, &quality,
         "JPEG quality of the masters (default 95)", "Q"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    ba_catalog *cat = NULL;
    if (!cli_parse(&argc, &argv, entries, "--client CODE --area AREA [OPTIONS] FILE...",
                   "Ingest photos (JPEG, PNG, HEIC/HEIF, TIFF, WebP): read the capture date and\n"
                   "camera from EXIF, apply the orientation, convert to sRGB, strip every\n"
                   "metadata block and store a content-addressed master.",
                   "Exit codes: 0 all ingested or duplicate, 1 some files failed (the rest are "
                   "in),\n2 usage error, 3 library unusable.")) {
        rc = EXIT_USAGE;
        goto out;
    }
    int first = 1;
    if (first < argc && g_strcmp0(argv[first], "--") == 0)
        first++;
    if (!client) {
        rc = cli_usage("ingest", "--client is required");
        goto out;
    }
    if (!area) {
        rc = cli_usage("ingest", "--area is required");
        goto out;
    }
    if (first >= argc) {
        rc = cli_usage("ingest", "no files given");
        goto out;
    }
    if (quality < 1 || quality > 100) {
        rc = cli_usage("ingest", "--master-quality must be 1..100, not %d", quality);
        goto out;
    }
    if (!(max_mp > 0)) {
        rc = cli_usage("ingest", "--max-megapixels must be positive");
        goto out;
    }
    ba_error err;
    if (stage && !ba_stage_valid(stage)) {
        rc = cli_usage("ingest", "--stage '%s' is not one of before, after, progress", stage);
        goto out;
    }
    if (view && !ba_view_valid(view)) {
        rc = cli_usage("ingest",
                       "--view '%s' is not one of frontal, left-45, right-45, left-90, "
                       "right-90, other",
                       view);
        goto out;
    }
    if (date && ba_date_check(date, &err)) {
        rc = cli_usage("ingest", "--date: %s", err.message);
        goto out;
    }
    cat = cli_open_library();
    if (!cat) {
        rc = EXIT_LIBRARY;
        goto out;
    }
    ba_client c;
    if (ba_catalog_client_get(cat, client, &c, &err) || ba_catalog_area_check(cat, area, &err)) {
        cli_error("ingest: %s", err.message);
        rc = cli_exit_for(&err);
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
    int ingested = 0, duplicates = 0, failed = 0;
    gboolean library_broken = FALSE;
    gint64 t0 = g_get_monotonic_time();
    for (int i = first; i < argc; i++) {
        ba_ingest_result r;
        if (ba_ingest_file(cat, argv[i], &o, &r, &err)) {
            failed++;
            if (err.code == BA_ERR_CATALOG || err.code == BA_ERR_BUSY)
                library_broken = TRUE;
            print_result(argv[i], &r, &err);
            if (g_cli.verbose && *ba_last_warning())
                cli_error("%s: libvips said: %s", argv[i], ba_last_warning());
        } else {
            if (r.status == BA_INGEST_DUPLICATE)
                duplicates++;
            else
                ingested++;
            print_result(argv[i], &r, NULL);
        }
    }
    if (!g_cli.json && (g_cli.verbose || argc - first > 1))
        cli_say("%d ingested, %d duplicate, %d failed in %.2f s\n", ingested, duplicates, failed,
                (double)(g_get_monotonic_time() - t0) / 1e6);
    rc = library_broken ? EXIT_LIBRARY : failed ? EXIT_PARTIAL : EXIT_OK;
out:
    ba_catalog_close(cat);
    g_free(client);
    g_free(area);
    g_free(stage);
    g_free(view);
    g_free(date);
    g_free(treatment);
    return rc;
}
