/* Unit tests of the photo corrections (catalog/photo_edit.c, issue 12):
 * area lists, photo set with its audit row and stale marks, date moves and
 * session numbers, refusals that write nothing, retract/restore. */
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "testutil.h"
#include "../../src/lib/catalog/writers.h"

/* Photo of C-1 on @date with @areas (comma list), stage before, frontal;
 * @n makes the hashes unique.  No master file: the catalog alone is tested. */
static int64_t add_photo(ba_catalog *cat, const char *date, const char *areas, int n)
{
    ba_photo p;
    ba_error err;
    memset(&p, 0, sizeof p);
    ba_capture_init(&p.capture);
    g_strlcpy(p.client, "C-1", sizeof p.client);
    assert_int_equal(ba_catalog_areas_parse(cat, areas, &p, &err), 0);
    g_strlcpy(p.session_date, date, sizeof p.session_date);
    g_strlcpy(p.view, "frontal", sizeof p.view);
    g_strlcpy(p.stage, "before", sizeof p.stage);
    snprintf(p.master_sha256, sizeof p.master_sha256, "%064d", n);
    snprintf(p.original_sha256, sizeof p.original_sha256, "%063d1", n);
    p.width = p.height = 100;
    bool dup = true;
    assert_int_equal(ba_catalog_photo_add(cat, &p, NULL, &dup, &err), 0);
    assert_false(dup);
    return p.id;
}

/* One value of the catalog (first column of the first row) as text; g_free it. */
static char *query(const char *dir, const char *sql)
{
    char *path = g_build_filename(dir, "catalog.db", NULL);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    char *out = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    g_free(path);
    return out ? out : g_strdup("");
}

static void assert_query(const char *dir, const char *sql, const char *want)
{
    char *got = query(dir, sql);
    if (strcmp(got, want) != 0)
        fail_msg("%s: expected '%s', got '%s'", sql, want, got);
    g_free(got);
}

static int collect_ids(const ba_photo *p, void *ud)
{
    g_string_append_printf(ud, "%s%" G_GINT64_FORMAT, ((GString *)ud)->len ? " " : "", p->id);
    return 0;
}

static char *list_ids(ba_catalog *cat, const char *area, int retracted)
{
    GString *s = g_string_new(NULL);
    ba_photo_filter f = {.client = "C-1", .area = area, .retracted = retracted};
    ba_error err;
    assert_int_equal(ba_catalog_photo_list(cat, &f, collect_ids, s, &err), 0);
    return g_string_free(s, FALSE);
}

static void assert_list(ba_catalog *cat, const char *area, int retracted, const char *want)
{
    char *got = list_ids(cat, area, retracted);
    if (strcmp(got, want) != 0)
        fail_msg("list %s: expected '%s', got '%s'", area ? area : "(all)", want, got);
    g_free(got);
}

