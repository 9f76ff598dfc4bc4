/* Running an ingest batch from the CLI: per-input output, report, progress, Ctrl-C. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static volatile int cancel_requested;

/* Set by batch ingest: the manifest read (its rows are named MANIFEST:LINE
 * in text-mode messages) and whether this is a dry run. */
static const char *batch_manifest;
static gboolean batch_dry_run;

void cli_batch_mode(const char *manifest, gboolean dry_run)
{
    batch_manifest = manifest;
    batch_dry_run = dry_run;
}

/* "MANIFEST:LINE" of @it, newly allocated; NULL for a file or folder input. */
static char *row_prefix(const ba_batch_item *it)
{
    return batch_manifest && it->row ? g_strdup_printf("%s:%d", batch_manifest, it->row) : NULL;
}

static void on_signal(int sig)
{
    cancel_requested = 1;
    /* A second Ctrl-C stops at once; what was committed stays committed. */
    signal(sig, SIG_DFL);
}

typedef struct printer {
    FILE *report;
    gboolean tty;
    gint64 t0;
    gint64 last_line;
    size_t step;
} printer;

/* Remark @i of @r with its hint in this program's words. */
static char *warning_text(const ba_ingest_result *r, int i)
{
    ba_error e;
    ba_error_set(&e, BA_OK, "%s", r->warnings[i]);
    ba_error_hint(&e, r->warning_hints[i]);
    return cli_error_text(&e);
}

static JsonBuilder *event_json(const ba_batch_event *ev)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    cli_json_str(b, "kind", "ingest"); /* the same object as ingest's */
    json_builder_set_member_name(b, "file");
    json_builder_add_string_value(b, ev->item->file);
    if (ev->item->row) {
        json_builder_set_member_name(b, "row");
        json_builder_add_int_value(b, ev->item->row);
    }
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, ev->status == BA_BATCH_INGESTED && batch_dry_run ? "ok"
                                     : ev->status == BA_BATCH_INGESTED  ? "ingested"
                                     : ev->status == BA_BATCH_DUPLICATE ? "duplicate"
                                                                        : "error");
    if (ev->status == BA_BATCH_FAILED) {
        char *text = cli_error_text(ev->error);
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, text);
        g_free(text);
    } else if (ev->result->photo_id) {
        json_builder_set_member_name(b, "photo_id");
        json_builder_add_int_value(b, ev->result->photo_id);
        json_builder_set_member_name(b, "master");
        json_builder_add_string_value(b, ev->result->master);
    }
    if (ev->status != BA_BATCH_FAILED) {
        if (ev->result->warning[0]) {
            json_builder_set_member_name(b, "warning");
            json_builder_add_string_value(b, ev->result->warning);
        }
        if (ev->result->n_warnings > 0) {
            json_builder_set_member_name(b, "warnings");
            json_builder_begin_array(b);
            for (int i = 0; i < ev->result->n_warnings; i++) {
                char *text = warning_text(ev->result, i);
                json_builder_add_string_value(b, text);
                g_free(text);
            }
            json_builder_end_array(b);
        }
    }
    json_builder_end_object(b);
    return b;
}

static void clear_bar(printer *p)
{
    if (p->tty && !g_cli.quiet)
        fputs("\r\033[K", stderr);
}

static void progress(printer *p, const ba_batch_event *ev)
{
    if (g_cli.quiet || !p->step)
        return;
    gint64 now = g_get_monotonic_time();
    double secs = (double)(now - p->t0) / 1e6;
    double rate = secs > 0 ? (double)ev->done / secs : 0;
    double eta = rate > 0 ? (double)(ev->total - ev->done) / rate : 0;
    if (p->tty) {
        int width = 30, filled = (int)(width * ev->done / (ev->total ? ev->total : 1));
        char bar[64];
        memset(bar, '=', (size_t)filled);
        memset(bar + filled, ' ', (size_t)(width - filled));
        bar[width] = '\0';
        fprintf(stderr, "\r[%s] %zu/%zu  %.1f photos/s  ETA %.0fs\033[K", bar, ev->done,
                ev->total, rate, eta);
        fflush(stderr);
    } else if (ev->done % p->step == 0 || ev->done == ev->total ||
               now - p->last_line > 10 * G_USEC_PER_SEC) {
        fprintf(stderr, "progress: %zu/%zu photos, %.1f photos/s, ETA %.0f s\n", ev->done,
                ev->total, rate, eta);
        p->last_line = now;
    }
}

static void on_event(const ba_batch_event *ev, void *ud)
{
    printer *p = ud;
    if (p->report) {
        JsonBuilder *b = event_json(ev);
        cli_json_write(p->report, b);
        g_object_unref(b);
    }
    clear_bar(p);
    if (g_cli.json) {
        cli_json_line(event_json(ev));
    } else if (ev->status != BA_BATCH_FAILED && batch_dry_run) {
        char *where = row_prefix(ev->item);
        if (ev->result->photo_id)
            cli_say("%s%s%s would be a duplicate of photo %" G_GINT64_FORMAT "\n",
                    where ? where : "", where ? ": " : "", ev->item->file, ev->result->photo_id);
        else
            cli_say("%s%s%s %s\n", where ? where : "", where ? ": " : "", ev->item->file,
                    ev->status == BA_BATCH_DUPLICATE ? "would be a duplicate" : "ok");
        g_free(where);
    } else if (ev->status != BA_BATCH_FAILED && !p->step) {
        cli_say("%s %s -> photo %" G_GINT64_FORMAT " (%s)\n",
                ev->status == BA_BATCH_DUPLICATE ? "duplicate" : "ingested", ev->item->file,
                ev->result->photo_id, ev->result->master);
    }
    /* Text-mode messages name the manifest row as an editor shows it:
     * "manifest.csv:7: ...", unless the message already starts so. */
    char *where = row_prefix(ev->item);
    if (where && ev->status == BA_BATCH_FAILED &&
        g_str_has_prefix(ev->error->message, where) && ev->error->message[strlen(where)] == ':') {
        g_free(where);
        where = NULL;
    }
    if (ev->status == BA_BATCH_FAILED)
        cli_report_error(where, ev->error);
    else if (!g_cli.quiet)
        for (int i = 0; i < ev->result->n_warnings; i++) {
            char *text = warning_text(ev->result, i);
            if (where)
                cli_error("%s: %s: warning: %s", where, ev->item->file, text);
            else
                cli_error("%s: warning: %s", ev->item->file, text);
            g_free(text);
        }
    g_free(where);
    progress(p, ev);
}

