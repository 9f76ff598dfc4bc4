/* The consent policy: scopes, de-identification names and who may be shown for what. */
#include "beforeafter/consent.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const SCOPES[] = {"clinical", "education", "marketing", NULL};
static const char *const DEIDS[] = {"none",      "eyes",         "half-letterbox", "blur-face",
                                     "crop-to-area", "blur-outside", NULL};

int ba_consent_scope_parse(const char *name)
{
    for (int i = 0; name && SCOPES[i]; i++)
        if (strcmp(name, SCOPES[i]) == 0)
            return i;
    return -1;
}

const char *ba_consent_scope_name(ba_consent_scope scope)
{
    return (unsigned)scope < G_N_ELEMENTS(SCOPES) - 1 ? SCOPES[scope] : "?";
}

int ba_consent_deid_parse(const char *name)
{
    for (int i = 0; name && DEIDS[i]; i++)
        if (strcmp(name, DEIDS[i]) == 0)
            return i;
    return -1;
}

const char *ba_consent_deid_name(ba_deidentify d)
{
    return (unsigned)d < G_N_ELEMENTS(DEIDS) - 1 ? DEIDS[d] : "?";
}

int ba_consent_deid_list_check(const char *list, char *out, size_t out_size, ba_error *err)
{
    if (out && out_size)
        out[0] = '\0';
    if (!list)
        return 0;
    char **parts = g_strsplit(list, ",", -1);
    GString *norm = g_string_new(NULL);
    bool seen[G_N_ELEMENTS(DEIDS)] = {false};
    int rc = 0, n = 0;
    for (int i = 0; parts[i]; i++) {
        char *p = g_strstrip(parts[i]);
        int d = ba_consent_deid_parse(p);
        if (d < 0) {
            ba_error_set(err, BA_ERR_USAGE,
                         "unknown de-identification '%s' (none, eyes, half-letterbox, blur-face)",
                         p);
            rc = -1;
            break;
        }
        n++;
        if (seen[d])
            continue;
        seen[d] = true;
        if (norm->len)
            g_string_append_c(norm, ',');
        g_string_append(norm, DEIDS[d]);
    }
    if (rc == 0 && n == 0) {
        ba_error_set(err, BA_ERR_USAGE,
                     "empty list of allowed de-identifications (none, eyes, half-letterbox, "
                     "blur-face)");
        rc = -1;
    }
    if (rc == 0 && out) {
        if (norm->len >= out_size) {
            ba_error_set(err, BA_ERR_USAGE, "list of allowed de-identifications is too long");
            rc = -1;
        } else {
            g_strlcpy(out, norm->str, out_size);
        }
    }
    g_string_free(norm, TRUE);
    g_strfreev(parts);
    return rc;
}

/* True when the consent's allowed list (empty = any) contains @deid. */
static bool allows(const ba_consent *c, ba_deidentify deid)
{
    if (!c->allowed_deidentification[0])
        return true;
    char **parts = g_strsplit(c->allowed_deidentification, ",", -1);
    bool found = false;
    for (int i = 0; parts[i] && !found; i++)
        found = ba_consent_deid_parse(g_strstrip(parts[i])) == (int)deid;
    g_strfreev(parts);
    return found;
}

bool ba_consent_is_active(const ba_consent *c, const char *date)
{
    if (!c || !date || c->revoked_at[0])
        return false;
    if (strcmp(c->granted_at, date) > 0)
        return false;
    if (c->expires_at[0] && strcmp(date, c->expires_at) > 0)
        return false;
    return true;
}

ba_consent_state ba_consent_state_on(const ba_consent *c, const char *date)
{
    if (!c || !date || c->revoked_at[0])
        return BA_CONSENT_STATE_REVOKED;
    if (ba_consent_is_active(c, date))
        return BA_CONSENT_STATE_ACTIVE;
    return strcmp(c->granted_at, date) > 0 ? BA_CONSENT_STATE_NOT_YET : BA_CONSENT_STATE_EXPIRED;
}

