/* beforeafter ingest: photos into the library, one result per file. */

#include <string.h>

#include "cli.h"

int cmd_ingest(ba_catalog *cat, int argc, char **argv)
{
    char *client = NULL, *area = NULL, *stage = NULL, *view = NULL, *date = NULL,
         *treatment = NULL, *name = NULL;
    double max_mp = BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    int quality = BA_INGEST_DEFAULT_QUALITY;
    int jobs = CLI_UNSET;
    gboolean add_area = FALSE;
    const GOptionEntry entries[] = {
        {"client", 0, 0, G_OPTION_ARG_STRING, &client, "Client code (required)", "CODE"},
        {"area", 0, 0, G_OPTION_ARG_STRING, &area,
         "Treatment area (required); several separated by commas, the first is the primary",
         "AREA[,AREA...]"},
        {"add-area", 0, 0, G_OPTION_ARG_NONE, &add_area,
         "When a file is already stored for this client, add the areas it lacks", NULL},
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
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Photos processed at once (default: cores)",
         "N"},
        {"name", 0, 0, G_OPTION_ARG_STRING, &name,
         "With FILE '-': the photo is read from standard input; its file name", "NAME"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    if (!cli_parse(&argc, &argv, entries, "--client CODE --area AREA [OPTIONS] (FILE... | - --name NAME)",
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
    ba_ingest_options o;
    rc = cli_ingest_options("ingest", &o, client, area, stage, view, date, treatment, max_mp,
                            quality, &jobs);
    if (rc != EXIT_OK)
        goto out;
    o.add_area = add_area;
    ba_error err;
    if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    ba_client c;
    ba_photo areas;
    if (ba_catalog_client_get(cat, client, &c, &err) ||
        ba_catalog_areas_parse(cat, area, &areas, &err) ||
        (date && ba_catalog_session_date_check(cat, date, &err))) {
        cli_report_error("ingest", &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }

    /* "-": the one photo on standard input, called NAME. */
    gboolean from_stdin = FALSE;
    for (int i = first; i < argc; i++)
        from_stdin = from_stdin || strcmp(argv[i], "-") == 0;
    if (from_stdin || name) {
        if (argc - first != 1 || !from_stdin || !name || !*name) {
            rc = cli_usage("ingest", "standard input is read as '-' alone, with --name NAME");
            goto out;
        }
        rc = cli_ingest_stream(cat, name, &o);
        goto out;
    }
    ba_batch_list list;
    ba_batch_list_init(&list);
    for (int i = first; i < argc; i++)
        ba_batch_list_add_file(&list, argv[i]);
    rc = cli_run_batch(cat, &list, &o, jobs, FALSE, NULL, FALSE);
    ba_batch_list_clear(&list);
out:
    g_free(client);
    g_free(area);
    g_free(stage);
    g_free(view);
    g_free(date);
    g_free(treatment);
    g_free(name);
    return rc;
}
