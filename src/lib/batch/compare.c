/* batch compare: a comparison per client and area, rendered in parallel. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "beforeafter/batch.h"
#include "beforeafter/library.h"

typedef struct group {
    char *client;
    char *area;
    int64_t ids[BA_COMPOSE_MAX_PANELS]; /* from ba_compose_pick() */
    int n;
    char *output;
    ba_comparison result;
    ba_error err;
    int rc;
} group;

typedef struct collect {
    GPtrArray *groups;
    GHashTable *index; /* "client\narea" -> group */
} collect;

/* Every client and area with photos (each of a photo's areas), in listing
 * order; which photos each compares is ba_compose_pick()'s to say. */
static int collect_photo(const ba_photo *p, void *ud)
{
    collect *c = ud;
    for (int i = 0; i < MAX(p->n_areas, 1); i++) {
        const char *area = p->n_areas > 0 ? p->areas[i] : p->area;
        char *key = g_strdup_printf("%s\n%s", p->client, area);
        if (g_hash_table_contains(c->index, key)) {
            g_free(key);
            continue;
        }
        group *g = g_new0(group, 1);
        g->client = g_strdup(p->client);
        g->area = g_strdup(area);
        g_hash_table_insert(c->index, key, g);
        g_ptr_array_add(c->groups, g);
    }
    return 0;
}

static void group_free(gpointer data)
{
    group *g = data;
    g_free(g->client);
    g_free(g->area);
    g_free(g->output);
    g_free(g);
}

typedef struct run {
    const ba_batch_compare_options *o;
    GPtrArray *pending; /* groups with two or more sessions */
    const char *dir;
    gint next;
    gint active; /* workers still running */
    GAsyncQueue *done;
} run;

static gpointer worker(gpointer data)
{
    run *r = data;
    ba_error open_err;
    ba_catalog *cat = ba_catalog_open(r->dir, &open_err);
    for (;;) {
        if (r->o->cancel && *r->o->cancel)
            break;
        gint i = g_atomic_int_add(&r->next, 1);
        if (i >= (gint)r->pending->len)
            break;
        group *g = g_ptr_array_index(r->pending, i);
        if (!cat) {
            g->err = open_err;
            g->rc = -1;
        } else {
            g->rc = ba_compose_photos(cat, g->ids, g->n, &r->o->compose, g->output, &g->result,
                                      &g->err);
        }
        g_async_queue_push(r->done, g);
    }
    ba_catalog_close(cat);
    g_atomic_int_add(&r->active, -1);
    return NULL;
}

/* A file-name-safe version of a client code or area (both are already restricted). */
static char *safe(const char *s)
{
    char *t = g_strdup(s);
    for (char *p = t; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            *p = '_';
    return t;
}

int ba_batch_compare(ba_catalog *cat, const ba_batch_compare_options *o,
                     ba_batch_summary *summary, ba_error *err)
{
    memset(summary, 0, sizeof *summary);
    gint64 t0 = g_get_monotonic_time();
    /* Every option once, before the output folder or any render. */
    if (ba_batch_jobs_check(o->jobs, err) || ba_compose_options_check(&o->compose, err))
        return -1;
    if (o->out_dir && ba_library_check_output(ba_catalog_dir(cat), o->out_dir, true, err))
        return -1;
    if (!o->out_dir || g_mkdir_with_parents(o->out_dir, 0755) != 0) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot create the output folder: %s",
                     o->out_dir ? o->out_dir : "(none)", g_strerror(errno));
        return -1;
    }
    collect c = {.groups = g_ptr_array_new_with_free_func(group_free),
                 .index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    ba_pick pick = o->compose.layout == BA_LAYOUT_TIMELINE ? BA_PICK_TIMELINE : BA_PICK_FIRST_LAST;
    int listed = ba_catalog_photo_list(cat, NULL, collect_photo, &c, err);
    for (guint i = 0; listed == 0 && i < c.groups->len; i++) {
        group *g = g_ptr_array_index(c.groups, i);
        listed = ba_compose_pick(cat, g->client, g->area, o->view, pick, g->ids,
                                 BA_COMPOSE_MAX_PANELS, &g->n, err);
    }
    if (listed) {
        g_hash_table_destroy(c.index);
        g_ptr_array_free(c.groups, TRUE);
        return -1;
    }
    run r = {.o = o, .pending = g_ptr_array_new(), .dir = ba_catalog_dir(cat),
             .done = g_async_queue_new()};
    static const char *const layouts[] = {"side-by-side", "stacked", "timeline"};
    for (guint i = 0; i < c.groups->len; i++) {
        group *g = g_ptr_array_index(c.groups, i);
        if (g->n < 2)
            continue;
        char *cl = safe(g->client), *ar = safe(g->area);
        char *name = g_strdup_printf("%s_%s_%s.%s", cl, ar, layouts[o->compose.layout],
                                     o->extension ? o->extension : "png");
        g->output = g_build_filename(o->out_dir, name, NULL);
        g_free(name);
        g_free(cl);
        g_free(ar);
        g_ptr_array_add(r.pending, g);
    }
    int cores = (int)g_get_num_processors();
    int jobs = o->jobs > 0 ? o->jobs : MIN(cores, BA_BATCH_MAX_JOBS);
    jobs = MAX(1, MIN(jobs, (int)r.pending->len));
    GThread **threads = g_new0(GThread *, jobs);
    r.active = r.pending->len ? jobs : 0;
    for (int t = 0; t < jobs && r.pending->len; t++)
        threads[t] = g_thread_new("ba-compare", worker, &r);
    size_t finished = 0;
    while (finished < r.pending->len) {
        group *g = g_async_queue_timeout_pop(r.done, 100 * G_TIME_SPAN_MILLISECOND);
        if (!g) {
            /* Every worker gone (a cancel) and nothing left to report: done. */
            if (g_atomic_int_get(&r.active) == 0 && g_async_queue_length(r.done) == 0)
                break;
            continue;
        }
        finished++;
        ba_batch_compare_event ev = {.client = g->client, .area = g->area, .output = g->output,
                                     .done = finished, .total = r.pending->len};
        if (g->rc == 0) {
            summary->ingested++;
            ev.result = &g->result;
        } else {
            summary->failed++;
            ev.error = &g->err;
            if (g->err.code == BA_ERR_CATALOG || g->err.code == BA_ERR_BUSY)
                summary->library_error = true;
        }
        if (o->on_result)
            o->on_result(&ev, o->ud);
    }
    for (int t = 0; t < jobs; t++)
        if (threads[t])
            g_thread_join(threads[t]);
    /* Anything that finished after a cancel was noticed still counts. */
    group *g;
    while ((g = g_async_queue_try_pop(r.done))) {
        finished++;
        if (g->rc == 0)
            summary->ingested++;
        else
            summary->failed++;
    }
    summary->cancelled = r.pending->len - finished;
    g_free(threads);
    g_async_queue_unref(r.done);
    g_ptr_array_free(r.pending, TRUE);
    g_hash_table_destroy(c.index);
    g_ptr_array_free(c.groups, TRUE);
    summary->seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
    return 0;
}
