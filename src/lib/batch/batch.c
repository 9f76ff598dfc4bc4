/* The batch engine: N preparing workers, one in-order committing writer. */
#include <glib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <vips/vips.h>

#include "beforeafter/batch.h"
#include "catalog/writers.h"

void ba_batch_options_init(ba_batch_options *o)
{
    memset(o, 0, sizeof *o);
}

int ba_batch_jobs_check(int jobs, ba_error *err)
{
    if (jobs > BA_BATCH_MAX_JOBS) {
        ba_error_set(err, BA_ERR_USAGE, "%d jobs at once is over the limit of %d", jobs,
                     BA_BATCH_MAX_JOBS);
        return -1;
    }
    return 0;
}

typedef struct slot {
    ba_ingest_job *job;       /* prepared, waiting for the writer (NULL: nothing to commit) */
    ba_ingest_result result;
    ba_error err;
    int rc;
    bool ready;
    double prepare_seconds;   /* its read, decode and encode, on a worker */
} slot;

typedef struct run {
    const ba_batch_list *list;
    const ba_batch_options *o;
    const char *dir;
    slot *slots;
    GMutex lock;
    GCond cond;
    size_t next;      /* next input to hand to a worker */
    size_t committed; /* inputs the writer has finished */
    size_t window;    /* how far workers may run ahead of the writer */
} run;

static bool cancelled(const run *r)
{
    return r->o->cancel && *r->o->cancel;
}

static void item_options(const run *r, const ba_batch_item *it, ba_ingest_options *o)
{
    if (r->o->defaults)
        *o = *r->o->defaults;
    else
        ba_ingest_options_init(o);
#define TAKE(f) \
    if (it->f)  \
        o->f = it->f;
    TAKE(client)
    TAKE(area)
    TAKE(stage)
    TAKE(date)
    TAKE(view)
    TAKE(treatment)
#undef TAKE
}

static void prepare_one(const run *r, ba_catalog *cat, const ba_error *open_err, size_t i)
{
    const ba_batch_item *it = &r->list->items[i];
    slot *s = &r->slots[i];
    ba_error_clear(&s->err);
    if (it->error) {
        ba_error_set(&s->err, BA_ERR_USAGE, "%s", it->error);
        s->rc = -1;
    } else if (!cat) {
        s->err = *open_err;
        s->rc = -1;
    } else {
        ba_ingest_options o;
        item_options(r, it, &o);
        gint64 t = g_get_monotonic_time();
        s->rc = ba_ingest_prepare(cat, it->file, &o, &s->job, &s->result, &s->err);
        s->prepare_seconds = (double)(g_get_monotonic_time() - t) / 1e6;
        if (s->rc == 0 && s->job)
            s->rc = 1; /* prepared: the writer commits it */
    }
}

static gpointer worker(gpointer data)
{
    run *r = data;
    ba_error open_err;
    ba_catalog *cat = ba_catalog_open(r->dir, &open_err);
    for (;;) {
        g_mutex_lock(&r->lock);
        while (r->next < r->list->count && r->next >= r->committed + r->window && !cancelled(r)) {
            gint64 until = g_get_monotonic_time() + G_TIME_SPAN_MILLISECOND * 100;
            g_cond_wait_until(&r->cond, &r->lock, until);
        }
        if (r->next >= r->list->count || cancelled(r)) {
            g_mutex_unlock(&r->lock);
            break;
        }
        size_t i = r->next++;
        g_mutex_unlock(&r->lock);

        prepare_one(r, cat, &open_err, i);

        g_mutex_lock(&r->lock);
        r->slots[i].ready = true;
        g_cond_broadcast(&r->cond);
        g_mutex_unlock(&r->lock);
    }
    ba_catalog_close(cat);
    return NULL;
}

/* Add the clients the items name, when asked to; returns the ids of those
 * added (the workers need them to exist before any photo is committed). */
static GArray *create_clients(ba_catalog *cat, const ba_batch_list *list,
                              const ba_ingest_options *defaults)
{
    GArray *created = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < list->count; i++) {
        const ba_batch_item *it = &list->items[i];
        const char *code = it->client ? it->client : defaults ? defaults->client : NULL;
        if (it->error || !code || g_hash_table_contains(seen, code))
            continue;
        g_hash_table_add(seen, (gpointer)code);
        ba_client c;
        ba_error err;
        int64_t id = 0;
        if (ba_catalog_client_get(cat, code, &c, &err) != 0 && err.code == BA_ERR_NOT_FOUND &&
            ba_catalog_client_add(cat, code, NULL, &id, &err) == 0) /* invalid: fails per item */
            g_array_append_val(created, id);
    }
    g_hash_table_destroy(seen);
    return created;
}

/* A client this batch added and none of whose photos committed (they all
 * failed, or a cancel came first) goes again: a failed row leaves nothing. */
