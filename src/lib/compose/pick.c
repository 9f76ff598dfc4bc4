/* Which photos a comparison of a client's area shows: the first photo of
 * each session.  One home for the pick that compare and batch compare use. */
#include <glib.h>
#include <string.h>

#include "beforeafter/compose.h"

typedef struct picking {
    GArray *ids;         /* the chosen photo of each session, date order */
    int64_t last_session;
    const char *view;
} picking;

static int per_session(const ba_photo *p, void *ud)
{
    picking *k = ud;
    /* A damaged master would only make the render fail: the session's next
     * photo stands in for it. */
    if (strcmp(p->view, k->view) != 0 || p->master_problem[0])
        return 0;
    if (p->session_id == k->last_session)
        return 0; /* the first photo of each session */
    k->last_session = p->session_id;
    g_array_append_val(k->ids, p->id);
    return 0;
}

/* Of @n sessions' photos @all, the ones @pick asks for (n >= 2, max >= 2). */
static int choose(const int64_t *all, int n, ba_pick pick, int64_t *ids, int max)
{
    switch (pick) {
    case BA_PICK_FIRST:
        ids[0] = all[0], ids[1] = all[1];
        return 2;
    case BA_PICK_LAST:
        ids[0] = all[n - 2], ids[1] = all[n - 1];
        return 2;
    case BA_PICK_TIMELINE:
        memcpy(ids, all, sizeof *ids * (size_t)MIN(n, max));
        return MIN(n, max);
    default:
        ids[0] = all[0], ids[1] = all[n - 1];
        return 2;
    }
}

int ba_compose_pick(ba_catalog *cat, const char *client, const char *area, const char *view,
                    ba_pick pick, int64_t *ids, int max, int *n_out, ba_error *err)
{
    if (n_out)
        *n_out = 0;
    if (!cat || !client || !area || !ids || !n_out || max < 2 || (unsigned)pick > BA_PICK_TIMELINE) {
        ba_error_set(err, BA_ERR_USAGE, "ba_compose_pick: missing or bad argument");
        return -1;
    }
    ba_client cl;
    if (ba_catalog_client_get(cat, client, &cl, err) || ba_catalog_area_check(cat, area, err))
        return -1;
    picking k = {.ids = g_array_new(FALSE, FALSE, sizeof(int64_t)), .last_session = -1,
                 .view = view ? view : "frontal"};
    ba_photo_filter f = {.client = client, .area = area};
    int rc = ba_catalog_photo_list(cat, &f, per_session, &k, err);
    if (rc == 0) {
        int n = (int)k.ids->len;
        if (n < 2) {
            if (n == 1) /* an empty GArray has no data to copy */
                ids[0] = g_array_index(k.ids, int64_t, 0);
            *n_out = n;
        } else {
            *n_out = choose((const int64_t *)k.ids->data, n, pick, ids, max);
        }
    }
    g_array_free(k.ids, TRUE);
    return rc ? -1 : 0;
}
