/* Option parsing, library opening and output helpers shared by the commands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Append @c as "\xNN". */
static void hex_byte(GString *out, unsigned char c)
{
    g_string_append_printf(out, "\\x%02x", c);
}

/* One ASCII byte: the C0 controls, DEL and the backslash itself escaped. */
static void escape_ascii(GString *out, unsigned char c)
{
    switch (c) {
    case '\n':
        g_string_append(out, "\\n");
        break;
    case '\r':
        g_string_append(out, "\\r");
        break;
    case '\t':
        g_string_append(out, "\\t");
        break;
    case '\\':
        g_string_append(out, "\\\\");
        break;
    default:
        if (c < 0x20 || c == 0x7f)
            hex_byte(out, c);
        else
            g_string_append_c(out, (char)c);
    }
}

char *cli_escape(const char *s)
{
    GString *out = g_string_new(NULL);
    const char *p = s ? s : "", *end = p + strlen(p);
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80) {
            escape_ascii(out, c);
            p++;
            continue;
        }
        gunichar u = g_utf8_get_char_validated(p, end - p);
        if (u == (gunichar)-1 || u == (gunichar)-2) {
            hex_byte(out, c); /* not UTF-8: one byte at a time */
            p++;
            continue;
        }
        const char *next = g_utf8_next_char(p);
        /* C1 controls (U+0080..U+009F; U+009B is CSI): as their bytes. */
        for (const char *q = p; q < next; q++)
            if (u <= 0x9f)
                hex_byte(out, (unsigned char)*q);
            else
                g_string_append_c(out, *q);
        p = next;
    }
    return g_string_free(out, FALSE);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* One line, whatever a file name contains; escaped as stdout is. */
    char *safe = cli_escape(msg);
    fprintf(stderr, "beforeafter: %s\n", safe);
    g_free(safe);
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

const char *cli_command_name(const char *argv0)
{
    /* Commands get argv[0] = "beforeafter CMD" (GOption's usage line). */
    if (argv0 && g_str_has_prefix(argv0, "beforeafter "))
        return argv0 + strlen("beforeafter ");
    return argv0 ? argv0 : "";
}

/* Options that take exactly one value (arrays and flags excepted). */
static gboolean single_valued(const GOptionEntry *e)
{
    switch (e->arg) {
    case G_OPTION_ARG_STRING:
    case G_OPTION_ARG_INT:
    case G_OPTION_ARG_FILENAME:
    case G_OPTION_ARG_DOUBLE:
    case G_OPTION_ARG_INT64:
        return !(e->flags & (G_OPTION_FLAG_NO_ARG | G_OPTION_FLAG_OPTIONAL_ARG));
    default:
        return FALSE;
    }
}

/* The single-valued entry of @table that @arg names ("--name", "--name=V",
 * "-c", "-cV"); *@inline_value is V when the value is in @arg. */
static const GOptionEntry *entry_for(const GOptionEntry *table, const char *arg,
                                     const char **inline_value)
{
    for (const GOptionEntry *e = table; e && e->long_name; e++) {
        if (!single_valued(e))
            continue;
        size_t n = strlen(e->long_name);
        if (arg[1] == '-' && strncmp(arg + 2, e->long_name, n) == 0 &&
            (arg[2 + n] == '\0' || arg[2 + n] == '=')) {
            *inline_value = arg[2 + n] == '=' ? arg + 3 + n : NULL;
            return e;
        }
        if (arg[1] != '-' && e->short_name && arg[1] == e->short_name) {
            *inline_value = arg[2] ? arg + 2 : NULL;
            return e;
        }
    }
    return NULL;
}

/* GOption keeps the last of an option given twice: "--date A --date B"
 * would silently use B.  Refuse an option given twice with different values. */
