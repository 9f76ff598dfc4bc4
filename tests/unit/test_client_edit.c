/* Corrections of clients and sessions (issue 12): each with its audit row
 * (actor, old -> new) and its refusal; client codes unique whatever their
 * case; a merge with a same-date conflict changes nothing. */
#include <sqlite3.h>
#include <string.h>

#include "testutil.h"
#include "../../src/lib/catalog/writers.h"

typedef tu_fixture fixture;

static int64_t ingest(fixture *f, int variant, const char *client, const char *date,
                      const char *treatment)
{
    VipsImage *img = tu_scene(320 + variant, 240);
    char *path = g_strdup_printf("%s/p%d.png", f->work, variant);
    tu_save(img, path);
    g_object_unref(img);
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.client = client;
    o.area = "cheeks";
    o.date = date;
    o.treatment = treatment;
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_file(f->cat, path, &o, &r, &err))
        fail_msg("%s", err.message);
    g_free(path);
    return r.photo_id;
}

/* The last audit row (strings copied). */
typedef struct last_row {
    int64_t id;
    char action[64], client[64], detail[512], actor[128], objects[128];
    int n;
} last_row;

static int keep_last(const ba_audit_entry *a, void *ud)
{
    last_row *l = ud;
    l->id = a->id;
    l->n++;
    g_strlcpy(l->action, a->action, sizeof l->action);
    g_strlcpy(l->client, a->client ? a->client : "", sizeof l->client);
    g_strlcpy(l->detail, a->detail ? a->detail : "", sizeof l->detail);
    g_strlcpy(l->actor, a->actor ? a->actor : "", sizeof l->actor);
    g_strlcpy(l->objects, a->objects ? a->objects : "", sizeof l->objects);
    return 0;
}

static last_row last_audit(fixture *f, const char *client)
{
    last_row l;
    memset(&l, 0, sizeof l);
    ba_error err;
    if (ba_catalog_audit_list(f->cat, client, keep_last, &l, &err))
        fail_msg("%s", err.message);
    return l;
}

static int64_t scalar(fixture *f, const char *sql)
{
    char *path = g_build_filename(f->dir, "catalog.db", NULL);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    g_free(path);
    return v;
}

