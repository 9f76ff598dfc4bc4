/* beforeafter init: create a library folder (or set an existing one's time zone). */
#include "cli.h"

/* {"kind":"library","library":DIR,"status":STATUS,"timezone":ZONE}; the
 * zone is null when the library could not be opened to read it. */
static void print_library(const char *status, const ba_catalog *cat)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    cli_json_str(b, "kind", "library");
    cli_json_str(b, "library", cli_library_dir());
    cli_json_str(b, "status", status);
    cli_json_str(b, "timezone", cat ? ba_catalog_timezone(cat) : NULL);
    json_builder_end_object(b);
    cli_json_line(b);
}

static void print_created(const ba_catalog *cat)
{
    if (g_cli.json) {
        print_library("created", cat);
    } else {
        cli_say("created library %s (time zone %s)\n", cli_library_dir(),
                ba_catalog_timezone(cat));
    }
}

/* An existing library keeps everything; only its time zone may be set again. */
static int set_zone_of_existing(ba_catalog *cat, const char *zone)
{
    if (!cat)
        return cli_no_library();
    ba_error err;
    if (ba_catalog_timezone_set(cat, zone, &err)) {
        cli_report_error(NULL, &err);
        return cli_exit_for(&err, CLI_ABOUT_INPUT);
    }
    if (g_cli.json)
        print_library("timezone-set", cat);
    else
        cli_say("library %s: time zone %s\n", cli_library_dir(), ba_catalog_timezone(cat));
    return EXIT_OK;
}

/* @existing: the library main opened, NULL when there is none yet. */
/* init --retention-years N: the retention period of the new library. */
static int retention_years = -1;

static int create_library(ba_catalog *existing, const char *zone)
{
    ba_error err;
    ba_catalog *cat = ba_catalog_create(cli_library_dir(), &err);
    if (!cat) {
        if (err.code == BA_ERR_EXISTS) {
            if (zone)
                return set_zone_of_existing(existing, zone);
            if (g_cli.json)
                print_library("exists", existing);
            else
                cli_say("%s\n", err.message);
            return EXIT_OK;
        }
        cli_report_error(NULL, &err);
        return cli_exit_for(&err, CLI_ABOUT_LIBRARY);
    }
    int rc = EXIT_OK;
    if (zone && ba_catalog_timezone_set(cat, zone, &err)) {
        /* The library exists now, in the machine's zone: say so and fail. */
        cli_report_error(NULL, &err);
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK && retention_years >= 0 &&
        ba_record_retention_set(cat, retention_years, &err)) {
        cli_report_error(NULL, &err);
        rc = EXIT_USAGE;
    }
    print_created(cat);
    ba_catalog_close(cat);
    return rc;
}

int cmd_init(ba_catalog *cat, int argc, char **argv)
{
    char *zone = NULL;
    const GOptionEntry entries[] = {
        {"timezone", 0, 0, G_OPTION_ARG_STRING, &zone,
         "The library's time zone, in which consent dates are judged (default: this "
         "machine's zone); on an existing library, changes it",
         "ZONE"},
        {"retention-years", 0, 0, G_OPTION_ARG_INT, &retention_years,
         "A new library's retention period: erasure of a client refused for N years after "
         "the newest session (default 0; later: 'settings retention-years N')",
         "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    retention_years = -1;
    int rc;
    if (!cli_parse(&argc, &argv, entries, "",
                   "Create a library: catalog.db, masters/ and tmp/ in the --library folder.\n"
                   "Refuses a folder that holds anything but a library.",
                   "The library's time zone is stored in it: \"today\" (consent grant and expiry\n"
                   "dates, export dates) is always judged in that zone, whatever TZ says."))
        rc = EXIT_USAGE;
    else if (argc > 1)
        rc = cli_usage("init", "unexpected argument '%s'", argv[1]);
    else if (retention_years > 200 || retention_years < -1)
        rc = cli_usage("init", "--retention-years takes 0 (none) to 200, not %d", retention_years);
    else
        rc = create_library(cat, zone);
    g_free(zone);
    return rc;
}
