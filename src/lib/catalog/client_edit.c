/* Corrections of clients and sessions: rename, set, merge, session set.
 *
 * Each is one write transaction with one audit row whose detail is compact
 * JSON built with json-glib.  Personal data never goes into the audit log
 * (it is append-only and chained, so an erasure could not take it out): a
 * changed display name, birth date or session notes is recorded as
 * "changed", not by value; codes, treatments and providers (the clinic's
 * words, not the client's) are recorded old -> new. */
#include "catalog/db.h"

#include <stdio.h>
#include <string.h>

#include "catalog/client_edit.h"
#include "catalog/json_detail.h"

/* ---- finding a client whatever the case ----------------------------------- */

int ba_db_client_find(ba_catalog *cat, const char *code, int64_t *id, char canon[BA_CODE_MAX],
                      ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "SELECT id, code FROM clients WHERE code = ?1 COLLATE NOCASE"
                                     " ORDER BY code = ?1 DESC, id LIMIT 1",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code ? code : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (id)
            *id = sqlite3_column_int64(st, 0);
        if (canon)
            ba_db_copy_col(st, 1, canon, BA_CODE_MAX);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "reading a client");
}

/* Like ba_db_client_find(), but a missing client is BA_ERR_NOT_FOUND. */
static int client_need(ba_catalog *cat, const char *code, int64_t *id, char canon[BA_CODE_MAX],
                       ba_error *err)
{
    int r = ba_db_client_find(cat, code, id, canon, err);
    if (r == 0)
        ba_db_client_missing(err, code);
    return r == 1 ? 0 : -1;
}

