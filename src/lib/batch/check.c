/* batch ingest --dry-run: every row checked as the batch would ingest it,
 * nothing written (no row, no master, no temporary file, no client). */
#include "beforeafter/beforeafter.h"

#include <glib.h>
#include <string.h>

/* The options of item @it: its own fields over the batch defaults. */
static void item_options(const ba_batch_options *bo, const ba_batch_item *it, ba_ingest_options *o)
{
    if (bo->defaults)
        *o = *bo->defaults;
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

/* Where an earlier row with the same bytes was, and for whom. */
typedef struct seen {
    size_t index;
    int row;
    char *client;
} seen;

static void seen_free(gpointer p)
{
    seen *s = p;
    g_free(s->client);
    g_free(s);
}

int ba_batch_check(ba_catalog *cat, const ba_batch_list *list, const ba_batch_options *opts,
                   ba_batch_summary *sum, ba_error *err)
{
    ba_batch_options defaults;
    if (!opts) {
        ba_batch_options_init(&defaults);
        opts = &defaults;
    }
    memset(sum, 0, sizeof *sum);
    if (!cat) {
        ba_error_set(err, BA_ERR_USAGE, "no library to check the batch against");
        return -1;
    }
    gint64 t0 = g_get_monotonic_time();
    GHashTable *by_hash = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, seen_free);
    for (size_t i = 0; i < list->count; i++) {
        if (opts->cancel && *opts->cancel) {
            sum->cancelled = list->count - i;
            break;
        }
        const ba_batch_item *it = &list->items[i];
        ba_ingest_options o;
        item_options(opts, it, &o);
        ba_ingest_check_result c;
        ba_ingest_result r;
        memset(&r, 0, sizeof r);
        ba_error e;
        ba_error_clear(&e);
        int bad = 0;
        if (it->error) {
            ba_error_set(&e, BA_ERR_USAGE, "%s", it->error);
            bad = 1;
        } else {
            /* A client the batch would create (--create-clients) is checked
             * as if it existed: everything else about the row still is. */
            ba_client client;
            ba_error ce;
            bool would_create = opts->create_clients && o.client &&
                                ba_catalog_client_get(cat, o.client, &client, &ce) != 0 &&
                                ce.code == BA_ERR_NOT_FOUND;
            if (would_create) {
                ba_ingest_options probe = o;
                probe.client = NULL;
                /* the client's own checks are skipped, the file's are not */
                bad = ba_ingest_check(cat, it->file, &probe, &c, &e) != 0;
            } else {
                bad = ba_ingest_check(cat, it->file, &o, &c, &e) != 0;
            }
            /* An earlier row with the same bytes: a duplicate of it for the
             * same client, refused for another. */
            seen *s = bad || !c.original_sha256[0] ? NULL : g_hash_table_lookup(by_hash, c.original_sha256);
            if (s && o.client && g_ascii_strcasecmp(s->client, o.client) != 0) {
                ba_error_set(&e, BA_ERR_REFUSED,
                             "%s: the same photo as %s%d (client %s), for client %s", it->file,
                             s->row ? "line " : "input ", s->row ? s->row : (int)s->index + 1,
                             s->client, o.client);
                bad = 1;
            } else if (s) {
                r.status = BA_INGEST_DUPLICATE;
                g_snprintf(r.warnings[r.n_warnings++], sizeof r.warnings[0],
                           "the same photo as %s%d: stored once", s->row ? "line " : "input ",
                           s->row ? s->row : (int)s->index + 1);
                g_strlcpy(r.warning, r.warnings[0], sizeof r.warning);
            } else if (!bad) {
                r.status = c.duplicate_of ? BA_INGEST_DUPLICATE : BA_INGEST_INGESTED;
                r.photo_id = c.duplicate_of;
                if (c.duplicate_of) {
                    ba_photo old;
                    if (ba_catalog_photo_get(cat, c.duplicate_of, &old, NULL) == 0)
                        ba_catalog_master_relpath(old.master_sha256, r.master, sizeof r.master);
                }
                seen *n = g_new0(seen, 1);
                n->index = i;
                n->row = it->row;
                n->client = g_strdup(o.client ? o.client : "");
                g_hash_table_insert(by_hash, g_strdup(c.original_sha256), n);
            }
        }
        ba_batch_event ev = {.index = i,
                             .item = it,
                             .status = bad                                 ? BA_BATCH_FAILED
                                       : r.status == BA_INGEST_DUPLICATE ? BA_BATCH_DUPLICATE
                                                                         : BA_BATCH_INGESTED,
                             .result = &r,
                             .error = &e,
                             .done = i + 1,
                             .total = list->count};
        if (bad)
            sum->failed++;
        else if (ev.status == BA_BATCH_DUPLICATE)
            sum->duplicates++;
        else
            sum->ingested++;
        if (bad && (e.code == BA_ERR_CATALOG || e.code == BA_ERR_BUSY))
            sum->library_error = true;
        if (opts->on_result)
            opts->on_result(&ev, opts->ud);
    }
    g_hash_table_destroy(by_hash);
    sum->seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
    return 0;
}
