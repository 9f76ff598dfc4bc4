/* Photos, the sessions they belong to, and their masters. */
#include "catalog/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ba_capture_init(ba_capture *c)
{
    memset(c, 0, sizeof *c);
    c->flash_fired = -1;
    c->white_balance = -1;
}

void ba_catalog_master_relpath(const char *sha256, char *out, size_t out_size)
{
    snprintf(out, out_size, "masters/%.2s/%s.jpg", sha256, sha256);
}

/* ---- validation ----------------------------------------------------------- */

int ba_date_check(const char *date, ba_error *err)
{
    unsigned y, m, d;
    char tail;
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-' ||
        sscanf(date, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 ||
        !g_ascii_isdigit(date[0]) || !g_ascii_isdigit(date[5]) || !g_ascii_isdigit(date[8]) ||
        y < 1900 || y > 9999 || !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y)) {
        ba_error_set(err, BA_ERR_USAGE, "date '%s' is not a calendar date written YYYY-MM-DD",
                     date ? date : "");
        return -1;
    }
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !g_ascii_isdigit(date[i])) {
            ba_error_set(err, BA_ERR_USAGE,
                         "date '%s' is not a calendar date written YYYY-MM-DD", date);
            return -1;
        }
    return 0;
}

static const char *const VIEWS[] = {"frontal", "left-45", "right-45", "left-90",
                                    "right-90", "other", NULL};
static const char *const STAGES[] = {"before", "after", "progress", NULL};

bool ba_view_valid(const char *view)
{
    return view && g_strv_contains(VIEWS, view);
}

bool ba_stage_valid(const char *stage)
{
    return stage && g_strv_contains(STAGES, stage);
}

/* ---- photos ------------------------------------------------------------- */

int ba_catalog_photo_find_original(ba_catalog *cat, const char *original_sha256, int64_t *id,
                                   ba_error *err)
{
    return ba_db_lookup_id(cat, "SELECT id FROM photos WHERE original_sha256 = ?",
                           original_sha256, id, "looking up a photo", err);
}

/* Find the session of (client, date) or create it; renumber the client's sessions. */
int ba_db_session_ensure(ba_catalog *cat, int64_t client_id, const char *date,
                          const char *treatment, int64_t *session_id, ba_error *err)
{
    sqlite3_stmt *st =
        ba_db_prepare(cat, "SELECT id FROM sessions WHERE client_id = ? AND date = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *session_id = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (treatment && *treatment) {
            st = ba_db_prepare(
                cat, "UPDATE sessions SET treatment = ? WHERE id = ? AND treatment IS NULL", err);
            if (!st)
                return -1;
            sqlite3_bind_text(st, 1, treatment, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 2, *session_id);
            rc = ba_db_step_once(st);
            if (rc != SQLITE_DONE)
                return ba_db_fail(cat, err, "updating a session");
        }
        return 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "looking up a session");

    st = ba_db_prepare(
        cat, "INSERT INTO sessions(client_id, date, treatment, number) VALUES(?,?,?,0)", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    ba_db_bind_text_or_null(st, 3, treatment);
    rc = ba_db_step_once(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "adding a session");
    *session_id = sqlite3_last_insert_rowid(cat->db);

    return ba_db_sessions_renumber(cat, client_id, err);
}

