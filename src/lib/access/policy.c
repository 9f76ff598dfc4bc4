/* The authorization policy: roles and the pure decision of who may do what. */
#include "beforeafter/access.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const ROLES[] = {"admin", "provider", "marketing", NULL};

int ba_access_role_parse(const char *name)
{
    for (int i = 0; name && ROLES[i]; i++)
        if (strcmp(name, ROLES[i]) == 0)
            return i;
    return -1;
}

const char *ba_access_role_name(ba_role role)
{
    return (unsigned)role < BA_ROLE_COUNT_ ? ROLES[role] : "?";
}

/* What marketing may do at all; its "yes" still depends on the object. */
static const bool MARKETING_MAY[BA_ACCESS_ACTION_COUNT_] = {
    [BA_ACCESS_CLIENT_LIST] = true,      [BA_ACCESS_CLIENT_READ] = true,
    [BA_ACCESS_PHOTO_READ] = true,       [BA_ACCESS_COMPARISON_READ] = true,
    [BA_ACCESS_CONSENT_READ] = true,     [BA_ACCESS_EXPORT] = true,
    [BA_ACCESS_EXPORT_READ] = true,
};

/* What a role may do at all, before looking at the object (the header's
 * list): admin everything, provider all but the users and the audit. */
static bool role_may(ba_role role, ba_access_action action)
{
    switch (role) {
    case BA_ROLE_ADMIN:
        return true;
    case BA_ROLE_PROVIDER:
        return action != BA_ACCESS_USER_ADMIN && action != BA_ACCESS_AUDIT_READ;
    case BA_ROLE_MARKETING:
        return MARKETING_MAY[action];
    default:
        return false;
    }
}

static const char *const ACTION_WORDS[BA_ACCESS_ACTION_COUNT_] = {
    [BA_ACCESS_CLIENT_LIST] = "list clients",
    [BA_ACCESS_CLIENT_READ] = "read a client's record",
    [BA_ACCESS_CLIENT_WRITE] = "add or correct clients and sessions",
    [BA_ACCESS_PHOTO_READ] = "see photos",
    [BA_ACCESS_PHOTO_UPLOAD] = "upload photos",
    [BA_ACCESS_PHOTO_CORRECT] = "correct photos",
    [BA_ACCESS_ALIGN] = "align photos",
    [BA_ACCESS_GHOST] = "make capture overlays",
    [BA_ACCESS_COMPARE] = "render comparisons",
    [BA_ACCESS_COMPARISON_READ] = "see comparisons",
    [BA_ACCESS_CONSENT_READ] = "see consents",
    [BA_ACCESS_CONSENT_WRITE] = "record or revoke consents",
    [BA_ACCESS_EXPORT] = "export",
    [BA_ACCESS_EXPORT_READ] = "see exports",
    [BA_ACCESS_USER_ADMIN] = "manage users",
    [BA_ACCESS_AUDIT_READ] = "read the audit",
};

G_GNUC_PRINTF(4, 5)
static ba_access_verdict say(ba_access_verdict v, char *reason, size_t size, const char *fmt, ...)
{
    if (reason && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, size, fmt, ap);
        va_end(ap);
    }
    return v;
}

/* Marketing sees a client's things only while the client has an active
 * marketing consent, and of their photos only those shown in a comparison. */
static bool marketing_sees(ba_access_action action, const ba_access_object *obj)
{
    if (action == BA_ACCESS_CLIENT_LIST)
        return true; /* the list itself is filtered by the caller with this rule */
    if (!obj || !obj->has_client || !obj->client_marketing_consent)
        return false;
    if (action == BA_ACCESS_PHOTO_READ)
        return obj->photo_in_comparison;
    return true;
}

ba_access_verdict ba_access_decide(ba_role role, ba_access_action action,
                                   const ba_access_object *obj, char *reason, size_t reason_size)
{
    if (reason && reason_size)
        reason[0] = '\0';
    if ((unsigned)role >= BA_ROLE_COUNT_ || (unsigned)action >= BA_ACCESS_ACTION_COUNT_)
        return say(BA_ACCESS_FORBIDDEN, reason, reason_size, "unknown role or action");
    const char *rname = ba_access_role_name(role);
    if (!role_may(role, action))
        return say(BA_ACCESS_FORBIDDEN, reason, reason_size, "the %s role may not %s", rname,
                   ACTION_WORDS[action]);
    bool exporting = action == BA_ACCESS_EXPORT || action == BA_ACCESS_EXPORT_READ;
    if (role == BA_ROLE_MARKETING) {
        /* Hidden before forbidden-by-purpose: a marketing user asking about a
         * client they may not see learns nothing, not even the purpose rule. */
        if (!marketing_sees(action, obj))
            return say(BA_ACCESS_HIDDEN, reason, reason_size, "not found");
        if (exporting && obj->purpose != BA_SCOPE_MARKETING)
            return say(BA_ACCESS_FORBIDDEN, reason, reason_size,
                       "the %s role may only export for marketing", rname);
    }
    if (role == BA_ROLE_PROVIDER && exporting && obj && obj->purpose == BA_SCOPE_MARKETING)
        return say(BA_ACCESS_FORBIDDEN, reason, reason_size,
                   "the %s role may not %s for marketing", rname, ACTION_WORDS[action]);
    return BA_ACCESS_ALLOW;
}

int ba_access_require(ba_role role, ba_access_action action, const ba_access_object *obj,
                      const char *what, ba_error *err)
{
    char reason[160];
    switch (ba_access_decide(role, action, obj, reason, sizeof reason)) {
    case BA_ACCESS_ALLOW:
        return 0;
    case BA_ACCESS_HIDDEN:
        ba_error_set(err, BA_ERR_NOT_FOUND, "%s was not found", what ? what : "the object");
        return -1;
    case BA_ACCESS_FORBIDDEN:
    default:
        ba_error_set(err, BA_ERR_FORBIDDEN, "%s", reason);
        return -1;
    }
}
