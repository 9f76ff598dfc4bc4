/* Corrections of photos (issue 12): retagging, moving to another session,
 * retracting and restoring, each in one write transaction with its audit row;
 * the alignments and comparisons made from the old facts are marked stale. */
#include "catalog/db.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

/* ---- areas ---------------------------------------------------------------- */

int ba_catalog_areas_parse(ba_catalog *cat, const char *list, ba_photo *out, ba_error *err)
{
    int n = 0;
    char names[BA_PHOTO_AREAS_MAX][BA_CODE_MAX];
    gchar **parts = g_strsplit(list ? list : "", ",", -1);
    int rc = 0;
    for (int i = 0; parts[i] && rc == 0; i++) {
        char *name = g_strstrip(parts[i]);
        if (!*name)
            continue;
        bool seen = false;
        for (int k = 0; k < n; k++)
            seen = seen || strcmp(names[k], name) == 0;
        if (seen)
            continue;
        if (n == BA_PHOTO_AREAS_MAX) {
            ba_error_set(err, BA_ERR_USAGE, "a photo shows at most %d areas",
                         BA_PHOTO_AREAS_MAX);
            rc = -1;
        } else if (ba_catalog_area_check(cat, name, err)) {
            rc = -1;
        } else {
            g_strlcpy(names[n++], name, BA_CODE_MAX);
        }
    }
    g_strfreev(parts);
    if (rc)
        return -1;
    if (n == 0) {
        ba_error_set(err, BA_ERR_USAGE, "no area given");
        return -1;
    }
    out->n_areas = n;
    memcpy(out->areas, names, sizeof names[0] * (size_t)n);
    g_strlcpy(out->area, names[0], sizeof out->area);
    return 0;
}

bool ba_photo_shares_area(const ba_photo *a, const ba_photo *b)
{
    int na = a->n_areas > 0 ? a->n_areas : 1, nb = b->n_areas > 0 ? b->n_areas : 1;
    for (int i = 0; i < na; i++)
        for (int k = 0; k < nb; k++)
            if (strcmp(a->n_areas > 0 ? a->areas[i] : a->area,
                       b->n_areas > 0 ? b->areas[k] : b->area) == 0)
                return true;
    return false;
}

/* ---- reading ---------------------------------------------------------------- */

int ba_catalog_photo_get_current(ba_catalog *cat, int64_t id, ba_photo *out, ba_error *err)
{
    if (ba_catalog_photo_get(cat, id, out, err))
        return -1;
    if (out->retracted_at[0]) {
        ba_error_set(err, BA_ERR_REFUSED, "photo %" G_GINT64_FORMAT " is retracted (%s)", id,
                     out->retract_reason);
        return -1;
    }
    return 0;
}

int ba_catalog_comparison_check_current(ba_catalog *cat, int64_t id, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, "SELECT stale FROM comparisons WHERE id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    char stale[BA_TEXT_MAX] = "";
    if (rc == SQLITE_ROW)
        ba_db_copy_col(st, 0, stale, sizeof stale);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "comparison %" G_GINT64_FORMAT " does not exist", id);
        return -1;
    }
    if (rc != SQLITE_ROW)
        return ba_db_fail(cat, err, "reading a comparison");
    if (stale[0]) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "comparison %" G_GINT64_FORMAT " is stale (%s): it must be rendered again",
                     id, stale);
        return -1;
    }
    st = ba_db_prepare(cat,
                       "SELECT p.id FROM comparison_photos cp JOIN photos p ON p.id = cp.photo_id"
                       " WHERE cp.comparison_id = ? AND p.retracted_at IS NOT NULL"
                       " ORDER BY cp.position LIMIT 1",
                       err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    int64_t photo = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "comparison %" G_GINT64_FORMAT " shows photo %" G_GINT64_FORMAT
                     ", which is retracted",
                     id, photo);
        return -1;
    }
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "reading a comparison's photos");
}

/* ---- the pieces of a correction, inside the write transaction ---------------- */