int ba_db_sessions_renumber(ba_catalog *cat, int64_t client_id, ba_error *err)
{
    /* Session numbers follow dates, whatever order the photos arrive in. */
    sqlite3_stmt *st = ba_db_prepare(cat,
                       "UPDATE sessions SET number = (SELECT COUNT(*) FROM sessions s2"
                       " WHERE s2.client_id = sessions.client_id AND s2.date <= sessions.date)"
                       " WHERE client_id = ?",
                       err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    int rc = ba_db_step_once(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "numbering sessions");
}

static int find_duplicate(ba_catalog *cat, const ba_photo *p, int64_t *id, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT id FROM photos WHERE original_sha256 = ? OR master_sha256 = ? LIMIT 1", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, p->original_sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, p->master_sha256, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "looking up duplicates");
    return found;
}

static int insert_photo(ba_catalog *cat, ba_photo *p, int64_t area_id, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "INSERT INTO photos(session_id, area_id, view, stage, master_sha256, original_sha256,"
        " width, height, original_name, ingested_at, captured_at, captured_offset,"
        " camera_make, camera_model, orientation, focal_length_mm, focal_length_35mm,"
        " exposure_time_s, f_number, iso, flash_fired, white_balance)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        err);
    if (!st)
        return -1;
    const ba_capture *c = &p->capture;
    sqlite3_bind_int64(st, 1, p->session_id);
    sqlite3_bind_int64(st, 2, area_id);
    sqlite3_bind_text(st, 3, p->view, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, p->stage, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, p->master_sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, p->original_sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, p->width);
    sqlite3_bind_int(st, 8, p->height);
    ba_db_bind_text_or_null(st, 9, p->original_name);
    sqlite3_bind_text(st, 10, p->ingested_at, -1, SQLITE_TRANSIENT);
    ba_db_bind_text_or_null(st, 11, c->captured_at);
    ba_db_bind_text_or_null(st, 12, c->offset);
    ba_db_bind_text_or_null(st, 13, c->make);
    ba_db_bind_text_or_null(st, 14, c->model);
    ba_db_bind_int_or_null(st, 15, c->orientation, 0);
    ba_db_bind_real_or_null(st, 16, c->focal_length_mm);
    ba_db_bind_real_or_null(st, 17, c->focal_length_35mm);
    ba_db_bind_real_or_null(st, 18, c->exposure_time_s);
    ba_db_bind_real_or_null(st, 19, c->f_number);
    ba_db_bind_int_or_null(st, 20, c->iso, 0);
    ba_db_bind_int_or_null(st, 21, c->flash_fired, -1);
    ba_db_bind_int_or_null(st, 22, c->white_balance, -1);
    int rc = ba_db_step_once(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "adding a photo");
    p->id = sqlite3_last_insert_rowid(cat->db);
    return 0;
}

/* The ids of @p's client and areas (@area_ids[0] the primary; @p->areas,
 * or @p->area alone when n_areas is 0), BA_ERR_NOT_FOUND naming the one
 * missing. */
static int photo_keys(ba_catalog *cat, const ba_photo *p, int64_t *client_id,
                      int64_t area_ids[BA_PHOTO_AREAS_MAX], int *n_areas, ba_error *err)
{
    int r = ba_db_lookup_id(cat, "SELECT id FROM clients WHERE code = ?", p->client, client_id,
                            "lookup", err);
    if (r == 0)
        ba_error_set(err, BA_ERR_NOT_FOUND, "client '%s' does not exist", p->client);
    if (r <= 0)
        return -1;
    int n = p->n_areas > 0 ? MIN(p->n_areas, BA_PHOTO_AREAS_MAX) : 1;
    for (int i = 0; i < n; i++) {
        const char *name = p->n_areas > 0 ? p->areas[i] : p->area;
        r = ba_db_lookup_id(cat, "SELECT id FROM areas WHERE name = ?", name, &area_ids[i],
                            "lookup", err);
        if (r == 0)
            ba_error_set(err, BA_ERR_NOT_FOUND, "unknown area '%s'", name);
        if (r != 1)
            return -1;
    }
    *n_areas = n;
    return 0;
}

int ba_db_photo_areas_put(ba_catalog *cat, int64_t photo_id, const int64_t *area_ids, int n,
                          ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, "DELETE FROM photo_areas WHERE photo_id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, photo_id);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "replacing a photo's areas");
    for (int i = 0; i < n; i++) {
        st = ba_db_prepare(cat,
                           "INSERT OR IGNORE INTO photo_areas(photo_id, area_id) VALUES(?,?)",
                           err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, photo_id);
        sqlite3_bind_int64(st, 2, area_ids[i]);
        if (ba_db_step_once(st) != SQLITE_DONE)
            return ba_db_fail(cat, err, "recording a photo's areas");
    }
    return 0;
}

/* @p->session_number as the commit left it (renumbered by date); best effort:
 * the photo is recorded whatever this read says. */
static void read_session_number(ba_catalog *cat, ba_photo *p)
{
    sqlite3_stmt *st = ba_db_prepare(cat, "SELECT number FROM sessions WHERE id = ?", NULL);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, p->session_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        p->session_number = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
}

int ba_catalog_photo_add(ba_catalog *cat, ba_photo *p, const ba_store_hooks *hooks,
                         bool *duplicate, ba_error *err)
{
    *duplicate = false;
    /* Each check sets its own message: the caller's err is never read. */
    if (!ba_view_valid(p->view) || !ba_stage_valid(p->stage)) {
        ba_error_set(err, BA_ERR_USAGE, "invalid view '%s' or stage '%s'", p->view, p->stage);
        return -1;
    }
    if (ba_date_check(p->session_date, err))
        return -1;
    ba_db_utc_now(p->ingested_at, sizeof p->ingested_at);
    bool stored = false;
    /* IMMEDIATE: take the write lock now, so the duplicate check, the file move
     * and the insert are one serialised step among every writer. */
    if (ba_db_begin(cat, err))
        return -1;
    int64_t client_id = 0, area_ids[BA_PHOTO_AREAS_MAX] = {0}, existing = 0;
    int n_areas = 0;
    if (photo_keys(cat, p, &client_id, area_ids, &n_areas, err))
        goto fail;
    int r = find_duplicate(cat, p, &existing, err);
    if (r < 0)
        goto fail;
    if (r == 1) {
        ba_db_rollback(cat);
        *duplicate = true;
        p->id = existing;
        return 0;
    }
    if (ba_db_session_ensure(cat, client_id, p->session_date, p->treatment, &p->session_id, err))
        goto fail;
    if (hooks && hooks->store) {
        if (hooks->store(hooks->ud, err))
            goto fail;
        stored = true;
    }
    if (insert_photo(cat, p, area_ids[0], err) ||
        ba_db_photo_areas_put(cat, p->id, area_ids, n_areas, err) || ba_db_commit(cat, err))
        goto fail;
    read_session_number(cat, p);
    return 0;
fail:
    ba_db_rollback(cat);
    if (stored && hooks->unstore)
        hooks->unstore(hooks->ud);
    return -1;
}

#define PHOTO_COLS                                                                        \
    "SELECT p.id, p.session_id, c.code, a.name, s.date, s.number, s.treatment, p.view,"  \
    " p.stage, p.master_sha256, p.original_sha256, p.width, p.height, p.original_name,"  \
    " p.ingested_at, p.captured_at, p.captured_offset, p.camera_make, p.camera_model,"   \
    " p.orientation, p.focal_length_mm, p.focal_length_35mm, p.exposure_time_s,"         \
    " p.f_number, p.iso, p.flash_fired, p.white_balance, p.master_problem,"             \
    " (SELECT group_concat(a2.name, ',') FROM photo_areas pa"                           \
    "   JOIN areas a2 ON a2.id = pa.area_id WHERE pa.photo_id = p.id"                   \
    "   AND pa.area_id <> p.area_id),"                                                  \
    " p.retracted_at, p.retract_reason"                                                 \
    " FROM photos p JOIN sessions s ON s.id = p.session_id"                              \
    " JOIN clients c ON c.id = s.client_id JOIN areas a ON a.id = p.area_id "

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_photo(sqlite3_stmt *st, ba_photo *p)
{
    memset(p, 0, sizeof *p);
    ba_capture_init(&p->capture);
    p->id = sqlite3_column_int64(st, 0);
    p->session_id = sqlite3_column_int64(st, 1);
    ba_db_copy_col(st, 2, p->client, sizeof p->client);
    ba_db_copy_col(st, 3, p->area, sizeof p->area);
    ba_db_copy_col(st, 4, p->session_date, sizeof p->session_date);
    p->session_number = sqlite3_column_int(st, 5);
    ba_db_copy_col(st, 6, p->treatment, sizeof p->treatment);
    ba_db_copy_col(st, 7, p->view, sizeof p->view);
    ba_db_copy_col(st, 8, p->stage, sizeof p->stage);
    ba_db_copy_col(st, 9, p->master_sha256, sizeof p->master_sha256);
    ba_db_copy_col(st, 10, p->original_sha256, sizeof p->original_sha256);
    p->width = sqlite3_column_int(st, 11);
    p->height = sqlite3_column_int(st, 12);
    ba_db_copy_col(st, 13, p->original_name, sizeof p->original_name);
    ba_db_copy_col(st, 14, p->ingested_at, sizeof p->ingested_at);
    ba_capture *c = &p->capture;
    ba_db_copy_col(st, 15, c->captured_at, sizeof c->captured_at);
    ba_db_copy_col(st, 16, c->offset, sizeof c->offset);
    ba_db_copy_col(st, 17, c->make, sizeof c->make);
    ba_db_copy_col(st, 18, c->model, sizeof c->model);
    c->orientation = ba_db_col_int(st, 19, 0);
    c->focal_length_mm = ba_db_col_real(st, 20);
    c->focal_length_35mm = ba_db_col_real(st, 21);
    c->exposure_time_s = ba_db_col_real(st, 22);
    c->f_number = ba_db_col_real(st, 23);
    c->iso = ba_db_col_int(st, 24, 0);
    c->flash_fired = ba_db_col_int(st, 25, -1);
    c->white_balance = ba_db_col_int(st, 26, -1);
    ba_db_copy_col(st, 27, p->master_problem, sizeof p->master_problem);
    /* The primary area first, then the others by name.  Area names are
     * [a-z0-9-]: the comma cannot be part of one. */
    g_strlcpy(p->areas[p->n_areas++], p->area, BA_CODE_MAX);
    const char *list = (const char *)sqlite3_column_text(st, 28);
    gchar **names = g_strsplit(list ? list : "", ",", -1);
    qsort(names, g_strv_length(names), sizeof *names, compare_names);
    for (int i = 0; names[i] && p->n_areas < BA_PHOTO_AREAS_MAX; i++)
        if (names[i][0])
            g_strlcpy(p->areas[p->n_areas++], names[i], BA_CODE_MAX);
    g_strfreev(names);
    ba_db_copy_col(st, 29, p->retracted_at, sizeof p->retracted_at);
    ba_db_copy_col(st, 30, p->retract_reason, sizeof p->retract_reason);
}

static int read_photo_row(ba_catalog *cat, sqlite3_stmt *st, void *out, ba_error *err)
{
    (void)cat;
    (void)err;
    read_photo(st, out);
    return 0;
}

int ba_catalog_photo_get(ba_catalog *cat, int64_t id, ba_photo *out, ba_error *err)
{
    return ba_db_get_by_id(cat, PHOTO_COLS "WHERE p.id = ?", id, read_photo_row, out, "photo",
                           "a photo", err);
}

typedef struct keys_out {
    char *client, *master_sha256;
} keys_out;

static int read_keys(ba_catalog *cat, sqlite3_stmt *st, void *out, ba_error *err)
{
    (void)cat;
    (void)err;
    keys_out *k = out;
    if (k->client)
        ba_db_copy_col(st, 0, k->client, BA_CODE_MAX);
    if (k->master_sha256)
        ba_db_copy_col(st, 1, k->master_sha256, BA_SHA_MAX);
    return 0;
}

int ba_catalog_photo_keys(ba_catalog *cat, int64_t id, char *client, char *master_sha256,
                          ba_error *err)
{
    keys_out k = {client, master_sha256};
    return ba_db_get_by_id(cat,
                           "SELECT c.code, p.master_sha256 FROM photos p"
                           " JOIN sessions s ON s.id = p.session_id"
                           " JOIN clients c ON c.id = s.client_id WHERE p.id = ?",
                           id, read_keys, &k, "photo", "a photo", err);
}

int ba_catalog_photo_list(ba_catalog *cat, const ba_photo_filter *f, ba_photo_fn fn, void *ud,
                          ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        PHOTO_COLS
        "WHERE (?1 IS NULL OR c.code = ?1 COLLATE NOCASE)"
        " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM photo_areas pa JOIN areas a2"
        "      ON a2.id = pa.area_id WHERE pa.photo_id = p.id AND a2.name = ?2))"
        " AND (?3 IS NULL OR s.date >= ?3) AND (?4 IS NULL OR s.date <= ?4)"
        " AND (?5 IS NULL OR p.stage = ?5)"
        " AND (?6 = 2 OR (?6 = 1) = (p.retracted_at IS NOT NULL))"
        " ORDER BY c.code, s.date, a.name, p.id",
        err);
    if (!st)
        return -1;
    if (f) {
        ba_db_bind_text_or_null(st, 1, f->client);
        ba_db_bind_text_or_null(st, 2, f->area);
        ba_db_bind_text_or_null(st, 3, f->from);
        ba_db_bind_text_or_null(st, 4, f->to);
        ba_db_bind_text_or_null(st, 5, f->stage);
    }
    sqlite3_bind_int(st, 6, f ? f->retracted : BA_PHOTOS_CURRENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_photo p;
        read_photo(st, &p);
        if (fn(&p, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing photos");
}

int ba_catalog_counts_get(ba_catalog *cat, ba_catalog_counts *out, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT (SELECT COUNT(*) FROM clients), (SELECT COUNT(*) FROM sessions),"
        " (SELECT COUNT(*) FROM photos), (SELECT COUNT(*) FROM areas)",
        err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->clients = sqlite3_column_int64(st, 0);
        out->sessions = sqlite3_column_int64(st, 1);
        out->photos = sqlite3_column_int64(st, 2);
        out->areas = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ba_db_fail(cat, err, "counting rows");
}

/* ---- masters ---------------------------------------------------------------- */

int ba_catalog_photo_mark_master(ba_catalog *cat, int64_t id, const char *problem,
                                 ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, "UPDATE photos SET master_problem = ? WHERE id = ?", err);
    if (!st)
        return -1;
    ba_db_bind_text_or_null(st, 1, problem);
    sqlite3_bind_int64(st, 2, id);
    int rc = ba_db_step_once(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "marking a photo");
}

int ba_catalog_master_list(ba_catalog *cat, ba_master_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st =
        ba_db_prepare(cat, "SELECT id, master_sha256, master_problem FROM photos ORDER BY id", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sha = (const char *)sqlite3_column_text(st, 1);
        const char *problem = (const char *)sqlite3_column_text(st, 2);
        if (fn(sqlite3_column_int64(st, 0), sha ? sha : "", problem ? problem : "", ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing masters");
}

int ba_catalog_master_referenced(ba_catalog *cat, const char *sha256, ba_error *err)
{
    return ba_db_lookup_id(cat, "SELECT 1 FROM photos WHERE master_sha256 = ? LIMIT 1",
                           sha256 ? sha256 : "", NULL, "looking up a master", err);
}
