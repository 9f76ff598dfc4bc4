/* The facts about an object that the authorization decision needs, read
 * from the catalog (the decision itself stays pure: policy.c). */
#include "beforeafter/access.h"

#include <glib.h>
#include <string.h>

typedef struct consent_scan {
    const char *today;
    bool active;
} consent_scan;

static int any_active_marketing(const ba_consent *c, void *ud)
{
    consent_scan *s = ud;
    if (ba_consent_state_on(c, s->today) == BA_CONSENT_STATE_ACTIVE)
        s->active = true;
    return s->active;
}

int ba_access_client_facts(ba_catalog *cat, const char *client, ba_access_object *out,
                           ba_error *err)
{
    memset(out, 0, sizeof *out);
    char code[BA_CODE_MAX];
    if (ba_catalog_client_code(cat, client, code, err))
        return -1;
    char today[BA_DATE_MAX];
    ba_catalog_today(cat, today);
    consent_scan s = {.today = today};
    if (ba_catalog_consent_list(cat, code, "marketing", any_active_marketing, &s, err))
        return -1;
    out->has_client = true;
    out->client_marketing_consent = s.active;
    return 0;
}

typedef struct shown_scan {
    int64_t photo;
    bool shown;
} shown_scan;

static int shows_photo(const ba_comparison_record *c, void *ud)
{
    shown_scan *s = ud;
    for (int i = 0; i < c->n_photos && !s->shown; i++)
        s->shown = c->photos[i] == s->photo;
    return s->shown;
}

int ba_access_photo_facts(ba_catalog *cat, int64_t photo_id, char *client,
                          ba_access_object *out, ba_error *err)
{
    char owner[BA_CODE_MAX];
    if (ba_catalog_photo_keys(cat, photo_id, owner, NULL, err) ||
        ba_access_client_facts(cat, owner, out, err))
        return -1;
    if (client)
        g_strlcpy(client, owner, BA_CODE_MAX);
    shown_scan s = {.photo = photo_id};
    if (out->client_marketing_consent &&
        ba_catalog_comparison_list(cat, owner, shows_photo, &s, err))
        return -1;
    out->photo_in_comparison = s.shown;
    return 0;
}
