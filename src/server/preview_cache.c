/* Kept previews in memory: a thumbnail page asks for dozens of ~20 KB files
 * at once, and every one asked for again costs an open, a read and a copy.
 * Keyed by the preview's entity tag, which names its bytes (the master's
 * hash and the size): an entry can never go stale, only be evicted.  Who
 * may see it is decided before the cache is asked, on every request. */
#include "server/server.h"

struct srv_preview_cache {
    GMutex lock;
    GHashTable *bytes; /* etag -> GBytes */
    GQueue order;      /* etags, oldest first (owned by @bytes' keys) */
    gsize used, budget;
};

/* Larger ones (a 1600 px preview, a master) are read from the file each time. */
#define ENTRY_MAX (128 * 1024)

srv_preview_cache *srv_preview_cache_new(gsize budget)
{
    srv_preview_cache *pc = g_new0(srv_preview_cache, 1);
    g_mutex_init(&pc->lock);
    pc->bytes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)g_bytes_unref);
    g_queue_init(&pc->order);
    pc->budget = budget;
    return pc;
}

void srv_preview_cache_free(srv_preview_cache *pc)
{
    if (!pc)
        return;
    g_queue_clear(&pc->order);
    g_hash_table_destroy(pc->bytes);
    g_mutex_clear(&pc->lock);
    g_free(pc);
}

GBytes *srv_preview_cache_get(srv_preview_cache *pc, const char *etag)
{
    g_mutex_lock(&pc->lock);
    GBytes *b = g_hash_table_lookup(pc->bytes, etag);
    if (b)
        g_bytes_ref(b);
    g_mutex_unlock(&pc->lock);
    return b;
}

void srv_preview_cache_put(srv_preview_cache *pc, const char *etag, GBytes *bytes)
{
    gsize size = g_bytes_get_size(bytes);
    if (size > ENTRY_MAX || size > pc->budget)
        return;
    g_mutex_lock(&pc->lock);
    if (!g_hash_table_contains(pc->bytes, etag)) {
        while (pc->used + size > pc->budget && !g_queue_is_empty(&pc->order)) {
            char *old = g_queue_pop_head(&pc->order);
            pc->used -= g_bytes_get_size(g_hash_table_lookup(pc->bytes, old));
            g_hash_table_remove(pc->bytes, old); /* frees @old */
        }
        char *key = g_strdup(etag);
        g_hash_table_insert(pc->bytes, key, g_bytes_ref(bytes));
        g_queue_push_tail(&pc->order, key);
        pc->used += size;
    }
    g_mutex_unlock(&pc->lock);
}