static void codes_are_unique_whatever_the_case(void **state)
{
    fixture *f = *state;
    ba_error err;
    assert_int_equal(ba_catalog_client_add(f->cat, "C-0001", NULL, NULL, &err), 0);
    assert_int_equal(ba_catalog_client_add(f->cat, "c-0001", NULL, NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_EXISTS);
    assert_string_equal(err.message, "client c-0001 already exists as C-0001");
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM clients WHERE code = 'C-0001' COLLATE NOCASE"), 1);
    /* Lookups find it whatever the case; it keeps its spelling. */
    ba_client c;
    assert_int_equal(ba_catalog_client_get(f->cat, "c-0001", &c, &err), 0);
    assert_string_equal(c.code, "C-0001");
}

static void rename_is_audited_and_keeps_the_history(void **state)
{
    fixture *f = *state;
    ba_error err;
    assert_int_equal(ba_catalog_client_add(f->cat, "C-2", NULL, NULL, &err), 0);
    /* A row under the old code, before the rename. */
    assert_int_equal(ba_catalog_client_set(f->cat, "C-1", "Ann Example", NULL, &err), 0);
    last_row before = last_audit(f, "C-1");
    assert_int_equal(before.n, 1);

    /* Refusals change nothing. */
    int64_t audit_rows = scalar(f, "SELECT COUNT(*) FROM audit_log");
    assert_int_equal(ba_catalog_client_rename(f->cat, "C-1", "c-2", &err), -1);
    assert_int_equal(err.code, BA_ERR_EXISTS);
    assert_string_equal(err.message, "client c-2 already exists as C-2");
    assert_int_equal(ba_catalog_client_rename(f->cat, "C-1", "bad code", &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_catalog_client_rename(f->cat, "C-9", "C-10", &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM audit_log"), audit_rows);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM clients WHERE code = 'C-1'"), 1);

    ba_catalog_set_actor(f->cat, "dr-test");
    assert_int_equal(ba_catalog_client_rename(f->cat, "C-1", "K-1", &err), 0);
    ba_client c;
    assert_int_equal(ba_catalog_client_get(f->cat, "K-1", &c, &err), 0);
    assert_int_equal(ba_catalog_client_get(f->cat, "C-1", &c, &err), -1);
    last_row r = last_audit(f, "K-1");
    assert_string_equal(r.action, "client-rename");
    assert_string_equal(r.actor, "dr-test");
    assert_string_equal(r.client, "K-1");
    assert_string_equal(r.detail, "{\"code\":{\"old\":\"C-1\",\"new\":\"K-1\"}}");
    /* The new code finds the row written under the old one, and the rename. */
    assert_int_equal(r.n, 2);

    /* A new client that takes the old code does not inherit those rows. */
    assert_int_equal(ba_catalog_client_add(f->cat, "C-1", NULL, NULL, &err), 0);
    assert_int_equal(ba_catalog_client_set(f->cat, "C-1", "Bob Other", NULL, &err), 0);
    last_row n = last_audit(f, "C-1");
    assert_int_equal(n.n, 1);
    assert_int_equal(last_audit(f, "K-1").n, 2);
    /* A change of case only is a rename too. */
    assert_int_equal(ba_catalog_client_rename(f->cat, "K-1", "k-1", &err), 0);
    assert_int_equal(last_audit(f, "k-1").n, 3);
    assert_int_equal(ba_catalog_audit_check(f->cat, NULL, NULL, &err), 0);
}

static void set_name_and_birth_date(void **state)
{
    fixture *f = *state;
    ba_error err;
    ba_catalog_set_actor(f->cat, "nurse");
    assert_int_equal(ba_catalog_client_set(f->cat, "c-1", "Zoë Ünicode", "1980-02-29", &err), 0);
    ba_client c;
    assert_int_equal(ba_catalog_client_get(f->cat, "C-1", &c, &err), 0);
    assert_string_equal(c.name, "Zoë Ünicode");
    assert_string_equal(c.birth_date, "1980-02-29");
    last_row r = last_audit(f, "C-1");
    assert_string_equal(r.action, "client-set");
    assert_string_equal(r.actor, "nurse");
    /* Personal data is never written into the append-only log. */
    assert_string_equal(r.detail, "{\"name\":\"changed\",\"birth_date\":\"set\"}");
    assert_null(strstr(r.detail, "Zo"));

    /* Refused: a future birth date, an impossible date; nothing changes. */
    int64_t rows = scalar(f, "SELECT COUNT(*) FROM audit_log");
    assert_int_equal(ba_catalog_client_set(f->cat, "C-1", NULL, "2999-01-01", &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "future"));
    assert_int_equal(ba_catalog_client_set(f->cat, "C-1", NULL, "1981-02-29", &err), -1);
    assert_int_equal(ba_catalog_client_set(f->cat, "NOBODY", "x", NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    /* The same values again: nothing to record. */
    assert_int_equal(ba_catalog_client_set(f->cat, "C-1", "Zoë Ünicode", NULL, &err), 0);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM audit_log"), rows);
    /* Cleared. */
    assert_int_equal(ba_catalog_client_set(f->cat, "C-1", NULL, "", &err), 0);
    assert_int_equal(ba_catalog_client_get(f->cat, "C-1", &c, &err), 0);
    assert_string_equal(c.birth_date, "");
    assert_string_equal(last_audit(f, "C-1").detail, "{\"birth_date\":\"cleared\"}");
}

static void session_set_is_audited(void **state)
{
    fixture *f = *state;
    ba_error err;
    ingest(f, 0, "C-1", "2026-01-02", "filler");
    ba_photo p;
    assert_int_equal(ba_catalog_photo_get(f->cat, 1, &p, &err), 0);
    int64_t sid = p.session_id;
    assert_int_equal(ba_catalog_session_set(f->cat, sid, "microneedling", "Dr Who", "good", &err),
                     0);
    ba_session s;
    assert_int_equal(ba_catalog_session_get(f->cat, sid, &s, &err), 0);
    assert_string_equal(s.treatment, "microneedling");
    assert_string_equal(s.provider, "Dr Who");
    assert_string_equal(s.notes, "good");
    assert_string_equal(s.client, "C-1");
    assert_int_equal(s.photo_count, 1);
    last_row r = last_audit(f, "C-1");
    assert_string_equal(r.action, "session-set");
    char objects[48];
    snprintf(objects, sizeof objects, "session %" G_GINT64_FORMAT, sid);
    assert_string_equal(r.objects, objects);
    assert_string_equal(r.detail, "{\"treatment\":{\"old\":\"filler\",\"new\":\"microneedling\"},"
                                  "\"provider\":{\"old\":null,\"new\":\"Dr Who\"},"
                                  "\"notes\":\"set\"}");
    /* Nothing changes: no row.  Bad text: refused. */
    int64_t rows = scalar(f, "SELECT COUNT(*) FROM audit_log");
    assert_int_equal(ba_catalog_session_set(f->cat, sid, "microneedling", NULL, NULL, &err), 0);
    assert_int_equal(ba_catalog_session_set(f->cat, sid, "\xff\xfe", NULL, NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_catalog_session_set(f->cat, 999, "x", NULL, NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM audit_log"), rows);
    /* Cleared with "". */
    assert_int_equal(ba_catalog_session_set(f->cat, sid, NULL, "", NULL, &err), 0);
    assert_int_equal(ba_catalog_session_get(f->cat, sid, &s, &err), 0);
    assert_string_equal(s.provider, "");
}

static int count_session(const ba_session *s, void *ud)
{
    GString *out = ud;
    g_string_append_printf(out, "%s#%d:%d ", s->date, s->number, s->photo_count);
    return 0;
}

static void merge_joins_sessions_and_moves_everything(void **state)
{
    fixture *f = *state;
    ba_error err;
    assert_int_equal(ba_catalog_client_add(f->cat, "c-0001", "Ann", NULL, &err), 0);
    ingest(f, 0, "C-1", "2026-01-02", "filler");
    ingest(f, 1, "C-1", "2026-03-02", NULL);
    ingest(f, 2, "c-0001", "2026-02-01", NULL);
    ingest(f, 3, "c-0001", "2026-03-02", "peel");
    ba_consent_grant_options g;
    ba_consent_grant_options_init(&g);
    g.client = "c-0001";
    g.scope = "marketing";
    g.granted = "2026-01-01";
    ba_consent k;
    assert_int_equal(ba_consent_grant(f->cat, &g, &k, &err), 0);

    /* A conflict on the same date: different providers on 2026-03-02 (the
     * treatment is only c-0001's there, which is fine). */
    ba_photo p;
    assert_int_equal(ba_catalog_photo_get(f->cat, 2, &p, &err), 0);
    assert_int_equal(ba_catalog_session_set(f->cat, p.session_id, NULL, "Dr A", NULL, &err), 0);
    ba_photo q;
    assert_int_equal(ba_catalog_photo_get(f->cat, 4, &q, &err), 0);
    assert_int_equal(ba_catalog_session_set(f->cat, q.session_id, NULL, "Dr B", NULL, &err), 0);

    /* Two different names: refused, without saying them. */
    assert_int_equal(ba_catalog_client_merge(f->cat, "c-0001", "C-1", NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "different names"));
    assert_null(strstr(err.message, "Ann"));
    assert_int_equal(ba_catalog_client_set(f->cat, "C-1", "", NULL, &err), 0);

    ba_catalog_counts before;
    assert_int_equal(ba_catalog_counts_get(f->cat, &before, &err), 0);
    int64_t rows = scalar(f, "SELECT COUNT(*) FROM audit_log");
    assert_int_equal(ba_catalog_client_merge(f->cat, "c-0001", "C-1", NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    char want[256];
    snprintf(want, sizeof want,
             "session %" G_GINT64_FORMAT " of c-0001 and session %" G_GINT64_FORMAT
             " of C-1 (both 2026-03-02) have different provider",
             q.session_id, p.session_id);
    if (!strstr(err.message, want))
        fail_msg("%s", err.message);
    ba_catalog_counts after;
    assert_int_equal(ba_catalog_counts_get(f->cat, &after, &err), 0);
    assert_int_equal(after.clients, before.clients);
    assert_int_equal(after.sessions, before.sessions);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM audit_log"), rows);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM consents c JOIN clients k ON k.id ="
                               " c.client_id WHERE k.code = 'c-0001'"),
                     1);
    /* Into itself: refused. */
    assert_int_equal(ba_catalog_client_merge(f->cat, "C-1", "c-1", NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);

    /* Resolve the conflict (one side empty is fine), then merge. */
    assert_int_equal(ba_catalog_session_set(f->cat, q.session_id, NULL, "", NULL, &err), 0);
    ba_catalog_set_actor(f->cat, "admin");
    ba_client_merge_result m;
    assert_int_equal(ba_catalog_client_merge(f->cat, "c-0001", "C-1", &m, &err), 0);
    assert_int_equal(m.sessions_moved, 1);
    assert_int_equal(m.sessions_joined, 1);
    assert_int_equal(m.photos, 2);
    assert_int_equal(m.consents, 1);
    ba_client c;
    assert_int_equal(ba_catalog_client_get(f->cat, "C-1", &c, &err), 0);
    assert_int_equal(c.photo_count, 4);
    assert_string_equal(c.name, "Ann"); /* only FROM had one: kept */
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM clients WHERE code = 'c-0001'"), 0);
    /* Sessions renumbered by date; the joined one has both photos and keeps
     * the treatment only FROM had. */
    GString *sessions = g_string_new(NULL);
    assert_int_equal(ba_catalog_session_list(f->cat, "C-1", count_session, sessions, &err), 0);
    assert_string_equal(sessions->str, "2026-01-02#1:1 2026-02-01#2:1 2026-03-02#3:2 ");
    g_string_free(sessions, TRUE);
    ba_session s;
    assert_int_equal(ba_catalog_session_get(f->cat, p.session_id, &s, &err), 0);
    assert_string_equal(s.treatment, "peel");
    assert_string_equal(s.provider, "Dr A");
    /* The consent is C-1's now, the same row (exports name it by id). */
    ba_consent k2;
    assert_int_equal(ba_catalog_consent_get(f->cat, k.id, &k2, &err), 0);
    assert_string_equal(k2.client, "C-1");
    last_row r = last_audit(f, "C-1");
    assert_string_equal(r.action, "client-merge");
    assert_string_equal(r.actor, "admin");
    assert_string_equal(r.detail, "{\"from\":\"c-0001\",\"into\":\"C-1\",\"sessions_moved\":1,"
                                  "\"sessions_joined\":1,\"photos\":2,\"consents\":1,"
                                  "\"comparisons\":0,\"comparisons_stale\":0}");
    /* C-1's audit includes c-0001's rows (its consent grant, its session's
     * corrections), written before the merge under its own code. */
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM audit_log WHERE client = 'c-0001'"), 3);
    int64_t mine = scalar(f, "SELECT COUNT(*) FROM audit_log WHERE client IN ('C-1','c-0001')");
    assert_int_equal(last_audit(f, "C-1").n, mine);
    /* A consent cannot change client outside a merge. */
    char *path = g_build_filename(f->dir, "catalog.db", NULL);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(ba_catalog_client_add(f->cat, "C-3", NULL, NULL, &err), 0);
    assert_int_not_equal(sqlite3_exec(db,
                                      "UPDATE consents SET client_id = (SELECT id FROM clients"
                                      " WHERE code = 'C-3')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
    g_free(path);
    assert_int_equal(ba_catalog_audit_check(f->cat, NULL, NULL, &err), 0);
    assert_int_equal(ba_catalog_check(f->cat, NULL, NULL, &err), 0);
}

/* A comparisons row naming @render (made to exist) with @identity. */
static int64_t add_comparison(fixture *f, const char *identity, const char *render,
                              bool *existing)
{
    char *path = g_build_filename(f->dir, render, NULL);
    char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0700);
    assert_true(g_file_set_contents(path, "png bytes", -1, NULL));
    ba_comparison_record c;
    memset(&c, 0, sizeof c);
    g_strlcpy(c.layout, "side-by-side", sizeof c.layout);
    c.n_photos = 2;
    c.photos[0] = 1;
    c.photos[1] = 2;
    c.parameters = g_strdup("{\"caption\":\"Résultats après 4 séances\"}");
    g_strlcpy(c.render, render, sizeof c.render);
    g_strlcpy(c.sha256, "ab00000000000000000000000000000000000000000000000000000000000000",
              sizeof c.sha256);
    g_strlcpy(c.identity, identity, sizeof c.identity);
    c.width = c.height = 10;
    ba_error err;
    if (ba_catalog_comparison_add(f->cat, &c, existing, &err))
        fail_msg("%s", err.message);
    ba_comparison_record_clear(&c);
    g_free(dir);
    g_free(path);
    return c.id;
}

static void comparison_identity_and_delete(void **state)
{
    fixture *f = *state;
    ba_error err;
    ingest(f, 0, "C-1", "2026-01-02", NULL);
    ingest(f, 1, "C-1", "2026-02-02", NULL);
    const char *render = "renders/ab/ab00.png";
    bool existing = true;
    int64_t a = add_comparison(f, "id-1", render, &existing);
    assert_false(existing);
    /* The same identity and bytes: the same comparison, no second row. */
    assert_int_equal(add_comparison(f, "id-1", render, &existing), a);
    assert_true(existing);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM comparisons"), 1);
    /* Another identity with the same bytes: a second row sharing the file. */
    int64_t b = add_comparison(f, "id-2", render, &existing);
    assert_false(existing);
    assert_int_not_equal(a, b);
    ba_comparison_record r;
    assert_int_equal(ba_catalog_comparison_get(f->cat, a, &r, &err), 0);
    assert_string_equal(r.parameters, "{\"caption\":\"Résultats après 4 séances\"}");
    assert_string_equal(r.client, "C-1");
    assert_string_equal(r.areas, "cheeks");
    ba_comparison_record_clear(&r);
    assert_null(r.parameters);

    char *file = g_build_filename(f->dir, render, NULL);
    bool removed = true;
    ba_catalog_set_actor(f->cat, "dr-del");
    assert_int_equal(ba_catalog_comparison_delete(f->cat, a, &removed, &err), 0);
    assert_false(removed); /* b still shows it */
    assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
    last_row l = last_audit(f, "C-1");
    assert_string_equal(l.action, "comparison-delete");
    assert_string_equal(l.actor, "dr-del");
    assert_string_equal(l.detail, "{\"render\":\"renders/ab/ab00.png\",\"render_kept\":true}");
    assert_int_equal(ba_catalog_comparison_get(f->cat, a, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(ba_catalog_comparison_delete(f->cat, a, NULL, &err), -1);
    assert_non_null(strstr(err.message, "deleted already"));
    /* A deleted comparison is never reused: the same identity is a new row. */
    int64_t c = add_comparison(f, "id-1", render, &existing);
    assert_false(existing);
    assert_int_not_equal(c, a);
    /* Nor a stale one. */
    char *path = g_build_filename(f->dir, "catalog.db", NULL);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE comparisons SET stale = 'photo 1 was corrected'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    g_free(path);
    int64_t d = add_comparison(f, "id-1", render, &existing);
    assert_false(existing);
    assert_int_not_equal(d, c);
    /* The last comparisons showing the file go: the file goes. */
    assert_int_equal(ba_catalog_comparison_delete(f->cat, b, &removed, &err), 0);
    assert_int_equal(ba_catalog_comparison_delete(f->cat, c, &removed, &err), 0);
    assert_false(removed);
    assert_int_equal(ba_catalog_comparison_delete(f->cat, d, &removed, &err), 0);
    assert_true(removed);
    assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
    g_free(file);
    assert_int_equal(ba_catalog_audit_check(f->cat, NULL, NULL, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(codes_are_unique_whatever_the_case, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(rename_is_audited_and_keeps_the_history,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(set_name_and_birth_date, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(session_set_is_audited, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(merge_joins_sessions_and_moves_everything,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(comparison_identity_and_delete, tu_fixture_setup,
                                        tu_fixture_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