static void remove_unused_clients(ba_catalog *cat, GArray *created)
{
    for (guint i = 0; i < created->len; i++) {
        bool removed;
        ba_error err;
        /* A catalog error here leaves an empty client, the old behaviour. */
        (void)ba_catalog_client_remove_unused(cat, g_array_index(created, int64_t, i), &removed,
                                              &err);
    }
    g_array_free(created, TRUE);
}

int ba_batch_ingest(ba_catalog *cat, const ba_batch_list *list, const ba_batch_options *opts,
                    ba_batch_summary *summary, ba_error *err)
{
    ba_batch_options defaults;
    if (!opts) {
        ba_batch_options_init(&defaults);
        opts = &defaults;
    }
    memset(summary, 0, sizeof *summary);
    if (ba_batch_jobs_check(opts->jobs, err))
        return -1;
    gint64 t0 = g_get_monotonic_time();
    ba_ingest_clean_tmp(cat);
    GArray *created = opts->create_clients ? create_clients(cat, list, opts->defaults)
                                           : g_array_new(FALSE, FALSE, sizeof(int64_t));

    int cores = (int)g_get_num_processors();
    int jobs = opts->jobs > 0 ? opts->jobs : MIN(cores, BA_BATCH_MAX_JOBS);
    if ((size_t)jobs > list->count)
        jobs = list->count > 0 ? (int)list->count : 1;
    /* N photos at once, each with its share of the cores: no oversubscription.
     * An explicit VIPS_CONCURRENCY in the environment wins (operators pin it). */
    int old_concurrency = vips_concurrency_get();
    if (!g_getenv("VIPS_CONCURRENCY"))
        vips_concurrency_set(MAX(1, cores / jobs));

    run r = {.list = list, .o = opts, .dir = ba_catalog_dir(cat)};
    r.slots = g_new0(slot, list->count ? list->count : 1);
    r.window = (size_t)jobs * 4;
    g_mutex_init(&r.lock);
    g_cond_init(&r.cond);
    GThread **threads = g_new0(GThread *, jobs);
    for (int t = 0; t < jobs; t++)
        threads[t] = g_thread_new("ba-ingest", worker, &r);

    /* The writer: commit in input order, so ids and sessions do not depend on jobs. */
    for (size_t i = 0; i < list->count; i++) {
        slot *s = &r.slots[i];
        g_mutex_lock(&r.lock);
        while (!s->ready && !(cancelled(&r) && i >= r.next)) {
            gint64 until = g_get_monotonic_time() + G_TIME_SPAN_MILLISECOND * 100;
            g_cond_wait_until(&r.cond, &r.lock, until);
        }
        bool ready = s->ready;
        g_mutex_unlock(&r.lock);
        if (!ready) {
            summary->cancelled = list->count - i;
            break;
        }
        summary->prepare_seconds += s->prepare_seconds;
        if (s->rc == 1) {
            gint64 t = g_get_monotonic_time();
            s->rc = ba_ingest_commit(cat, s->job, &s->result, &s->err);
            summary->commit_seconds += (double)(g_get_monotonic_time() - t) / 1e6;
            ba_ingest_job_free(s->job);
            s->job = NULL;
        }
#ifdef __GLIBC__
        /* Decoded photos come and go in N threads' malloc arenas: give the
         * freed memory back so the peak stays flat over thousands of photos. */
        malloc_trim(0);
#endif
        ba_batch_event ev = {.index = i, .item = &list->items[i], .total = list->count};
        if (s->rc == 0) {
            ev.status = s->result.status == BA_INGEST_DUPLICATE ? BA_BATCH_DUPLICATE
                                                                 : BA_BATCH_INGESTED;
            ev.result = &s->result;
            if (ev.status == BA_BATCH_DUPLICATE)
                summary->duplicates++;
            else
                summary->ingested++;
        } else {
            ev.status = BA_BATCH_FAILED;
            ev.error = &s->err;
            summary->failed++;
            if (s->err.code == BA_ERR_CATALOG || s->err.code == BA_ERR_BUSY)
                summary->library_error = true;
        }
        ev.done = i + 1;
        if (opts->on_result)
            opts->on_result(&ev, opts->ud);
        g_mutex_lock(&r.lock);
        r.committed = i + 1;
        g_cond_broadcast(&r.cond);
        g_mutex_unlock(&r.lock);
    }
    for (int t = 0; t < jobs; t++)
        g_thread_join(threads[t]);
    remove_unused_clients(cat, created);
    /* Prepared but never committed (a cancel): their temporary masters go. */
    for (size_t i = 0; i < list->count; i++)
        ba_ingest_job_free(r.slots[i].job);
    g_free(threads);
    g_free(r.slots);
    g_mutex_clear(&r.lock);
    g_cond_clear(&r.cond);
    vips_concurrency_set(old_concurrency);
    summary->seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
    return 0;
}