/* Text columns of client @id: name and birth date ("" for NULL). */
static int client_fields(ba_catalog *cat, int64_t id, char name[BA_TEXT_MAX],
                         char birth[BA_DATE_MAX], ba_error *err)
{
    sqlite3_stmt *st =
        ba_db_prepare(cat, "SELECT name, birth_date FROM clients WHERE id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ba_db_copy_col(st, 0, name, BA_TEXT_MAX);
        ba_db_copy_col(st, 1, birth, BA_DATE_MAX);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ba_db_fail(cat, err, "reading a client");
}

/* Append the audit row and commit; rolls back on failure.  @detail is freed. */
static int audit_commit(ba_catalog *cat, const char *action, const char *client,
                        const char *objects, char *detail, ba_error *err)
{
    ba_audit_entry a = {.action = action,
                        .client = client,
                        .objects = objects,
                        .result = "ok",
                        .detail = detail};
    int rc = ba_db_audit_insert(cat, &a, NULL, err) || ba_db_commit(cat, err) ? -1 : 0;
    g_free(detail);
    if (rc)
        ba_db_rollback(cat);
    return rc;
}

/* ---- rename ------------------------------------------------------------------ */

int ba_catalog_client_rename(ba_catalog *cat, const char *code, const char *new_code,
                             ba_error *err)
{
    if (!ba_db_client_code_valid(new_code)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "client code '%s' is not valid: use 1 to 32 letters, digits, '-', '_' "
                     "or '.', starting with a letter or digit",
                     new_code ? new_code : "");
        return -1;
    }
    if (ba_db_begin(cat, err))
        return -1;
    int64_t id = 0, other = 0;
    char old[BA_CODE_MAX], taken[BA_CODE_MAX];
    if (client_need(cat, code, &id, old, err))
        goto fail;
    if (strcmp(old, new_code) == 0) {
        ba_db_rollback(cat);
        return 0; /* already so called: nothing to record */
    }
    int r = ba_db_client_find(cat, new_code, &other, taken, err);
    if (r < 0)
        goto fail;
    if (r == 1 && other != id) {
        if (strcmp(taken, new_code) == 0)
            ba_error_set(err, BA_ERR_EXISTS, "client %s already exists", taken);
        else
            ba_error_set(err, BA_ERR_EXISTS, "client %s already exists as %s", new_code, taken);
        goto fail;
    }
    sqlite3_stmt *st = ba_db_prepare(cat, "UPDATE clients SET code = ? WHERE id = ?", err);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, new_code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    if (ba_db_step_once(st) != SQLITE_DONE) {
        ba_db_fail(cat, err, "renaming a client");
        goto fail;
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    ba_db_json_change(b, "code", old, new_code);
    json_builder_end_object(b);
    char objects[48];
    snprintf(objects, sizeof objects, "client %" G_GINT64_FORMAT, id);
    return audit_commit(cat, "client-rename", new_code, objects, ba_db_json_text(b), err);
fail:
    ba_db_rollback(cat);
    return -1;
}

/* ---- set ---------------------------------------------------------------------- */

static int check_name(const char *code, const char *name, ba_error *err)
{
    if (name && (strlen(name) >= BA_TEXT_MAX || !g_utf8_validate(name, -1, NULL))) {
        ba_error_set(err, BA_ERR_USAGE, "client name for '%s' must be UTF-8 and under %d bytes",
                     code, BA_TEXT_MAX);
        return -1;
    }
    return 0;
}

static int check_birth_date(ba_catalog *cat, const char *code, const char *date, ba_error *err)
{
    if (!date || !*date)
        return 0;
    if (ba_date_check(date, err))
        return -1;
    char today[BA_DATE_MAX];
    ba_catalog_today(cat, today);
    if (strcmp(date, today) > 0) {
        ba_error_set(err, BA_ERR_USAGE, "birth date %s of client %s is in the future (today is %s)",
                     date, code, today);
        return -1;
    }
    return 0;
}

int ba_catalog_client_set(ba_catalog *cat, const char *code, const char *name,
                          const char *birth_date, ba_error *err)
{
    if (check_name(code, name, err) || check_birth_date(cat, code, birth_date, err))
        return -1;
    if (ba_db_begin(cat, err))
        return -1;
    int64_t id = 0;
    char canon[BA_CODE_MAX], old_name[BA_TEXT_MAX], old_birth[BA_DATE_MAX];
    if (client_need(cat, code, &id, canon, err) ||
        client_fields(cat, id, old_name, old_birth, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    bool name_changes = name && strcmp(name, old_name) != 0;
    bool birth_changes = birth_date && strcmp(birth_date, old_birth) != 0;
    if (!name_changes && !birth_changes) {
        ba_db_rollback(cat);
        return 0;
    }
    sqlite3_stmt *st = ba_db_prepare(
        cat, "UPDATE clients SET name = ?, birth_date = ? WHERE id = ?", err);
    if (!st) {
        ba_db_rollback(cat);
        return -1;
    }
    ba_db_bind_text_or_null(st, 1, name_changes ? name : old_name);
    ba_db_bind_text_or_null(st, 2, birth_changes ? birth_date : old_birth);
    sqlite3_bind_int64(st, 3, id);
    if (ba_db_step_once(st) != SQLITE_DONE) {
        ba_db_fail(cat, err, "correcting a client");
        ba_db_rollback(cat);
        return -1;
    }
    /* Personal data is recorded as changed, never by value (see the top). */
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    if (name_changes) {
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, !*name ? "cleared" : old_name[0] ? "changed" : "set");
    }
    if (birth_changes) {
        json_builder_set_member_name(b, "birth_date");
        json_builder_add_string_value(b, !*birth_date ? "cleared"
                                                      : old_birth[0] ? "changed" : "set");
    }
    json_builder_end_object(b);
    char objects[48];
    snprintf(objects, sizeof objects, "client %" G_GINT64_FORMAT, id);
    return audit_commit(cat, "client-set", canon, objects, ba_db_json_text(b), err);
}

/* ---- sessions ------------------------------------------------------------------ */

#define SESSION_COLS                                                                        \
    "SELECT s.id, c.code, s.date, s.number, s.treatment, s.provider, s.notes,"             \
    " (SELECT COUNT(*) FROM photos p WHERE p.session_id = s.id AND p.retracted_at IS NULL)" \
    " FROM sessions s JOIN clients c ON c.id = s.client_id "

static int read_session(ba_catalog *cat, sqlite3_stmt *st, void *out, ba_error *err)
{
    (void)cat;
    (void)err;
    ba_session *s = out;
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    ba_db_copy_col(st, 1, s->client, sizeof s->client);
    ba_db_copy_col(st, 2, s->date, sizeof s->date);
    s->number = sqlite3_column_int(st, 3);
    ba_db_copy_col(st, 4, s->treatment, sizeof s->treatment);
    ba_db_copy_col(st, 5, s->provider, sizeof s->provider);
    ba_db_copy_col(st, 6, s->notes, sizeof s->notes);
    s->photo_count = sqlite3_column_int(st, 7);
    return 0;
}

int ba_catalog_session_get(ba_catalog *cat, int64_t id, ba_session *out, ba_error *err)
{
    return ba_db_get_by_id(cat, SESSION_COLS "WHERE s.id = ?", id, read_session, out, "session",
                           "a session", err);
}

int ba_catalog_session_list(ba_catalog *cat, const char *client, ba_session_fn fn, void *ud,
                            ba_error *err)
{
    int64_t id = 0;
    if (client_need(cat, client, &id, NULL, err))
        return -1;
    sqlite3_stmt *st =
        ba_db_prepare(cat, SESSION_COLS "WHERE s.client_id = ? ORDER BY s.date, s.id", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_session s;
        read_session(cat, st, &s, NULL);
        if (fn(&s, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing sessions");
}

static int check_text(const char *what, int64_t id, const char *s, size_t max, ba_error *err)
{
    if (s && (strlen(s) >= max || !g_utf8_validate(s, -1, NULL))) {
        ba_error_set(err, BA_ERR_USAGE,
                     "%s of session %" G_GINT64_FORMAT " must be UTF-8 and under %zu bytes", what,
                     id, max);
        return -1;
    }
    return 0;
}

int ba_catalog_session_set(ba_catalog *cat, int64_t id, const char *treatment,
                           const char *provider, const char *notes, ba_error *err)
{
    if (check_text("the treatment", id, treatment, BA_TEXT_MAX, err) ||
        check_text("the provider", id, provider, BA_TEXT_MAX, err) ||
        check_text("the notes", id, notes, BA_NOTES_MAX, err))
        return -1;
    if (ba_db_begin(cat, err))
        return -1;
    ba_session old;
    if (ba_catalog_session_get(cat, id, &old, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    bool t = treatment && strcmp(treatment, old.treatment) != 0;
    bool p = provider && strcmp(provider, old.provider) != 0;
    bool n = notes && strcmp(notes, old.notes) != 0;
    if (!t && !p && !n) {
        ba_db_rollback(cat);
        return 0;
    }
    sqlite3_stmt *st = ba_db_prepare(
        cat, "UPDATE sessions SET treatment = ?, provider = ?, notes = ? WHERE id = ?", err);
    if (!st) {
        ba_db_rollback(cat);
        return -1;
    }
    ba_db_bind_text_or_null(st, 1, t ? treatment : old.treatment);
    ba_db_bind_text_or_null(st, 2, p ? provider : old.provider);
    ba_db_bind_text_or_null(st, 3, n ? notes : old.notes);
    sqlite3_bind_int64(st, 4, id);
    if (ba_db_step_once(st) != SQLITE_DONE) {
        ba_db_fail(cat, err, "correcting a session");
        ba_db_rollback(cat);
        return -1;
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    if (t)
        ba_db_json_change(b, "treatment", old.treatment, treatment);
    if (p)
        ba_db_json_change(b, "provider", old.provider, provider);
    if (n) {
        /* Notes may say anything about the person: not by value. */
        json_builder_set_member_name(b, "notes");
        json_builder_add_string_value(b, !*notes ? "cleared" : old.notes[0] ? "changed" : "set");
    }
    json_builder_end_object(b);
    char objects[48];
    snprintf(objects, sizeof objects, "session %" G_GINT64_FORMAT, id);
    return audit_commit(cat, "session-set", old.client, objects, ba_db_json_text(b), err);
}

/* ---- merge ---------------------------------------------------------------------- */

/* Run @sql with ?1 = @a, ?2 = @b (ints); the number of rows changed, -1 on error. */
static int exec2(ba_catalog *cat, const char *sql, int64_t a, int64_t b, const char *what,
                 ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return ba_db_fail(cat, err, what);
    return sqlite3_changes(cat->db);
}

/* Column 0 of the one row of @sql with ?1 = @a (an int), -1 on error. */
static int64_t count1(ba_catalog *cat, const char *sql, int64_t a, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a);
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (v < 0)
        ba_db_fail(cat, err, "counting a client's rows");
    return v;
}

/* Equal, or empty on one side: the value the joined session keeps in @keep. */
static bool joinable(const char *a, const char *b, const char **keep)
{
    if (!*a || strcmp(a, b) == 0) {
        *keep = b;
        return true;
    }
    if (!*b) {
        *keep = a;
        return true;
    }
    return false;
}

typedef struct merge_job {
    int64_t from_id, into_id;
    char from[BA_CODE_MAX], into[BA_CODE_MAX];
    GArray *from_sessions; /* ba_session */
    ba_client_merge_result r;
} merge_job;

static int collect_session(const ba_session *s, void *ud)
{
    g_array_append_val((GArray *)ud, *s);
    return 0;
}

/* The session of client @client_id on @date: 1 and @out, 0 when none. */
static int session_on(ba_catalog *cat, int64_t client_id, const char *date, ba_session *out,
                      ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, "SELECT id FROM sessions WHERE client_id = ? AND date = ?",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return ba_db_fail(cat, err, "looking up a session");
    return ba_catalog_session_get(cat, id, out, err) ? -1 : 1;
}

/* Join FROM's session @s into INTO's session @t of the same date. */
static int join_session(ba_catalog *cat, merge_job *m, const ba_session *s, const ba_session *t,
                        ba_error *err)
{
    const char *fields[] = {"treatment", "provider", "notes"};
    const char *a[] = {s->treatment, s->provider, s->notes};
    const char *b[] = {t->treatment, t->provider, t->notes};
    const char *keep[3];
    for (int i = 0; i < 3; i++) {
        if (!joinable(a[i], b[i], &keep[i])) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "session %" G_GINT64_FORMAT " of %s and session %" G_GINT64_FORMAT
                         " of %s (both %s) have different %s; make them equal first; nothing "
                         "was changed",
                         s->id, m->from, t->id, m->into, s->date, fields[i]);
            return -1;
        }
    }
    sqlite3_stmt *st = ba_db_prepare(
        cat, "UPDATE sessions SET treatment = ?, provider = ?, notes = ? WHERE id = ?", err);
    if (!st)
        return -1;
    for (int i = 0; i < 3; i++)
        ba_db_bind_text_or_null(st, i + 1, keep[i]);
    sqlite3_bind_int64(st, 4, t->id);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "joining sessions");
    if (exec2(cat, "UPDATE photos SET session_id = ?2 WHERE session_id = ?1", s->id, t->id,
              "moving photos", err) < 0 ||
        exec2(cat, "DELETE FROM sessions WHERE id = ?1 AND ?2 = ?2", s->id, 0,
              "removing a joined session", err) < 0)
        return -1;
    m->r.sessions_joined++;
    return 0;
}

static int merge_sessions(ba_catalog *cat, merge_job *m, ba_error *err)
{
    for (guint i = 0; i < m->from_sessions->len; i++) {
        const ba_session *s = &g_array_index(m->from_sessions, ba_session, i);
        ba_session t;
        int r = session_on(cat, m->into_id, s->date, &t, err);
        if (r < 0)
            return -1;
        if (r == 1) {
            if (join_session(cat, m, s, &t, err))
                return -1;
        } else {
            if (exec2(cat, "UPDATE sessions SET client_id = ?2 WHERE id = ?1", s->id, m->into_id,
                      "moving a session", err) < 0)
                return -1;
            m->r.sessions_moved++;
        }
    }
    return 0;
}

/* Name and birth date: kept when only FROM has one, refused when both differ. */
static int merge_fields(ba_catalog *cat, merge_job *m, ba_error *err)
{
    char fn[BA_TEXT_MAX], fb[BA_DATE_MAX], tn[BA_TEXT_MAX], tb[BA_DATE_MAX];
    if (client_fields(cat, m->from_id, fn, fb, err) || client_fields(cat, m->into_id, tn, tb, err))
        return -1;
    const char *name, *birth;
    if (!joinable(fn, tn, &name) || !joinable(fb, tb, &birth)) {
        /* Not by value: the message may be logged. */
        ba_error_set(err, BA_ERR_REFUSED,
                     "clients %s and %s have different %s; make them equal first; nothing was "
                     "changed",
                     m->from, m->into, !joinable(fn, tn, &name) ? "names" : "birth dates");
        return -1;
    }
    sqlite3_stmt *st =
        ba_db_prepare(cat, "UPDATE clients SET name = ?, birth_date = ? WHERE id = ?", err);
    if (!st)
        return -1;
    ba_db_bind_text_or_null(st, 1, name);
    ba_db_bind_text_or_null(st, 2, birth);
    sqlite3_bind_int64(st, 3, m->into_id);
    return ba_db_step_once(st) == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "merging clients");
}

static int merge_rows(ba_catalog *cat, merge_job *m, ba_error *err)
{
    int64_t photos = count1(cat,
                            "SELECT COUNT(*) FROM photos p JOIN sessions s ON s.id = p.session_id"
                            " WHERE s.client_id = ?1",
                            m->from_id, err);
    int64_t comps = count1(cat,
                           "SELECT COUNT(DISTINCT cp.comparison_id) FROM comparison_photos cp"
                           " JOIN photos p ON p.id = cp.photo_id JOIN sessions s"
                           " ON s.id = p.session_id WHERE s.client_id = ?1",
                           m->from_id, err);
    if (photos < 0 || comps < 0)
        return -1;
    m->r.photos = (int)photos;
    m->r.comparisons = (int)comps;
    /* Every photo's session number before, to mark what the merge renumbers. */
    if (ba_db_exec(cat, "DROP TABLE IF EXISTS temp.merge_numbers;"
                        "CREATE TEMP TABLE merge_numbers(photo_id INTEGER PRIMARY KEY, number"
                        " INTEGER NOT NULL)", err) ||
        exec2(cat, "INSERT INTO temp.merge_numbers SELECT p.id, s.number FROM photos p"
                   " JOIN sessions s ON s.id = p.session_id WHERE s.client_id IN (?1, ?2)",
              m->from_id, m->into_id, "reading session numbers", err) < 0)
        return -1;
    if (merge_fields(cat, m, err))
        return -1;
    if (ba_catalog_session_list(cat, m->from, collect_session, m->from_sessions, err) ||
        merge_sessions(cat, m, err))
        return -1;
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    sqlite3_stmt *st = ba_db_prepare(
        cat, "INSERT INTO client_merges(from_id, to_id, merged_at) VALUES(?,?,?)", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, m->from_id);
    sqlite3_bind_int64(st, 2, m->into_id);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "recording a merge");
    int consents = exec2(cat, "UPDATE consents SET client_id = ?2 WHERE client_id = ?1",
                         m->from_id, m->into_id, "moving consents", err);
    if (consents < 0)
        return -1;
    m->r.consents = consents;
    if (ba_db_sessions_renumber(cat, m->into_id, err))
        return -1;
    char why[160];
    snprintf(why, sizeof why, "client %s was merged into %s: session numbers changed", m->from,
             m->into);
    sqlite3_stmt *ss = ba_db_prepare(
        cat, "UPDATE comparisons SET stale = ?1 WHERE stale IS NULL AND deleted_at IS NULL"
             " AND id IN (SELECT cp.comparison_id FROM comparison_photos cp"
             " JOIN photos p ON p.id = cp.photo_id JOIN sessions s ON s.id = p.session_id"
             " JOIN temp.merge_numbers n ON n.photo_id = p.id WHERE s.number <> n.number)",
        err);
    if (!ss)
        return -1;
    sqlite3_bind_text(ss, 1, why, -1, SQLITE_TRANSIENT);
    if (ba_db_step_once(ss) != SQLITE_DONE)
        return ba_db_fail(cat, err, "marking comparisons stale");
    m->r.comparisons_stale = sqlite3_changes(cat->db);
    if (ba_db_exec(cat, "DROP TABLE temp.merge_numbers", err))
        return -1;
    if (exec2(cat, "DELETE FROM clients WHERE id = ?1 AND ?2 = ?2", m->from_id, 0,
              "removing the merged client", err) < 0)
        return -1;
    return 0;
}

static char *merge_detail(const merge_job *m)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "from");
    json_builder_add_string_value(b, m->from);
    json_builder_set_member_name(b, "into");
    json_builder_add_string_value(b, m->into);
    const char *names[] = {"sessions_moved", "sessions_joined", "photos", "consents",
                           "comparisons", "comparisons_stale"};
    int values[] = {m->r.sessions_moved, m->r.sessions_joined, m->r.photos, m->r.consents,
                    m->r.comparisons, m->r.comparisons_stale};
    for (int i = 0; i < 6; i++) {
        json_builder_set_member_name(b, names[i]);
        json_builder_add_int_value(b, values[i]);
    }
    json_builder_end_object(b);
    return ba_db_json_text(b);
}

int ba_catalog_client_merge(ba_catalog *cat, const char *from, const char *into,
                            ba_client_merge_result *out, ba_error *err)
{
    merge_job m;
    memset(&m, 0, sizeof m);
    if (ba_db_begin(cat, err))
        return -1;
    if (client_need(cat, from, &m.from_id, m.from, err) ||
        client_need(cat, into, &m.into_id, m.into, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    if (m.from_id == m.into_id) {
        ba_error_set(err, BA_ERR_USAGE, "client %s cannot be merged into itself", m.from);
        ba_db_rollback(cat);
        return -1;
    }
    m.from_sessions = g_array_new(FALSE, FALSE, sizeof(ba_session));
    int rc = merge_rows(cat, &m, err);
    g_array_free(m.from_sessions, TRUE);
    if (rc) {
        ba_db_rollback(cat);
        return -1;
    }
    char objects[96];
    snprintf(objects, sizeof objects, "client %" G_GINT64_FORMAT "; client %" G_GINT64_FORMAT,
             m.into_id, m.from_id);
    if (audit_commit(cat, "client-merge", m.into, objects, merge_detail(&m), err))
        return -1;
    m.r.into_id = m.into_id;
    if (out)
        *out = m.r;
    return 0;
}
