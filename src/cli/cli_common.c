/* Option parsing, library opening and output helpers shared by the commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

cli_globals g_cli;

static const GOptionEntry GLOBAL_ENTRIES[] = {
    {"library", 0, 0, G_OPTION_ARG_FILENAME, &g_cli.library,
     "The library folder (else $BEFOREAFTER_LIBRARY, else .)", "DIR"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &g_cli.json, "One JSON object per result line", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &g_cli.quiet, "Print only errors", NULL},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &g_cli.verbose, "Print more", NULL},
    {"version", 0, 0, G_OPTION_ARG_NONE, &g_cli.version, "Print the version", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* One line, whatever a file name contains. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    fprintf(stderr, "beforeafter: %s\n", msg);
    g_free(msg);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    cli_error("%s: %s (see 'beforeafter %s --help')", cmd, msg, cmd);
    g_free(msg);
    return EXIT_USAGE;
}

gboolean cli_parse(int *argc, char ***argv, const GOptionEntry *entries, const char *params,
                   const char *summary, const char *description)
{
    GOptionContext *ctx = g_option_context_new(params);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    GOptionGroup *globals =
        g_option_group_new("global", "Global options:", "Show global options", NULL, NULL);
    g_option_group_add_entries(globals, GLOBAL_ENTRIES);
    g_option_context_add_group(ctx, globals);
    if (summary)
        g_option_context_set_summary(ctx, summary);
    if (description)
        g_option_context_set_description(ctx, description);
    GError *gerr = NULL;
    gboolean ok = g_option_context_parse(ctx, argc, argv, &gerr);
    if (!ok) {
        cli_error("%s: %s (see '%s --help')", (*argv)[0], gerr->message, (*argv)[0]);
        g_error_free(gerr);
    }
    g_option_context_free(ctx);
    if (ok && g_cli.version) {
        printf("beforeafter %s\n", ba_version());
        exit(EXIT_OK);
    }
    /* Anything still looking like an option is a mistake ("--" excepted). */
    for (int i = 1; ok && i < *argc; i++) {
        const char *a = (*argv)[i];
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] == '-' && a[1] != '\0') {
            cli_error("%s: unknown option '%s' (see '%s --help')", (*argv)[0], a, (*argv)[0]);
            ok = FALSE;
        }
    }
    return ok;
}


int cli_exit_for(const ba_error *err)
{
    switch (err->code) {
    case BA_ERR_CATALOG:
    case BA_ERR_BUSY:
        return EXIT_LIBRARY;
    case BA_ERR_USAGE:
    case BA_ERR_NOT_FOUND:
    case BA_ERR_EXISTS:
        return EXIT_USAGE;
    default:
        return EXIT_PARTIAL;
    }
}

const char *cli_library_dir(void)
{
    if (g_cli.library && *g_cli.library)
        return g_cli.library;
    const char *env = getenv("BEFOREAFTER_LIBRARY");
    if (env && *env)
        return env;
    return ".";
}

ba_catalog *cli_open_library(void)
{
    ba_error err;
    ba_catalog *cat = ba_catalog_open(cli_library_dir(), &err);
    if (!cat)
        cli_error("%s", err.message);
    return cat;
}

void cli_json_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value && *value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void cli_json_write(FILE *fp, JsonBuilder *b)
{
    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    char *s = json_generator_to_data(gen, NULL);
    fputs(s, fp);
    fputc('\n', fp);
    fflush(fp);
    g_free(s);
    g_object_unref(gen);
    json_node_unref(root);
}

void cli_json_line(JsonBuilder *b)
{
    cli_json_write(stdout, b);
    g_object_unref(b);
}

void cli_say(const char *fmt, ...)
{
    if (g_cli.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

gboolean cli_parse_id(const char *s, gint64 *id)
{
    if (!s || !g_ascii_isdigit(s[0]))
        return FALSE;
    char *end = NULL;
    errno = 0;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (errno || *end || v <= 0)
        return FALSE;
    *id = v;
    return TRUE;
}

int cli_ingest_options(const char *cmd, ba_ingest_options *o, const char *client, const char *area,
                       const char *stage, const char *view, const char *date,
                       const char *treatment, double max_mp, int quality, int jobs)
{
    ba_error err;
    if (jobs < 0)
        return cli_usage(cmd, "--jobs must be positive");
    if (quality < 1 || quality > 100)
        return cli_usage(cmd, "--master-quality must be 1..100, not %d", quality);
    if (!(max_mp > 0))
        return cli_usage(cmd, "--max-megapixels must be positive");
    if (stage && !ba_stage_valid(stage))
        return cli_usage(cmd, "--stage '%s' is not one of before, after, progress", stage);
    if (view && !ba_view_valid(view))
        return cli_usage(cmd,
                         "--view '%s' is not one of frontal, left-45, right-45, left-90, "
                         "right-90, other",
                         view);
    if (date && ba_date_check(date, &err))
        return cli_usage(cmd, "--date: %s", err.message);
    ba_ingest_options_init(o);
    o->client = client;
    o->area = area;
    o->stage = stage;
    o->view = view;
    o->date = date;
    o->treatment = treatment;
    o->max_megapixels = max_mp;
    o->master_quality = quality;
    return EXIT_OK;
}