/* Run @sql with ?1 = @a, ?2 = @b (text, may be NULL); the statement must change rows only. */
static int exec_bound(ba_catalog *cat, const char *sql, int64_t id, const char *text,
                      const char *what, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        ba_db_bind_text_or_null(st, 2, text);
    int rc = ba_db_step_once(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, what);
}

/* Mark every current alignment and comparison that used photo @id stale
 * with @why, adding the comparisons' ids to the array @stale_comparisons
 * (a JSON array being built in @b) and the count of alignments. */
static int mark_stale(ba_catalog *cat, int64_t id, const char *why, JsonBuilder *b,
                      ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT DISTINCT c.id FROM comparisons c JOIN comparison_photos cp"
        " ON cp.comparison_id = c.id WHERE cp.photo_id = ? AND c.stale IS NULL ORDER BY c.id",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    json_builder_set_member_name(b, "stale_comparisons");
    json_builder_begin_array(b);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_builder_add_int_value(b, sqlite3_column_int64(st, 0));
    json_builder_end_array(b);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "finding the comparisons of a photo");
    if (exec_bound(cat,
                   "UPDATE comparisons SET stale = ?2 WHERE stale IS NULL AND id IN"
                   " (SELECT comparison_id FROM comparison_photos WHERE photo_id = ?1)",
                   id, why, "marking comparisons stale", err) ||
        exec_bound(cat,
                   "UPDATE alignments SET stale = ?2 WHERE stale IS NULL"
                   " AND (photo_id = ?1 OR reference_id = ?1)",
                   id, why, "marking alignments stale", err))
        return -1;
    json_builder_set_member_name(b, "stale_alignments");
    json_builder_add_int_value(b, sqlite3_changes(cat->db));
    return 0;
}

static char *json_text(JsonBuilder *b)
{
    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *g = json_generator_new();
    json_generator_set_root(g, root);
    char *text = json_generator_to_data(g, NULL);
    g_object_unref(g);
    json_node_unref(root);
    return text;
}

static void member_pair(JsonBuilder *b, const char *name, const char *old, const char *new_)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    json_builder_add_string_value(b, old);
    json_builder_add_string_value(b, new_);
    json_builder_end_array(b);
}

static void add_areas(JsonBuilder *b, const ba_photo *p)
{
    json_builder_begin_array(b);
    for (int i = 0; i < p->n_areas; i++)
        json_builder_add_string_value(b, p->areas[i]);
    json_builder_end_array(b);
}