static gboolean check_repeats(int argc, char **argv, const GOptionEntry *entries)
{
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    gboolean ok = TRUE;
    for (int i = 1; ok && i < argc; i++) {
        const char *a = argv[i], *value = NULL;
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] != '-' || a[1] == '\0')
            continue;
        const GOptionEntry *e = entry_for(entries, a, &value);
        if (!e)
            e = entry_for(GLOBAL_ENTRIES, a, &value);
        if (!e)
            continue;
        if (!value) {
            if (i + 1 >= argc)
                break; /* GOption reports the missing value */
            value = argv[++i];
        }
        const char *prev = g_hash_table_lookup(seen, e->long_name);
        if (prev && strcmp(prev, value) != 0) {
            cli_error("%s: --%s given twice ('%s', then '%s'); give it once (see '%s --help')",
                      cli_command_name(argv[0]), e->long_name, prev, value, argv[0]);
            ok = FALSE;
        }
        g_hash_table_insert(seen, (gpointer)e->long_name, (gpointer)value);
    }
    g_hash_table_destroy(seen);
    return ok;
}

gboolean cli_parse(int *argc, char ***argv, const GOptionEntry *entries, const char *params,
                   const char *summary, const char *description)
{
    if (!check_repeats(*argc, *argv, entries))
        return FALSE;
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
        cli_error("%s: %s (see '%s --help')", cli_command_name((*argv)[0]), gerr->message,
                  (*argv)[0]);
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
            cli_error("%s: unknown option '%s' (see '%s --help')", cli_command_name((*argv)[0]),
                      a, (*argv)[0]);
            ok = FALSE;
        }
    }
    return ok;
}


/* Set by main from the command line before any option is parsed. */
static char *scanned_library;

void cli_set_library_dir(const char *dir)
{
    g_free(scanned_library);
    scanned_library = g_strdup(dir);
}

const char *cli_library_dir(void)
{
    if (g_cli.library && *g_cli.library)
        return g_cli.library;
    if (scanned_library && *scanned_library)
        return scanned_library;
    const char *env = getenv("BEFOREAFTER_LIBRARY");
    if (env && *env)
        return env;
    return ".";
}

/* Why the library could not be opened (the open a reader would have
 * needed), and whether the one that worked can write. */
static ba_error open_error;
static gboolean opened_writable;

/* Read-only; a catalog of an older schema needs its migration, which only a
 * writable open does: where the library can be written, a read command still
 * works as it always did.  Else the read-only error says why. */
static ba_catalog *open_for_reading(void)
{
    ba_catalog *cat = ba_catalog_open_readonly(cli_library_dir(), &open_error);
    if (cat)
        return cat;
    ba_error werr;
    cat = ba_catalog_open(cli_library_dir(), &werr);
    opened_writable = cat != NULL;
    return cat;
}

ba_catalog *cli_library_open(cli_needs needs)
{
    ba_error_clear(&open_error);
    opened_writable = FALSE;
    if (needs == CLI_NO_LIBRARY)
        return NULL;
    if (needs == CLI_READS)
        return open_for_reading();
    ba_catalog *cat = ba_catalog_open(cli_library_dir(), &open_error);
    opened_writable = cat != NULL;
    if (cat || needs == CLI_WRITES)
        return cat;
    /* Plain verify and the list subcommands also read a library this
     * process cannot write (a read-only mount, someone else's folder). */
    ba_error rerr;
    cat = ba_catalog_open_readonly(cli_library_dir(), &rerr);
    if (!cat)
        open_error = rerr; /* a reader is told why it could not read */
    return cat;
}

int cli_no_library(void)
{
    cli_report_error(NULL, &open_error);
    return EXIT_LIBRARY;
}

int cli_need_writable(const ba_catalog *cat)
{
    if (!cat)
        return cli_no_library();
    return opened_writable ? EXIT_OK : cli_no_library();
}

void cli_json_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value && *value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

/* json-glib escapes C0 and DEL but passes C1 controls and bytes that are
 * not UTF-8 through: the line would reach a terminal raw and not be JSON.
 * Outside strings JSON is ASCII, so every byte >= 0x80 is inside one: C1
 * becomes \u0080..\u009f (the same string), a non-UTF-8 byte the text
 * "\xNN" (as text output shows it). */