static void test_area_lists(void **state)
{
    tu_fixture *f = *state;
    ba_error err;
    ba_photo p;
    memset(&p, 0, sizeof p);
    assert_int_equal(ba_catalog_areas_parse(f->cat, " forehead, cheeks ,forehead,crows-feet", &p,
                                            &err), 0);
    assert_int_equal(p.n_areas, 3);
    assert_string_equal(p.area, "forehead");
    assert_string_equal(p.areas[2], "crows-feet");
    assert_int_equal(ba_catalog_areas_parse(f->cat, "forehead,nose", &p, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "'nose'"));
    assert_int_equal(ba_catalog_areas_parse(f->cat, " , ", &p, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_catalog_areas_parse(
                         f->cat, "forehead,glabella,crows-feet,cheeks,neck,decolletage,lips,hands,scar",
                         &p, &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_USAGE);

    /* A photo of three areas is listed under each, primary first in its areas. */
    int64_t a = add_photo(f->cat, "2026-01-10", "forehead,cheeks,crows-feet", 1);
    int64_t b = add_photo(f->cat, "2026-02-10", "neck", 2);
    char want[32];
    snprintf(want, sizeof want, "%" G_GINT64_FORMAT, a);
    assert_list(f->cat, "forehead", 0, want);
    assert_list(f->cat, "cheeks", 0, want);
    assert_list(f->cat, "crows-feet", 0, want);
    snprintf(want, sizeof want, "%" G_GINT64_FORMAT, b);
    assert_list(f->cat, "neck", 0, want);
    ba_photo got;
    assert_int_equal(ba_catalog_photo_get(f->cat, a, &got, &err), 0);
    assert_int_equal(got.n_areas, 3);
    assert_string_equal(got.areas[0], "forehead");
    assert_string_equal(got.areas[1], "cheeks"); /* the others by name */
    assert_string_equal(got.areas[2], "crows-feet");
}

static void test_set_audit_and_stale(void **state)
{
    tu_fixture *f = *state;
    ba_error err;
    int64_t a = add_photo(f->cat, "2026-01-10", "cheeks", 1);
    int64_t b = add_photo(f->cat, "2026-03-10", "cheeks", 2);
    ba_alignment al;
    memset(&al, 0, sizeof al);
    al.photo_id = b;
    al.reference_id = a;
    al.matrix[0][0] = al.matrix[1][1] = 1;
    al.scale = 1;
    g_strlcpy(al.method, "points", sizeof al.method);
    assert_int_equal(ba_catalog_alignment_put(f->cat, &al, &err), 0);
    ba_comparison_record c;
    memset(&c, 0, sizeof c);
    g_strlcpy(c.layout, "side-by-side", sizeof c.layout);
    c.n_photos = 2;
    c.photos[0] = a;
    c.photos[1] = b;
    c.parameters = "{}";
    g_strlcpy(c.render, "renders/00/x.png", sizeof c.render);
    g_strlcpy(c.output, "/tmp/x.png", sizeof c.output);
    snprintf(c.sha256, sizeof c.sha256, "%064d", 7);
    c.width = c.height = 10;
    assert_int_equal(ba_catalog_comparison_add(f->cat, &c, NULL, &err), 0);
    assert_int_equal(ba_catalog_comparison_check_current(f->cat, c.id, &err), 0);

    ba_photo_change ch = {.areas = "neck,cheeks", .stage = "after", .view = "left-45"};
    ba_photo out;
    assert_int_equal(ba_catalog_photo_set(f->cat, b, &ch, &out, &err), 0);
    assert_string_equal(out.area, "neck");
    assert_int_equal(out.n_areas, 2);
    assert_string_equal(out.stage, "after");
    assert_string_equal(out.view, "left-45");

    /* One audit row with actor and old -> new values, as JSON. */
    char *detail = query(f->dir, "SELECT detail FROM audit_log WHERE action = 'photo-set'");
    JsonNode *root = json_from_string(detail, NULL);
    assert_non_null(root);
    JsonObject *o = json_node_get_object(root);
    JsonArray *stage = json_object_get_array_member(o, "stage");
    assert_string_equal(json_array_get_string_element(stage, 0), "before");
    assert_string_equal(json_array_get_string_element(stage, 1), "after");
    JsonArray *areas = json_object_get_array_member(o, "areas");
    assert_int_equal(json_array_get_length(json_array_get_array_element(areas, 0)), 1);
    assert_int_equal(json_array_get_length(json_array_get_array_element(areas, 1)), 2);
    JsonArray *stale = json_object_get_array_member(o, "stale_comparisons");
    assert_int_equal(json_array_get_length(stale), 1);
    assert_int_equal(json_array_get_int_element(stale, 0), c.id);
    assert_int_equal(json_object_get_int_member(o, "stale_alignments"), 1);
    json_node_unref(root);
    g_free(detail);
    char *actor = query(f->dir, "SELECT actor FROM audit_log WHERE action = 'photo-set'");
    assert_string_equal(actor, ba_catalog_actor(f->cat));
    g_free(actor);

    /* The alignment reads as none (computed again); the comparison is refused. */
    ba_alignment back;
    assert_int_equal(ba_catalog_alignment_get(f->cat, b, a, &back, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(ba_catalog_comparison_check_current(f->cat, c.id, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "stale"));
    /* Storing it again makes it current. */
    assert_int_equal(ba_catalog_alignment_put(f->cat, &al, &err), 0);
    assert_int_equal(ba_catalog_alignment_get(f->cat, b, a, &back, &err), 0);
    c.parameters = NULL; /* a literal, not ours to free */
}

static void test_date_moves_and_refusals(void **state)
{
    tu_fixture *f = *state;
    ba_error err;
    int64_t a = add_photo(f->cat, "2026-01-10", "cheeks", 1);
    int64_t b = add_photo(f->cat, "2026-03-10", "cheeks", 2);
    (void)a;
    ba_photo_change ch = {.date = "2025-12-01"};
    ba_photo out;
    assert_int_equal(ba_catalog_photo_set(f->cat, b, &ch, &out, &err), 0);
    assert_int_equal(out.session_number, 1);
    assert_query(f->dir, "SELECT group_concat(date || '#' || number, ' ') FROM"
                         " (SELECT * FROM sessions ORDER BY date)",
                 "2025-12-01#1 2026-01-10#2");
    /* Into an existing session: the emptied one goes. */
    ch.date = "2026-01-10";
    assert_int_equal(ba_catalog_photo_set(f->cat, b, &ch, &out, &err), 0);
    assert_query(f->dir, "SELECT group_concat(date || '#' || number, ' ') FROM sessions",
                 "2026-01-10#1");

    char *audits = query(f->dir, "SELECT count(*) FROM audit_log");
    char *photos = query(f->dir, "SELECT group_concat(id || session_id || stage || view || area_id)"
                                 " FROM photos");
    /* The same values: unchanged, nothing written. */
    assert_int_equal(ba_catalog_photo_set(f->cat, b, &ch, &out, &err), 1);
    ba_photo_change bad[] = {
        {.date = "2999-01-01"}, {.date = "2026-02-30"}, {.stage = "later"},
        {.view = "top"},        {.areas = "nose"},      {0},
    };
    ba_code codes[] = {BA_ERR_USAGE, BA_ERR_USAGE, BA_ERR_USAGE,
                       BA_ERR_USAGE, BA_ERR_NOT_FOUND, BA_ERR_USAGE};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_int_equal(ba_catalog_photo_set(f->cat, b, &bad[i], &out, &err), -1);
        assert_int_equal(err.code, codes[i]);
        assert_null(strchr(err.message, '\n'));
    }
    ba_photo_change ok = {.stage = "after"};
    assert_int_equal(ba_catalog_photo_set(f->cat, 999, &ok, &out, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_query(f->dir, "SELECT count(*) FROM audit_log", audits);
    assert_query(f->dir,
                 "SELECT group_concat(id || session_id || stage || view || area_id) FROM photos",
                 photos);
    g_free(audits);
    g_free(photos);
}

static void exec_sql(const char *dir, const char *sql)
{
    char *path = g_build_filename(dir, "catalog.db", NULL);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    g_free(path);
}

/* A date move never loses a session's treatment, provider or notes. */
static void test_date_move_keeps_session_details(void **state)
{
    tu_fixture *f = *state;
    ba_error err;
    int64_t a = add_photo(f->cat, "2026-01-10", "cheeks", 1);
    int64_t b = add_photo(f->cat, "2026-03-10", "cheeks", 2);
    int64_t c = add_photo(f->cat, "2026-03-10", "cheeks", 3);
    exec_sql(f->dir, "UPDATE sessions SET notes = 'bruising', provider = 'Dr A'"
                     " WHERE date = '2026-01-10'");
    char *sid = query(f->dir, "SELECT id FROM sessions WHERE date = '2026-01-10'");

    /* Alone in its session, to a date without one: the session moves with it. */
    ba_photo_change ch = {.date = "2026-05-01"};
    ba_photo out;
    assert_int_equal(ba_catalog_photo_set(f->cat, a, &ch, &out, &err), 0);
    char want[64];
    snprintf(want, sizeof want, "%s|bruising|Dr A|2", sid);
    assert_query(f->dir, "SELECT id || '|' || notes || '|' || provider || '|' || number"
                         " FROM sessions WHERE date = '2026-05-01'", want);

    /* Into a session with other notes: refused, nothing changed. */
    exec_sql(f->dir, "UPDATE sessions SET notes = 'swelling' WHERE date = '2026-03-10'");
    ch.date = "2026-03-10";
    char *before = query(f->dir, "SELECT group_concat(id || date || coalesce(notes, '-'))"
                                 " FROM sessions");
    assert_int_equal(ba_catalog_photo_set(f->cat, a, &ch, &out, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "notes"));
    assert_query(f->dir, "SELECT group_concat(id || date || coalesce(notes, '-')) FROM sessions",
                 before);
    g_free(before);

    /* Without the conflict the emptied session goes, its provider carried over. */
    exec_sql(f->dir, "UPDATE sessions SET notes = NULL WHERE date = '2026-03-10'");
    assert_int_equal(ba_catalog_photo_set(f->cat, a, &ch, &out, &err), 0);
    assert_query(f->dir, "SELECT count(*) || '|' || notes || '|' || provider FROM sessions",
                 "1|bruising|Dr A");
    (void)b;
    (void)c;
    g_free(sid);
}

static void test_retract_restore(void **state)
{
    tu_fixture *f = *state;
    ba_error err;
    int64_t a = add_photo(f->cat, "2026-01-10", "cheeks", 1);
    int64_t b = add_photo(f->cat, "2026-03-10", "cheeks", 2);
    ba_comparison_record c;
    memset(&c, 0, sizeof c);
    g_strlcpy(c.layout, "side-by-side", sizeof c.layout);
    c.n_photos = 2;
    c.photos[0] = a;
    c.photos[1] = b;
    c.parameters = "{}";
    g_strlcpy(c.render, "renders/00/y.png", sizeof c.render);
    snprintf(c.sha256, sizeof c.sha256, "%064d", 8);
    assert_int_equal(ba_catalog_comparison_add(f->cat, &c, NULL, &err), 0);

    ba_photo out;
    assert_int_equal(ba_catalog_photo_retract(f->cat, a, "", &out, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_catalog_photo_retract(f->cat, a, "consent withdrawn", &out, &err), 0);
    assert_string_equal(out.retract_reason, "consent withdrawn");
    char want[32];
    snprintf(want, sizeof want, "%" G_GINT64_FORMAT, b);
    assert_list(f->cat, "cheeks", BA_PHOTOS_CURRENT, want);
    snprintf(want, sizeof want, "%" G_GINT64_FORMAT, a);
    assert_list(f->cat, "cheeks", BA_PHOTOS_RETRACTED, want);
    snprintf(want, sizeof want, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT, a, b);
    assert_list(f->cat, NULL, BA_PHOTOS_ALL, want);
    assert_int_equal(ba_catalog_photo_get_current(f->cat, a, &out, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "is retracted"));
    assert_int_equal(ba_catalog_comparison_check_current(f->cat, c.id, &err), -1);
    assert_int_equal(ba_catalog_photo_retract(f->cat, a, "again", &out, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    /* Its master stays referenced. */
    assert_int_equal(ba_catalog_master_referenced(f->cat, out.master_sha256, &err), 1);

    assert_int_equal(ba_catalog_photo_restore(f->cat, a, &out, &err), 0);
    assert_string_equal(out.retracted_at, "");
    assert_int_equal(ba_catalog_photo_get_current(f->cat, a, &out, &err), 0);
    assert_int_equal(ba_catalog_comparison_check_current(f->cat, c.id, &err), 0);
    assert_int_equal(ba_catalog_photo_restore(f->cat, a, &out, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_query(f->dir,
                 "SELECT group_concat(action, ' ') FROM (SELECT action FROM audit_log"
                 " WHERE action LIKE 'photo-%' ORDER BY id)",
                 "photo-retract photo-restore");
    c.parameters = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_area_lists, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_set_audit_and_stale, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_date_moves_and_refusals, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_date_move_keeps_session_details, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_retract_restore, tu_fixture_setup,
                                        tu_fixture_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