static bool same_areas(const ba_photo *a, const ba_photo *b)
{
    if (a->n_areas != b->n_areas || strcmp(a->areas[0], b->areas[0]) != 0)
        return false;
    for (int i = 1; i < a->n_areas; i++) {
        bool found = false;
        for (int k = 1; k < b->n_areas; k++)
            found = found || strcmp(a->areas[i], b->areas[k]) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* Put photo @p (as read) on areas @want. */
static int set_areas(ba_catalog *cat, const ba_photo *p, const ba_photo *want, ba_error *err)
{
    int64_t ids[BA_PHOTO_AREAS_MAX];
    for (int i = 0; i < want->n_areas; i++) {
        int r = ba_db_lookup_id(cat, "SELECT id FROM areas WHERE name = ?", want->areas[i],
                                &ids[i], "looking up an area", err);
        if (r == 0)
            ba_error_set(err, BA_ERR_NOT_FOUND, "unknown area '%s'", want->areas[i]);
        if (r != 1)
            return -1;
    }
    char primary[24];
    snprintf(primary, sizeof primary, "%" G_GINT64_FORMAT, ids[0]);
    if (exec_bound(cat, "UPDATE photos SET area_id = CAST(?2 AS INTEGER) WHERE id = ?1", p->id,
                   primary, "changing a photo's area", err))
        return -1;
    return ba_db_photo_areas_put(cat, p->id, ids, want->n_areas, err);
}

/* Move photo @p to its client's session on @date.  Its session details
 * (treatment, provider, notes) are never lost: when the photo is the only
 * one of its session and no session is on @date, the session itself moves
 * (keeping its id and details); when a session is on @date, the photo joins
 * it and an emptied old session is removed after its details are carried
 * over to fields the other leaves empty — two different values refuse. */
static int move_date(ba_catalog *cat, const ba_photo *p, const char *date, ba_error *err)
{
    int64_t client_id = 0;
    if (ba_db_client_id_of(cat, p->client, &client_id, err))
        return -1;
    char key[24];
    snprintf(key, sizeof key, "%" G_GINT64_FORMAT, p->session_id);
    int64_t others = 0;
    if (ba_db_lookup_id(cat, "SELECT count(*) - 1 FROM photos WHERE session_id = CAST(?1 AS INTEGER)",
                        key, &others, "counting a session's photos", err) < 0)
        return -1;
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT id FROM sessions WHERE client_id = ? AND date = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int64_t target = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "looking up a session");

    if (!target && others == 0) {
        if (exec_bound(cat, "UPDATE sessions SET date = ?2 WHERE id = ?1", p->session_id, date,
                       "moving a session", err))
            return -1;
        return ba_db_sessions_renumber(cat, client_id, err);
    }
    if (!target && ba_db_session_ensure(cat, client_id, date, p->treatment, &target, err))
        return -1;
    char sid[24];
    snprintf(sid, sizeof sid, "%" G_GINT64_FORMAT, target);
    if (exec_bound(cat, "UPDATE photos SET session_id = CAST(?2 AS INTEGER) WHERE id = ?1",
                   p->id, sid, "moving a photo", err))
        return -1;
    if (others == 0) {
        /* The old session goes: its details first, where the other has none. */
        static const char *const FIELDS[] = {"treatment", "provider", "notes"};
        for (size_t i = 0; i < G_N_ELEMENTS(FIELDS); i++) {
            char *sql = g_strdup_printf(
                "SELECT 1 FROM sessions o, sessions t WHERE o.id = ?1 AND t.id = CAST(?2 AS INTEGER)"
                " AND o.%s IS NOT NULL AND o.%s <> '' AND t.%s IS NOT NULL AND t.%s <> ''"
                " AND o.%s <> t.%s",
                FIELDS[i], FIELDS[i], FIELDS[i], FIELDS[i], FIELDS[i], FIELDS[i]);
            st = ba_db_prepare(cat, sql, err);
            g_free(sql);
            if (!st)
                return -1;
            sqlite3_bind_int64(st, 1, p->session_id);
            sqlite3_bind_text(st, 2, sid, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
            if (rc == SQLITE_ROW) {
                ba_error_set(err, BA_ERR_REFUSED,
                             "photo %" G_GINT64_FORMAT ": its session %" G_GINT64_FORMAT
                             " (%s) would be removed, and its %s differs from that of session "
                             "%" G_GINT64_FORMAT " (%s); make them equal first; nothing was "
                             "changed",
                             p->id, p->session_id, p->session_date, FIELDS[i], target, date);
                return -1;
            }
            if (rc != SQLITE_DONE)
                return ba_db_fail(cat, err, "comparing sessions");
            sql = g_strdup_printf(
                "UPDATE sessions SET %s = (SELECT %s FROM sessions WHERE id = ?1)"
                " WHERE id = CAST(?2 AS INTEGER) AND (%s IS NULL OR %s = '')",
                FIELDS[i], FIELDS[i], FIELDS[i], FIELDS[i]);
            rc = exec_bound(cat, sql, p->session_id, sid, "carrying session details over", err);
            g_free(sql);
            if (rc)
                return -1;
        }
        if (exec_bound(cat, "DELETE FROM sessions WHERE id = ?1", p->session_id, NULL,
                       "removing an empty session", err))
            return -1;
    }
    return ba_db_sessions_renumber(cat, client_id, err);
}

/* Check a date a photo's session is moved to (or ingested on): a calendar
 * date and not after the library's today. */
int ba_catalog_session_date_check(ba_catalog *cat, const char *date, ba_error *err)
{
    if (ba_date_check(date, err))
        return -1;
    char today[BA_DATE_MAX];
    ba_catalog_today(cat, today);
    if (strcmp(date, today) > 0) {
        ba_error_set(err, BA_ERR_USAGE, "session date %s is in the future (today is %s)", date,
                     today);
        return -1;
    }
    return 0;
}

/* The correction of photo @id to the facts @want (areas, stage, view,
 * session date; "" / n_areas 0 = unchanged), audited as @action.
 * 0 changed, 1 nothing differed, -1 error (nothing written). */
static int apply(ba_catalog *cat, int64_t id, const ba_photo *want, const char *action,
                 ba_photo *out, ba_error *err)
{
    if (ba_db_begin(cat, err))
        return -1;
    ba_photo p;
    JsonBuilder *b = NULL;
    char *detail = NULL;
    if (ba_catalog_photo_get(cat, id, &p, err))
        goto fail;
    bool areas = want->n_areas > 0 && !same_areas(&p, want);
    bool stage = want->stage[0] && strcmp(want->stage, p.stage) != 0;
    bool view = want->view[0] && strcmp(want->view, p.view) != 0;
    bool date = want->session_date[0] && strcmp(want->session_date, p.session_date) != 0;
    if (!areas && !stage && !view && !date) {
        ba_db_rollback(cat);
        if (out)
            *out = p;
        return 1;
    }
    b = json_builder_new();
    json_builder_begin_object(b);
    if (areas) {
        json_builder_set_member_name(b, "areas");
        json_builder_begin_array(b);
        add_areas(b, &p);
        add_areas(b, want);
        json_builder_end_array(b);
        if (set_areas(cat, &p, want, err))
            goto fail;
    }
    if (stage) {
        member_pair(b, "stage", p.stage, want->stage);
        if (exec_bound(cat, "UPDATE photos SET stage = ?2 WHERE id = ?1", id, want->stage,
                       "changing a photo's stage", err))
            goto fail;
    }
    if (view) {
        member_pair(b, "view", p.view, want->view);
        if (exec_bound(cat, "UPDATE photos SET view = ?2 WHERE id = ?1", id, want->view,
                       "changing a photo's view", err))
            goto fail;
    }
    if (date) {
        member_pair(b, "date", p.session_date, want->session_date);
        if (move_date(cat, &p, want->session_date, err))
            goto fail;
    }
    char why[64];
    snprintf(why, sizeof why, "photo %" G_GINT64_FORMAT " corrected", id);
    if (mark_stale(cat, id, why, b, err))
        goto fail;
    json_builder_end_object(b);
    detail = json_text(b);
    char objects[32];
    snprintf(objects, sizeof objects, "photo %" G_GINT64_FORMAT, id);
    ba_audit_entry a = {.action = action, .client = p.client, .objects = objects,
                        .result = "ok", .detail = detail};
    if (ba_db_audit_insert(cat, &a, NULL, err) || ba_db_commit(cat, err))
        goto fail;
    g_object_unref(b);
    g_free(detail);
    if (out && ba_catalog_photo_get(cat, id, out, err))
        return -1; /* committed; only the read back failed */
    return 0;
fail:
    ba_db_rollback(cat);
    if (b)
        g_object_unref(b);
    g_free(detail);
    return -1;
}

int ba_catalog_photo_set(ba_catalog *cat, int64_t id, const ba_photo_change *change,
                         ba_photo *out, ba_error *err)
{
    if (!cat || !change || id <= 0) {
        ba_error_set(err, BA_ERR_USAGE, "ba_catalog_photo_set: missing or bad argument");
        return -1;
    }
    if (!change->areas && !change->stage && !change->view && !change->date) {
        ba_error_set(err, BA_ERR_USAGE, "photo %" G_GINT64_FORMAT ": nothing to change", id);
        return -1;
    }
    ba_photo want;
    memset(&want, 0, sizeof want);
    if (change->stage) {
        if (!ba_stage_valid(change->stage)) {
            ba_error_set(err, BA_ERR_USAGE, "stage '%s' is not one of before, after, progress",
                         change->stage);
            return -1;
        }
        g_strlcpy(want.stage, change->stage, sizeof want.stage);
    }
    if (change->view) {
        if (!ba_view_valid(change->view)) {
            ba_error_set(err, BA_ERR_USAGE,
                         "view '%s' is not one of frontal, left-45, right-45, left-90, "
                         "right-90, other",
                         change->view);
            return -1;
        }
        g_strlcpy(want.view, change->view, sizeof want.view);
    }
    if (change->date) {
        if (ba_catalog_session_date_check(cat, change->date, err))
            return -1;
        g_strlcpy(want.session_date, change->date, sizeof want.session_date);
    }
    if (change->areas && ba_catalog_areas_parse(cat, change->areas, &want, err))
        return -1;
    return apply(cat, id, &want, "photo-set", out, err);
}

int ba_catalog_photo_add_areas(ba_catalog *cat, int64_t id, const char *areas, ba_photo *out,
                               ba_error *err)
{
    ba_photo add, cur;
    memset(&add, 0, sizeof add);
    if (ba_catalog_areas_parse(cat, areas, &add, err) || ba_catalog_photo_get(cat, id, &cur, err))
        return -1;
    ba_photo want;
    memset(&want, 0, sizeof want);
    want.n_areas = cur.n_areas;
    memcpy(want.areas, cur.areas, sizeof want.areas);
    for (int i = 0; i < add.n_areas; i++) {
        bool have = false;
        for (int k = 0; k < want.n_areas; k++)
            have = have || strcmp(want.areas[k], add.areas[i]) == 0;
        if (have)
            continue;
        if (want.n_areas == BA_PHOTO_AREAS_MAX) {
            ba_error_set(err, BA_ERR_USAGE, "a photo shows at most %d areas",
                         BA_PHOTO_AREAS_MAX);
            return -1;
        }
        g_strlcpy(want.areas[want.n_areas++], add.areas[i], BA_CODE_MAX);
    }
    g_strlcpy(want.area, want.areas[0], sizeof want.area);
    return apply(cat, id, &want, "photo-add-area", out, err);
}

/* ---- retraction -------------------------------------------------------------- */

int ba_catalog_photo_retract(ba_catalog *cat, int64_t id, const char *reason, ba_photo *out,
                             ba_error *err)
{
    if (!reason || !*reason || strlen(reason) >= BA_TEXT_MAX ||
        !g_utf8_validate(reason, -1, NULL)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "photo %" G_GINT64_FORMAT ": a retraction needs a reason (UTF-8, under %d "
                     "bytes)",
                     id, BA_TEXT_MAX);
        return -1;
    }
    if (ba_db_begin(cat, err))
        return -1;
    ba_photo p;
    JsonBuilder *b = NULL;
    char *detail = NULL;
    if (ba_catalog_photo_get(cat, id, &p, err))
        goto fail;
    if (p.retracted_at[0]) {
        ba_error_set(err, BA_ERR_REFUSED, "photo %" G_GINT64_FORMAT " is already retracted (%s)",
                     id, p.retract_reason);
        goto fail;
    }
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    sqlite3_stmt *st = ba_db_prepare(
        cat, "UPDATE photos SET retracted_at = ?, retract_reason = ? WHERE id = ?", err);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, id);
    if (ba_db_step_once(st) != SQLITE_DONE) {
        ba_db_fail(cat, err, "retracting a photo");
        goto fail;
    }
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, reason);
    char why[64];
    snprintf(why, sizeof why, "photo %" G_GINT64_FORMAT " retracted", id);
    if (mark_stale(cat, id, why, b, err))
        goto fail;
    json_builder_end_object(b);
    detail = json_text(b);
    char objects[32];
    snprintf(objects, sizeof objects, "photo %" G_GINT64_FORMAT, id);
    ba_audit_entry a = {.action = "photo-retract", .client = p.client, .objects = objects,
                        .result = "ok", .detail = detail};
    if (ba_db_audit_insert(cat, &a, NULL, err) || ba_db_commit(cat, err))
        goto fail;
    g_object_unref(b);
    g_free(detail);
    return out ? ba_catalog_photo_get(cat, id, out, err) : 0;
