/* Alignments: the transform of a photo onto its reference. */
#include "catalog/db.h"

#include <string.h>

int ba_catalog_alignment_put(ba_catalog *cat, ba_alignment *a, ba_error *err)
{
    ba_db_utc_now(a->created_at, sizeof a->created_at);
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "INSERT INTO alignments(photo_id, reference_id, m00, m01, m02, m10, m11, m12, scale,"
        " angle_deg, inliers, score, method, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(photo_id, reference_id) DO UPDATE SET m00=excluded.m00,"
        " m01=excluded.m01, m02=excluded.m02, m10=excluded.m10, m11=excluded.m11,"
        " m12=excluded.m12, scale=excluded.scale, angle_deg=excluded.angle_deg,"
        " inliers=excluded.inliers, score=excluded.score, method=excluded.method,"
        " created_at=excluded.created_at, stale=NULL",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a->photo_id);
    sqlite3_bind_int64(st, 2, a->reference_id);
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++)
            sqlite3_bind_double(st, 3 + 3 * r + c, a->matrix[r][c]);
    sqlite3_bind_double(st, 9, a->scale);
    sqlite3_bind_double(st, 10, a->angle_deg);
    sqlite3_bind_int(st, 11, a->inliers);
    sqlite3_bind_double(st, 12, a->score);
    sqlite3_bind_text(st, 13, a->method, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 14, a->created_at, -1, SQLITE_TRANSIENT);
    int rc = ba_db_step_once(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "photo %" G_GINT64_FORMAT " or %" G_GINT64_FORMAT
                     " does not exist", a->photo_id, a->reference_id);
        return -1;
    }
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "storing an alignment");
}

/* A stale alignment (a photo it used was corrected or retracted since) is
 * not current: it reads as none, so that it is computed again. */
int ba_catalog_alignment_get(ba_catalog *cat, int64_t photo_id, int64_t reference_id,
                             ba_alignment *out, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT m00, m01, m02, m10, m11, m12, scale, angle_deg, inliers,"
        " score, method, created_at FROM alignments"
        " WHERE photo_id = ? AND reference_id = ? AND stale IS NULL",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, photo_id);
    sqlite3_bind_int64(st, 2, reference_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->photo_id = photo_id;
        out->reference_id = reference_id;
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                out->matrix[r][c] = sqlite3_column_double(st, 3 * r + c);
        out->scale = sqlite3_column_double(st, 6);
        out->angle_deg = sqlite3_column_double(st, 7);
        out->tx = out->matrix[0][2];
        out->ty = out->matrix[1][2];
        out->inliers = sqlite3_column_int(st, 8);
        out->score = sqlite3_column_double(st, 9);
        ba_db_copy_col(st, 10, out->method, sizeof out->method);
        ba_db_copy_col(st, 11, out->created_at, sizeof out->created_at);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND,
                     "no alignment of photo %" G_GINT64_FORMAT " onto photo %" G_GINT64_FORMAT,
                     photo_id, reference_id);
        return -1;
    }
    return ba_db_fail(cat, err, "reading an alignment");
}
