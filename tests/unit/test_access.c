/* Unit tests of access/: the authorization decision over every role and
 * action, password rules, users, signing in (throttling, uniform refusals),
 * session expiry and ending, CSRF tokens and the access log. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <beforeafter/access.h>

typedef tu_fixture fixture;
#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

static const char PW[] = "correct horse battery";

/* ---- the decision -------------------------------------------------------- */

/* The rules of the issue, restated independently of policy.c's tables. */
static ba_access_verdict expected(ba_role role, ba_access_action a, const ba_access_object *o)
{
    bool exporting = a == BA_ACCESS_EXPORT || a == BA_ACCESS_EXPORT_READ;
    switch (role) {
    case BA_ROLE_ADMIN:
        return BA_ACCESS_ALLOW;
    case BA_ROLE_PROVIDER:
        if (a == BA_ACCESS_USER_ADMIN || a == BA_ACCESS_AUDIT_READ)
            return BA_ACCESS_FORBIDDEN;
        if (exporting && o && o->purpose == BA_SCOPE_MARKETING)
            return BA_ACCESS_FORBIDDEN;
        return BA_ACCESS_ALLOW;
    case BA_ROLE_MARKETING:
        switch (a) {
        case BA_ACCESS_CLIENT_WRITE:
        case BA_ACCESS_PHOTO_UPLOAD:
        case BA_ACCESS_PHOTO_CORRECT:
        case BA_ACCESS_ALIGN:
        case BA_ACCESS_GHOST:
        case BA_ACCESS_COMPARE:
        case BA_ACCESS_CONSENT_WRITE:
        case BA_ACCESS_USER_ADMIN:
        case BA_ACCESS_AUDIT_READ:
            return BA_ACCESS_FORBIDDEN;
        case BA_ACCESS_CLIENT_LIST:
            return BA_ACCESS_ALLOW;
        default:
            break;
        }
        if (!o || !o->has_client || !o->client_marketing_consent)
            return BA_ACCESS_HIDDEN;
        if (a == BA_ACCESS_PHOTO_READ && !o->photo_in_comparison)
            return BA_ACCESS_HIDDEN;
        if (exporting && o->purpose != BA_SCOPE_MARKETING)
            return BA_ACCESS_FORBIDDEN;
        return BA_ACCESS_ALLOW;
    default:
        return BA_ACCESS_FORBIDDEN;
    }
}