static char *json_safe(const char *s)
{
    GString *out = g_string_new(NULL);
    const char *p = s, *end = s + strlen(s);
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        gunichar u = c < 0x80 ? c : g_utf8_get_char_validated(p, end - p);
        if (u == (gunichar)-1 || u == (gunichar)-2) {
            g_string_append_printf(out, "\\\\x%02x", c);
            p++;
        } else if (u >= 0x80 && u <= 0x9f) {
            g_string_append_printf(out, "\\u%04x", (unsigned)u);
            p = g_utf8_next_char(p);
        } else {
            const char *next = c < 0x80 ? p + 1 : g_utf8_next_char(p);
            g_string_append_len(out, p, next - p);
            p = next;
        }
    }
    return g_string_free(out, FALSE);
}

/* Append @node as JSON.  json-glib's generator writes every double with 17
 * significant digits (21.3 as 21.300000000000001), so the tree is walked
 * here: doubles with at most 15 (the value a cli_json_real() rounded is
 * written as that decimal), everything else, strings' escaping included,
 * by the generator itself. */
static void append_node(GString *out, JsonGenerator *gen, JsonNode *node)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: {
        JsonObject *o = json_node_get_object(node);
        GList *names = json_object_get_members(o);
        g_string_append_c(out, '{');
        for (GList *l = names; l; l = l->next) {
            JsonNode *key = json_node_init_string(json_node_alloc(), l->data);
            if (l != names)
                g_string_append_c(out, ',');
            append_node(out, gen, key);
            json_node_unref(key);
            g_string_append_c(out, ':');
            append_node(out, gen, json_object_get_member(o, l->data));
        }
        g_string_append_c(out, '}');
        g_list_free(names);
        break;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *a = json_node_get_array(node);
        g_string_append_c(out, '[');
        for (guint i = 0; i < json_array_get_length(a); i++) {
            if (i)
                g_string_append_c(out, ',');
            append_node(out, gen, json_array_get_element(a, i));
        }
        g_string_append_c(out, ']');
        break;
    }
    case JSON_NODE_VALUE:
        if (json_node_get_value_type(node) == G_TYPE_DOUBLE) {
            double v = json_node_get_double(node);
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            if (!isfinite(v))
                g_string_append(out, "null"); /* JSON has no NaN */
            else
                g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.15g", v));
            break;
        }
        /* fall through */
    case JSON_NODE_NULL: {
        json_generator_set_root(gen, node);
        char *text = json_generator_to_data(gen, NULL);
        g_string_append(out, text);
        g_free(text);
        break;
    }
    }
}

char *cli_json_text(JsonBuilder *b)
{
    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *gen = json_generator_new();
    GString *raw = g_string_new(NULL);
    /* Every object says what it is (docs/JSON.md): one whose command did not
     * name its kind gets the command's (main sets g_cli.json_kind). */
    if (JSON_NODE_HOLDS_OBJECT(root) && g_cli.json_kind &&
        !json_object_has_member(json_node_get_object(root), "kind")) {
        JsonObject *o = json_node_get_object(root);
        JsonObject *with = json_object_new();
        json_object_set_string_member(with, "kind", g_cli.json_kind);
        GList *names = json_object_get_members(o);
        for (GList *l = names; l; l = l->next)
            json_object_set_member(with, l->data, json_node_copy(json_object_get_member(o, l->data)));
        g_list_free(names);
        json_node_take_object(root, with);
    }
    append_node(raw, gen, root);
    g_object_unref(gen);
    json_node_unref(root);
    char *s = json_safe(raw->str);
    g_string_free(raw, TRUE);
    return s;
}

void cli_json_real(JsonBuilder *b, const char *name, double v, int decimals)
{
    json_builder_set_member_name(b, name);
    if (!isfinite(v)) {
        json_builder_add_null_value(b);
        return;
    }
    double scale = pow(10, decimals);
    double r = round(v * scale) / scale;
    json_builder_add_double_value(b, r == 0 ? 0.0 : r); /* no "-0" */
}