fail:
    ba_db_rollback(cat);
    if (b)
        g_object_unref(b);
    g_free(detail);
    return -1;
}

int ba_catalog_photo_restore(ba_catalog *cat, int64_t id, ba_photo *out, ba_error *err)
{
    if (ba_db_begin(cat, err))
        return -1;
    ba_photo p;
    char *detail = NULL;
    JsonBuilder *b = NULL;
    if (ba_catalog_photo_get(cat, id, &p, err))
        goto fail;
    if (!p.retracted_at[0]) {
        ba_error_set(err, BA_ERR_REFUSED, "photo %" G_GINT64_FORMAT " is not retracted", id);
        goto fail;
    }
    char why[64];
    snprintf(why, sizeof why, "photo %" G_GINT64_FORMAT " retracted", id);
    /* The marks the retraction set go with it; comparisons showing another
     * retracted photo are still refused (ba_catalog_comparison_check_current). */
    if (exec_bound(cat, "UPDATE photos SET retracted_at = NULL, retract_reason = NULL"
                        " WHERE id = ?1", id, NULL, "restoring a photo", err) ||
        exec_bound(cat, "UPDATE comparisons SET stale = NULL WHERE stale = ?2", id, why,
                   "restoring comparisons", err) ||
        exec_bound(cat, "UPDATE alignments SET stale = NULL WHERE stale = ?2", id, why,
                   "restoring alignments", err))
        goto fail;
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, p.retract_reason);
    member_pair(b, "retracted_at", p.retracted_at, "");
    json_builder_end_object(b);
    detail = json_text(b);
    char objects[32];
    snprintf(objects, sizeof objects, "photo %" G_GINT64_FORMAT, id);
    ba_audit_entry a = {.action = "photo-restore", .client = p.client, .objects = objects,
                        .result = "ok", .detail = detail};
    if (ba_db_audit_insert(cat, &a, NULL, err) || ba_db_commit(cat, err))
        goto fail;
    g_object_unref(b);
    g_free(detail);
    return out ? ba_catalog_photo_get(cat, id, out, err) : 0;