static void test_decide_every_case(void **state)
{
    (void)state;
    int checked = 0;
    for (int r = 0; r < BA_ROLE_COUNT_; r++)
        for (int a = 0; a < BA_ACCESS_ACTION_COUNT_; a++)
            for (int bits = 0; bits < 8; bits++)
                for (int p = 0; p < 3; p++) {
                    ba_access_object o = {.has_client = bits & 1,
                                          .client_marketing_consent = (bits & 2) != 0,
                                          .photo_in_comparison = (bits & 4) != 0,
                                          .purpose = (ba_consent_scope)p};
                    char reason[160];
                    ba_access_verdict v =
                        ba_access_decide((ba_role)r, (ba_access_action)a, &o, reason,
                                         sizeof reason);
                    if (v != expected((ba_role)r, (ba_access_action)a, &o))
                        fail_msg("role %s action %d bits %d purpose %d: got %d",
                                 ba_access_role_name((ba_role)r), a, bits, p, (int)v);
                    if (v != BA_ACCESS_ALLOW && !reason[0])
                        fail_msg("a refusal without a reason (role %d action %d)", r, a);
                    checked++;
                }
    assert_int_equal(checked, BA_ROLE_COUNT_ * BA_ACCESS_ACTION_COUNT_ * 8 * 3);
    /* No object at all: marketing sees nothing of a client. */
    assert_int_equal(ba_access_decide(BA_ROLE_MARKETING, BA_ACCESS_CLIENT_READ, NULL, NULL, 0),
                     BA_ACCESS_HIDDEN);
    assert_int_equal(ba_access_decide((ba_role)7, BA_ACCESS_CLIENT_READ, NULL, NULL, 0),
                     BA_ACCESS_FORBIDDEN);

    /* As errors: 404 words for hidden, the role for forbidden. */
    ba_error err;
    assert_int_equal(ba_access_require(BA_ROLE_MARKETING, BA_ACCESS_PHOTO_READ, NULL, "photo 3",
                                       &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_string_equal(err.message, "photo 3 was not found");
    assert_int_equal(ba_access_require(BA_ROLE_MARKETING, BA_ACCESS_PHOTO_UPLOAD, NULL, NULL,
                                       &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_FORBIDDEN);
    assert_non_null(strstr(err.message, "marketing role may not upload photos"));
    assert_int_equal(ba_access_role_parse("provider"), BA_ROLE_PROVIDER);
    assert_int_equal(ba_access_role_parse("Provider"), -1);
    assert_string_equal(ba_access_role_name(BA_ROLE_COUNT_), "?");
}

/* ---- users --------------------------------------------------------------- */

static void test_password_rules(void **state)
{
    (void)state;
    ba_error err;
    assert_int_equal(ba_access_password_check("ann", "elevenchars", &err), -1);
    assert_non_null(strstr(err.message, "shorter than 12"));
    assert_int_equal(ba_access_password_check("ann", "twelve chars", NULL), 0);
    /* Characters, not bytes: 11 two-byte letters are still too short. */
    assert_int_equal(ba_access_password_check("ann", "ééééééééééé", NULL), -1);
    assert_int_equal(ba_access_password_check("ann", "éééééééééééé", NULL), 0);
    assert_int_equal(ba_access_password_check("ann", "bad \xff utf-8 text", &err), -1);
    assert_int_equal(ba_access_password_check("reception.desk", "RECEPTION.DESK", &err), -1);
    char *long_pw = g_strnfill(BA_PASSWORD_MAX + 1, 'x');
    assert_int_equal(ba_access_password_check("ann", long_pw, &err), -1);
    g_free(long_pw);
    assert_int_equal(ba_access_user_name_check("dr.jones@clinic", NULL), 0);
    assert_int_equal(ba_access_user_name_check("-x", NULL), -1);
    assert_int_equal(ba_access_user_name_check("a b", NULL), -1);
    assert_int_equal(ba_access_user_name_check("", NULL), -1);
}

typedef struct audit_find {
    const char *action;
    int found;
    char actor[64], objects[64], detail[160];
} audit_find;

static int find_audit(const ba_audit_entry *a, void *ud)
{
    audit_find *f = ud;
    if (strcmp(a->action, f->action) == 0) {
        f->found++;
        g_strlcpy(f->actor, a->actor ? a->actor : "", sizeof f->actor);
        g_strlcpy(f->objects, a->objects ? a->objects : "", sizeof f->objects);
        g_strlcpy(f->detail, a->detail ? a->detail : "", sizeof f->detail);
    }
    return 0;
}

static audit_find audit_of(ba_catalog *cat, const char *action)
{
    audit_find f = {.action = action};
    ba_error err;
    assert_int_equal(ba_catalog_audit_list(cat, NULL, find_audit, &f, &err), 0);
    return f;
}

/* Every byte of the catalog file that holds @needle (a secret must not). */
static bool file_contains(const char *path, const char *needle)
{
    size_t len = 0;
    unsigned char *data = tu_read(path, &len);
    bool found = data && g_strstr_len((const char *)data, (gssize)len, needle) != NULL;
    g_free(data);
    return found;
}

static int count_users(const ba_user *u, void *ud)
{
    (void)u;
    (*(int *)ud)++;
    return 0;
}

static void test_users(void **state)
{
    fixture *f = *state;
    ba_error err;
    ba_catalog_set_actor(f->cat, "admin.one");
    assert_int_equal(ba_access_user_add(f->cat, "Dr.Jones", BA_ROLE_PROVIDER, PW, &err), 0);
    assert_int_equal(ba_access_user_add(f->cat, "dr.jones", BA_ROLE_ADMIN, PW, &err), -1);
    assert_int_equal(err.code, BA_ERR_EXISTS);
    assert_non_null(strstr(err.message, "already exists as Dr.Jones"));
    assert_int_equal(ba_access_user_add(f->cat, "short", BA_ROLE_ADMIN, "too short", &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);

    ba_user u;
    assert_int_equal(ba_access_user_get(f->cat, "DR.JONES", &u, &err), 0);
    assert_string_equal(u.name, "Dr.Jones");
    assert_int_equal(u.role, BA_ROLE_PROVIDER);
    assert_string_equal(u.disabled_at, "");

    audit_find add = audit_of(f->cat, "user-add");
    assert_int_equal(add.found, 1);
    assert_string_equal(add.actor, "admin.one");
    assert_string_equal(add.objects, "user Dr.Jones");

    assert_int_equal(ba_access_user_role(f->cat, "dr.jones", BA_ROLE_MARKETING, &err), 0);
    audit_find role = audit_of(f->cat, "user-role");
    assert_string_equal(role.detail, "{\"role\":[\"provider\",\"marketing\"]}");
    assert_int_equal(ba_access_user_disable(f->cat, "dr.jones", &err), 0);
    assert_int_equal(ba_access_user_disable(f->cat, "dr.jones", &err), -1);
    assert_int_equal(ba_access_user_disable(f->cat, "nobody", &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    int n = 0;
    assert_int_equal(ba_access_user_list(f->cat, count_users, &n, &err), 0);
    assert_int_equal(n, 1);

    /* The password is stored as an argon2id hash: not in the file. */
    ba_catalog_close(f->cat);
    char *db = g_build_filename(f->dir, "catalog.db", NULL);
    char *wal = g_strconcat(db, "-wal", NULL);
    assert_false(file_contains(db, PW));
    if (g_file_test(wal, G_FILE_TEST_EXISTS))
        assert_false(file_contains(wal, PW));
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(raw, "SELECT password_hash FROM users", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(g_str_has_prefix((const char *)sqlite3_column_text(st, 0), "$argon2id$"));
    sqlite3_finalize(st);
    sqlite3_close(raw);
    g_free(wal);
    g_free(db);
    f->cat = ba_catalog_open(f->dir, &err);
    assert_non_null(f->cat);
}

/* ---- signing in ---------------------------------------------------------- */

static void at(const char *when)
{
    g_setenv("BA_TEST_NOW", when, TRUE);
}

static void test_login_and_throttle(void **state)
{
    fixture *f = *state;
    ba_error err;
    char token[BA_TOKEN_HEX + 1];
    ba_web_session s;
    at("2026-11-30T09:00:00Z");
    assert_int_equal(ba_access_user_add(f->cat, "ann", BA_ROLE_PROVIDER, PW, &err), 0);

    /* A wrong password and an unknown name get the same words. */
    assert_int_equal(ba_access_login(f->cat, "ann", "wrong password!", NULL, token, &s, &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_AUTH);
    char wrong[256];
    g_strlcpy(wrong, err.message, sizeof wrong);
    assert_string_equal(token, "");
    assert_int_equal(ba_access_login(f->cat, "nobody", PW, NULL, token, &s, &err), -1);
    assert_int_equal(err.code, BA_ERR_AUTH);
    assert_string_equal(err.message, wrong);

    assert_int_equal(ba_access_login(f->cat, "ANN", PW, "10.0.0.7", token, &s, &err), 0);
    assert_int_equal((int)strlen(token), BA_TOKEN_HEX);
    assert_string_equal(s.user, "ann");
    assert_int_equal(s.role, BA_ROLE_PROVIDER);
    assert_true(ba_access_csrf_ok(&s, s.csrf_token));
    char forged[BA_TOKEN_HEX + 1];
    g_strlcpy(forged, s.csrf_token, sizeof forged);
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    assert_false(ba_access_csrf_ok(&s, forged));
    assert_false(ba_access_csrf_ok(&s, NULL));
    assert_false(ba_access_csrf_ok(&s, ""));
    ba_web_session checked;
    assert_int_equal(ba_access_session_check(f->cat, token, &checked, &err), 0);
    assert_int_equal(checked.session_id, s.session_id);
    assert_string_equal(checked.csrf_token, s.csrf_token);

    /* Only the token's hash is stored. */
    char *db = g_build_filename(f->dir, "catalog.db", NULL);
    char *wal = g_strconcat(db, "-wal", NULL);
    assert_false(file_contains(db, token));
    if (g_file_test(wal, G_FILE_TEST_EXISTS))
        assert_false(file_contains(wal, token));
    g_free(wal);
    g_free(db);

    /* Five failures lock the name (the earlier one was forgotten by the
     * good login): the right password then gets 429 too. */
    for (int i = 0; i < BA_LOGIN_MAX_FAILURES; i++) {
        assert_int_equal(ba_access_login(f->cat, "ann", "not the password", NULL, token, &s, &err),
                         -1);
        assert_int_equal(err.code, BA_ERR_AUTH);
    }
    assert_int_equal(ba_access_login(f->cat, "ann", PW, NULL, token, &s, &err), -1);
    assert_int_equal(err.code, BA_ERR_THROTTLED);
    assert_non_null(strstr(err.message, "15 minutes"));
    at("2026-11-30T09:14:00Z");
    assert_int_equal(ba_access_login(f->cat, "ann", PW, NULL, token, &s, &err), -1);
    assert_int_equal(err.code, BA_ERR_THROTTLED);
    at("2026-11-30T09:15:01Z");
    assert_int_equal(ba_access_login(f->cat, "ann", PW, NULL, token, &s, &err), 0);
    audit_find login = audit_of(f->cat, "login");
    assert_true(login.found >= 7);
    g_unsetenv("BA_TEST_NOW");
}

static void test_sessions_end(void **state)
{
    fixture *f = *state;
    ba_error err;
    char token[BA_TOKEN_HEX + 1], other[BA_TOKEN_HEX + 1];
    ba_web_session s, c;
    at("2026-11-30T08:00:00Z");
    assert_int_equal(ba_access_user_add(f->cat, "bea", BA_ROLE_MARKETING, PW, &err), 0);
    assert_int_equal(ba_access_login(f->cat, "bea", PW, NULL, token, &s, &err), 0);

    /* Idle: each use within 30 minutes keeps it open ... */
    at("2026-11-30T08:29:00Z");
    assert_int_equal(ba_access_session_check(f->cat, token, &c, &err), 0);
    at("2026-11-30T08:58:00Z");
    assert_int_equal(ba_access_session_check(f->cat, token, &c, &err), 0);
    /* ... 30 minutes without one ends it. */
    at("2026-11-30T09:28:00Z");
    assert_int_equal(ba_access_session_check(f->cat, token, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_AUTH);

    /* Absolute: 12 hours, however busy. */
    at("2026-11-30T10:00:00Z");
    assert_int_equal(ba_access_login(f->cat, "bea", PW, NULL, token, &s, &err), 0);
    char when[32];
    for (int m = 20; m < 12 * 60; m += 20) {
        snprintf(when, sizeof when, "2026-11-30T%02d:%02d:00Z", 10 + m / 60, m % 60);
        at(when);
        assert_int_equal(ba_access_session_check(f->cat, token, &c, &err), 0);
    }
    at("2026-11-30T22:00:00Z");
    assert_int_equal(ba_access_session_check(f->cat, token, &c, &err), -1);

    /* Logout, a new password and disabling end sessions at once. */
    assert_int_equal(ba_access_login(f->cat, "bea", PW, NULL, token, &s, &err), 0);
    assert_int_equal(ba_access_logout(f->cat, token, &err), 0);
    assert_int_equal(ba_access_session_check(f->cat, token, &c, &err), -1);
    assert_int_equal(ba_access_logout(f->cat, token, &err), 0); /* again: not an error */
    assert_int_equal(ba_access_login(f->cat, "bea", PW, NULL, token, &s, &err), 0);
    assert_int_equal(ba_access_login(f->cat, "bea", PW, NULL, other, &s, &err), 0);
    assert_int_equal(ba_access_user_passwd(f->cat, "bea", "another long passphrase", &err), 0);
    assert_int_equal(ba_access_session_check(f->cat, token, &c, &err), -1);
    assert_int_equal(ba_access_session_check(f->cat, other, &c, &err), -1);
    assert_int_equal(ba_access_login(f->cat, "bea", "another long passphrase", NULL, token, &s,
                                     &err),
                     0);
    assert_int_equal(ba_access_user_disable(f->cat, "bea", &err), 0);
    assert_int_equal(ba_access_session_check(f->cat, token, &c, &err), -1);
    assert_int_equal(ba_access_login(f->cat, "bea", "another long passphrase", NULL, token, &s,
                                     &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_AUTH);

    /* Tokens that are not tokens. */
    assert_int_equal(ba_access_session_check(f->cat, "", &c, &err), -1);
    assert_int_equal(ba_access_session_check(f->cat, NULL, &c, &err), -1);
    char *zeros = g_strnfill(BA_TOKEN_HEX, '0');
    assert_int_equal(ba_access_session_check(f->cat, zeros, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_AUTH);
    g_free(zeros);
    g_unsetenv("BA_TEST_NOW");
}

/* ---- the access log ------------------------------------------------------- */

static int collect(const ba_access_entry *e, void *ud)
{
    g_string_append_printf(ud, "%s/%s/%s/%s;", e->actor, e->action, e->client ? e->client : "-",
                           e->result);
    return 0;
}

static void test_access_log(void **state)
{
    fixture *f = *state;
    ba_error err;
    ba_access_entry e[] = {
        {.actor = "ann", .action = "photo-image", .object = "photo 1", .client = "C-1",
         .remote = "10.0.0.7", .result = "ok"},
        {.actor = "bea", .action = "comparison-read", .object = "comparison 2", .client = "C-2",
         .result = "not-found"},
        {.actor = "ann", .action = "client-list", .result = "ok"},
    };
    assert_int_equal(ba_access_log_add(f->cat, e, 3, &err), 0);
    assert_int_equal(ba_access_log_add(f->cat, e, 0, &err), 0);
    GString *s = g_string_new(NULL);
    assert_int_equal(ba_access_log_list(f->cat, "ANN", NULL, collect, s, &err), 0);
    assert_string_equal(s->str, "ann/photo-image/C-1/ok;ann/client-list/-/ok;");
    g_string_truncate(s, 0);
    assert_int_equal(ba_access_log_list(f->cat, NULL, "C-2", collect, s, &err), 0);
    assert_string_equal(s->str, "bea/comparison-read/C-2/not-found;");
    g_string_free(s, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide_every_case),
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_and_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_log, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