int cli_run_batch(ba_catalog *cat, const ba_batch_list *list, const ba_ingest_options *defaults,
                  int jobs, gboolean create_clients, const char *report_path, gboolean show_progress)
{
    printer p = {.t0 = g_get_monotonic_time()};
    cli_report rep;
    if (cli_report_open(&rep, report_path))
        return EXIT_USAGE;
    p.report = rep.fp;
    p.tty = isatty(STDERR_FILENO) && !g_cli.json;
    if (show_progress && !g_cli.quiet && !batch_dry_run)
        p.step = MAX(1, list->count / 20);
    p.last_line = p.t0;

    ba_batch_options o;
    ba_batch_options_init(&o);
    o.jobs = jobs;
    o.create_clients = create_clients;
    o.defaults = defaults;
    o.on_result = on_event;
    o.ud = &p;
    o.cancel = &cancel_requested;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    ba_batch_summary sum;
    ba_error err;
    int rc = batch_dry_run ? ba_batch_check(cat, list, &o, &sum, &err)
                           : ba_batch_ingest(cat, list, &o, &sum, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    clear_bar(&p);
    cli_report_close(&rep, TRUE);
    if (rc) {
        cli_report_error(NULL, &err);
        return cli_exit_for(&err, CLI_ABOUT_INPUT);
    }
    if (g_cli.json && (batch_dry_run || g_cli.verbose)) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "batch");
        json_builder_set_member_name(b, "total");
        json_builder_add_int_value(b, (gint64)list->count);
        json_builder_set_member_name(b, "ingested");
        json_builder_add_int_value(b, (gint64)sum.ingested);
        json_builder_set_member_name(b, "duplicates");
        json_builder_add_int_value(b, (gint64)sum.duplicates);
        json_builder_set_member_name(b, "failed");
        json_builder_add_int_value(b, (gint64)sum.failed);
        cli_json_real(b, "seconds", sum.seconds, 2);
        if (!batch_dry_run) {
            cli_json_real(b, "prepare_seconds", sum.prepare_seconds, 2);
            cli_json_real(b, "commit_seconds", sum.commit_seconds, 2);
        }
        json_builder_set_member_name(b, "dry_run");
        json_builder_add_boolean_value(b, batch_dry_run);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.json && !g_cli.quiet && batch_dry_run) {
        printf("dry run: %zu would be ingested, %zu duplicate, %zu with problems; nothing was "
               "written\n",
               sum.ingested, sum.duplicates, sum.failed);
    } else if (!g_cli.json && !g_cli.quiet && (list->count > 1 || g_cli.verbose)) {
        size_t done = list->count - sum.cancelled;
        printf("%zu ingested, %zu duplicate, %zu failed", sum.ingested, sum.duplicates,
               sum.failed);
        if (sum.cancelled)
            printf(", %zu not started (interrupted: run it again to finish)", sum.cancelled);
        printf(" in %.1f s (%.1f photos/s)\n", sum.seconds,
                sum.seconds > 0 ? (double)done / sum.seconds : 0.0);
    }
    if (g_cli.verbose && !batch_dry_run && !g_cli.quiet) {
        /* The phases (docs/CLI.md): where the time went, on stderr. */
        fflush(stdout);
        fprintf(stderr,
                "timings: %.2f s wall; prepare (read, decode, encode) %.2f s summed over the "
                "workers; commit (place and record) %.2f s\n",
                sum.seconds, sum.prepare_seconds, sum.commit_seconds);
    }
    if (sum.library_error)
        return EXIT_LIBRARY;
    if (sum.cancelled)
        return 130;
    return sum.failed ? EXIT_PARTIAL : EXIT_OK;
}

int cli_ingest_stream(ba_catalog *cat, const char *name, const ba_ingest_options *o)
{
    gint64 t0 = g_get_monotonic_time();
    ba_ingest_result r;
    ba_error err;
    memset(&r, 0, sizeof r);
    int failed = ba_ingest_fd(cat, STDIN_FILENO, name, o, &r, &err);
    /* Printed as any other input of ingest: one line (JSON with --json). */
    ba_batch_item item = {.file = (char *)name};
    ba_batch_event ev = {.item = &item,
                         .status = failed                            ? BA_BATCH_FAILED
                                   : r.status == BA_INGEST_DUPLICATE ? BA_BATCH_DUPLICATE
                                                                     : BA_BATCH_INGESTED,
                         .result = &r,
                         .error = &err,
                         .done = 1,
                         .total = 1};
    printer p = {.t0 = t0};
    on_event(&ev, &p);
    if (g_cli.verbose)
        fprintf(stderr, "ingest: %.2f s\n", (double)(g_get_monotonic_time() - t0) / 1e6);
    return failed ? cli_exit_for(&err, CLI_ABOUT_INPUT) : EXIT_OK;
}