const char *ba_consent_state_name(ba_consent_state state)
{
    switch (state) {
    case BA_CONSENT_STATE_ACTIVE: return "active";
    case BA_CONSENT_STATE_NOT_YET: return "not yet";
    case BA_CONSENT_STATE_EXPIRED: return "expired";
    case BA_CONSENT_STATE_REVOKED: return "revoked";
    }
    return "revoked";
}

static void say(char *reason, size_t size, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void say(char *reason, size_t size, const char *fmt, ...)
{
    if (!reason || !size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, size, fmt, ap);
    va_end(ap);
}

ba_consent_verdict ba_consent_decide(const ba_consent *consents, int n, const char *client,
                                     ba_consent_scope purpose, const char *date,
                                     ba_deidentify deid, int64_t *consent_id, char *reason,
                                     size_t reason_size)
{
    if (consent_id)
        *consent_id = 0;
    if (reason && reason_size)
        reason[0] = '\0';
    if (purpose == BA_SCOPE_CLINICAL)
        return BA_CONSENT_ALLOWED;
    const char *scope = ba_consent_scope_name(purpose);
    /* The newest active one allowing @deid is used; when there is none, the
     * newest active one (wrong de-identification), else the newest inactive
     * one, says why not. */
    const ba_consent *chosen = NULL, *wrong_deid = NULL, *inactive = NULL;
    for (int i = 0; i < n; i++) {
        const ba_consent *c = &consents[i];
        if (strcmp(c->client, client) != 0 || strcmp(c->scope, scope) != 0)
            continue;
        const ba_consent **slot = !ba_consent_is_active(c, date) ? &inactive
                                  : allows(c, deid)              ? &chosen
                                                                 : &wrong_deid;
        if (!*slot || c->id > (*slot)->id)
            *slot = c;
    }
    if (chosen) {
        if (consent_id)
            *consent_id = chosen->id;
        return BA_CONSENT_ALLOWED;
    }
    if (wrong_deid) {
        say(reason, reason_size,
            "client %s's %s consent %" G_GINT64_FORMAT " does not allow de-identification "
            "'%s' (it allows: %s)",
            client, scope, wrong_deid->id, ba_consent_deid_name(deid),
            wrong_deid->allowed_deidentification);
        return BA_CONSENT_DEID_NOT_ALLOWED;
    }
    if (!inactive) {
        say(reason, reason_size, "client %s has no %s consent", client, scope);
        return BA_CONSENT_NONE;
    }
    if (inactive->revoked_at[0]) {
        say(reason, reason_size,
            "client %s has no active %s consent: consent %" G_GINT64_FORMAT
            " was revoked on %.10s",
            client, scope, inactive->id, inactive->revoked_at);
        return BA_CONSENT_REVOKED;
    }
    if (strcmp(inactive->granted_at, date) > 0) {
        say(reason, reason_size,
            "client %s has no active %s consent: consent %" G_GINT64_FORMAT
            " only starts on %s",
            client, scope, inactive->id, inactive->granted_at);
        return BA_CONSENT_NOT_YET;
    }
    say(reason, reason_size,
        "client %s has no active %s consent: consent %" G_GINT64_FORMAT " expired on %s",
        client, scope, inactive->id, inactive->expires_at);
    return BA_CONSENT_EXPIRED;
}

static int collect(const ba_consent *c, void *ud)
{
    g_array_append_val((GArray *)ud, *c);
    return 0;
}

int ba_consent_check(ba_catalog *cat, const char *client, ba_consent_scope purpose,
                     const char *date, ba_deidentify deid, int64_t *consent_id, ba_error *err)
{
    ba_client cl;
    if (ba_catalog_client_get(cat, client, &cl, err))
        return -1;
    GArray *all = g_array_new(FALSE, FALSE, sizeof(ba_consent));
    int rc = ba_catalog_consent_list(cat, client, NULL, collect, all, err);
    if (rc == 0) {
        char reason[512];
        ba_consent_verdict v = ba_consent_decide((const ba_consent *)all->data, (int)all->len,
                                                 client, purpose, date, deid, consent_id,
                                                 reason, sizeof reason);
        if (v != BA_CONSENT_ALLOWED) {
            ba_error_set(err, BA_ERR_REFUSED, "%s", reason);
            rc = -1;
        }
    }
    g_array_free(all, TRUE);
    return rc;
}