fail:
    ba_db_rollback(cat);
    if (b)
        g_object_unref(b);
    g_free(detail);
    return -1;
}

/* ---- dates ------------------------------------------------------------------ */

int ba_catalog_session_gap_days(ba_catalog *cat, const char *client, const char *date,
                                int *days, ba_error *err)
{
    *days = 0;
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT min(abs(julianday(s.date) - julianday(?2))) FROM sessions s"
        " JOIN clients c ON c.id = s.client_id WHERE c.code = ?1 AND s.date <> ?2",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, client, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *days = (int)sqlite3_column_double(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ba_db_fail(cat, err, "reading a client's sessions");
    return found;
}

/* ---- repair by re-ingest ---------------------------------------------------- */

int ba_catalog_photo_repair_master(ba_catalog *cat, int64_t id, const char *master_sha256,
                                   const ba_store_hooks *hooks, ba_error *err)
{
    if (ba_db_begin(cat, err))
        return -1;
    bool stored = false;
    char *detail = NULL;
    ba_photo p;
    if (ba_catalog_photo_get(cat, id, &p, err))
        goto fail;
    if (strcmp(p.master_sha256, master_sha256) != 0) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "photo %" G_GINT64_FORMAT ": the master decoded again does not hash to the "
                     "recorded one (the decoder changed): not repaired",
                     id);
        goto fail;
    }
    if (hooks && hooks->store) {
        if (hooks->store(hooks->ud, err))
            goto fail;
        stored = true;
    }
    if (ba_catalog_photo_mark_master(cat, id, NULL, err))
        goto fail;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    member_pair(b, "master_problem", p.master_problem, "");
    json_builder_end_object(b);
    detail = json_text(b);
    g_object_unref(b);
    char objects[32];
    snprintf(objects, sizeof objects, "photo %" G_GINT64_FORMAT, id);
    ba_audit_entry a = {.action = "master-repair", .client = p.client, .objects = objects,
                        .result = "ok", .detail = detail};
    if (ba_db_audit_insert(cat, &a, NULL, err) || ba_db_commit(cat, err))
        goto fail;
    g_free(detail);
    return 0;
fail:
    ba_db_rollback(cat);
    /* A master that hashes right stays in place: it is the recorded one. */
    (void)stored;
    g_free(detail);
    return -1;
}