void cli_json_write(FILE *fp, JsonBuilder *b)
{
    char *s = cli_json_text(b);
    fputs(s, fp);
    fputc('\n', fp);
    fflush(fp);
    g_free(s);
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
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* The format's own final newline ends the line; any other one came from
     * a name and must not split "one line per file". */
    size_t n = strlen(text);
    gboolean newline = n > 0 && text[n - 1] == '\n';
    if (newline)
        text[n - 1] = '\0';
    char *safe = cli_escape(text);
    fputs(safe, stdout);
    if (newline)
        fputc('\n', stdout);
    g_free(safe);
    g_free(text);
}

gboolean cli_fraction_ok(double x)
{
    return x >= 0 && x <= 1; /* false for NaN */
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

int cli_jobs_option(const char *cmd, int *jobs)
{
    if (*jobs == CLI_UNSET) {
        *jobs = 0; /* the library's default: the number of cores */
        return EXIT_OK;
    }
    if (*jobs < 1 || *jobs > BA_BATCH_MAX_JOBS)
        return cli_usage(cmd, "--jobs must be 1..%d, not %d", BA_BATCH_MAX_JOBS, *jobs);
    return EXIT_OK;
}

int cli_ingest_options(const char *cmd, ba_ingest_options *o, const char *client, const char *area,
                       const char *stage, const char *view, const char *date,
                       const char *treatment, double max_mp, int quality, int *jobs)
{
    ba_error err;
    if (cli_jobs_option(cmd, jobs) != EXIT_OK)
        return EXIT_USAGE;
    if (quality < 1 || quality > 100)
        return cli_usage(cmd, "--master-quality must be 1..100, not %d", quality);
    /* NaN or infinity would be no limit at all; a large finite one is a
     * deliberate choice (the decoders stay bounded whatever it is). */
    if (!(max_mp > 0 && isfinite(max_mp)))
        return cli_usage(cmd, "--max-megapixels must be a positive number");
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

int cli_stdout_open(cli_stdout_file *f, const char *ext)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    GError *gerr = NULL;
    f->dir = g_dir_make_tmp("beforeafter-XXXXXX", &gerr); /* 0700, outside any library */
    if (!f->dir) {
        cli_error("cannot make a temporary folder for standard output: %s", gerr->message);
        g_error_free(gerr);
        return -1;
    }
    f->path = g_strdup_printf("%s/stdout.%s", f->dir, ext);
    fflush(stdout);
    f->fd = dup(STDOUT_FILENO);
    if (f->fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        cli_error("cannot redirect standard output: %s", g_strerror(errno));
        cli_stdout_close(f, FALSE);
        return -1;
    }
    return 0;
}

int cli_stdout_close(cli_stdout_file *f, gboolean copy)
{
    int rc = 0;
    fflush(stdout);
    if (f->fd >= 0) {
        if (copy) {
            char *data = NULL;
            gsize len = 0;
            GError *gerr = NULL;
            if (!g_file_get_contents(f->path, &data, &len, &gerr)) {
                cli_error("cannot read the image back: %s", gerr->message);
                g_error_free(gerr);
                rc = -1;
            }
            for (gsize off = 0; rc == 0 && off < len;) {
                ssize_t n = write(f->fd, data + off, len - off);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0) {
                    cli_error("cannot write the image to standard output: %s", g_strerror(errno));
                    rc = -1;
                    break;
                }
                off += (gsize)n;
            }
            g_free(data);
        }
        dup2(f->fd, STDOUT_FILENO);
        close(f->fd);
        f->fd = -1;
    }
    if (f->path)
        unlink(f->path);
    if (f->dir)
        rmdir(f->dir);
    g_free(f->path);
    g_free(f->dir);
    f->path = f->dir = NULL;
    return rc;
}
