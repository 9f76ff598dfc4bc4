/* Signing in and out: throttled password checks, random tokens stored
 * hashed, idle and absolute expiry, CSRF tokens. */
#include "access/internal.h"

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "library/clock.h"

/* One message for every refused sign-in, so it says nothing about which
 * part was wrong or whether the name exists. */
static const char WRONG[] = "wrong user name or password";

int64_t ba_access_now_unix(void)
{
    GDateTime *now = ba_clock_now_utc();
    int64_t t = g_date_time_to_unix(now);
    g_date_time_unref(now);
    return t;
}

/* 256 random bits as 64 hex digits. */
static void random_token(char out[BA_TOKEN_HEX + 1])
{
    unsigned char raw[BA_TOKEN_HEX / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, BA_TOKEN_HEX + 1, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

/* What is stored for a token: its BLAKE2b-256 in hex.  A token is 256 random
 * bits, so a fast hash is enough (no guessing to slow down). */
static bool token_hash(const char *token, char out[BA_TOKEN_HEX + 1])
{
    if (!token || strlen(token) != BA_TOKEN_HEX)
        return false;
    for (int i = 0; i < BA_TOKEN_HEX; i++)
        if (!g_ascii_isxdigit(token[i]))
            return false;
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, BA_TOKEN_HEX, NULL, 0);
    sodium_bin2hex(out, BA_TOKEN_HEX + 1, h, sizeof h);
    return true;
}

/* A hash to verify against when the name is unknown or disabled, so that a
 * refusal costs the same argon2id work whatever the reason. */
static const char *decoy_hash(void)
{
    static char hash[crypto_pwhash_STRBYTES];
    static gsize done;
    if (g_once_init_enter(&done)) {
        char pw[BA_TOKEN_HEX + 1];
        random_token(pw);
        if (ba_access_hash_password(pw, hash, NULL))
            hash[0] = '\0';
        g_once_init_leave(&done, 1);
    }
    return hash;
}

static int refuse(ba_catalog *cat, const char *key, int64_t now, const char *why,
                  ba_error *err)
{
    ba_error rec;
    if (ba_db_login_refused(cat, key, now, now - 2 * BA_LOGIN_WINDOW_S, why, &rec)) {
        ba_error_copy(err, &rec);
        return -1;
    }
    ba_error_set(err, BA_ERR_AUTH, "%s", WRONG);
    return -1;
}

int ba_access_login(ba_catalog *cat, const char *name, const char *password, const char *remote,
                    char token[BA_TOKEN_HEX + 1], ba_web_session *out, ba_error *err)
{
    token[0] = '\0';
    size_t pwlen = password ? strlen(password) : 0;
    /* Names and passwords that could never be valid are refused before any
     * lookup or hashing (the bound keeps a request from making us hash
     * megabytes); the answer is the same words. */
    if (!name || ba_access_user_name_check(name, NULL) || !password ||
        pwlen > BA_PASSWORD_MAX) {
        ba_error_set(err, BA_ERR_AUTH, "%s", WRONG);
        return -1;
    }
    int64_t now = ba_access_now_unix(), until = 0;
    char *key = g_ascii_strdown(name, -1);
    int rc = -1;
    if (ba_db_login_locked_until(cat, key, BA_LOGIN_MAX_FAILURES, BA_LOGIN_WINDOW_S, &until,
                                 err))
        goto out;
    if (until > now) {
        ba_error_set(err, BA_ERR_THROTTLED,
                     "too many failed logins for %s: try again in %d minutes", key,
                     (int)((until - now + 59) / 60));
        goto out;
    }
    ba_user u;
    char hash[BA_DB_HASH_MAX];
    ba_error lookup;
    bool known = ba_db_user_load(cat, name, &u, hash, &lookup) == 0;
    if (!known && lookup.code != BA_ERR_NOT_FOUND) {
        ba_error_copy(err, &lookup);
        goto out;
    }
    bool usable = known && !u.disabled_at[0];
    const char *against = usable ? hash : decoy_hash();
    bool match = crypto_pwhash_str_verify(against, password, pwlen) == 0;
    if (!usable || !match) {
        refuse(cat, key, now, !known ? "unknown user" : !usable ? "disabled" : "wrong password",
               err);
        goto out;
    }
    memset(out, 0, sizeof *out);
    out->user_id = u.id;
    g_strlcpy(out->user, u.name, sizeof out->user);
    out->role = u.role;
    random_token(out->csrf_token);
    char t[BA_TOKEN_HEX + 1], th[BA_TOKEN_HEX + 1];
    random_token(t);
    token_hash(t, th);
    if (ba_db_session_open(cat, out, th, now, remote, err) == 0) {
        memcpy(token, t, sizeof t);
        rc = 0;
    }
    sodium_memzero(t, sizeof t);
out:
    g_free(key);
    return rc;
}

/* The open session of @token into @row, or BA_ERR_AUTH. */
static int session_open_row(ba_catalog *cat, const char *token, ba_db_session_row *row,
                            int64_t now, ba_error *err)
{
    char th[BA_TOKEN_HEX + 1];
    ba_error lookup;
    if (!token_hash(token, th) || ba_db_session_find(cat, th, row, &lookup)) {
        if (token_hash(token, th) && lookup.code != BA_ERR_NOT_FOUND) {
            ba_error_copy(err, &lookup);
            return -1;
        }
        ba_error_set(err, BA_ERR_AUTH, "not signed in");
        return -1;
    }
    if (row->ended || row->user_disabled || now - row->last_seen_unix >= BA_SESSION_IDLE_S ||
        now - row->created_unix >= BA_SESSION_ABSOLUTE_S || now < row->created_unix) {
        ba_error_set(err, BA_ERR_AUTH, "the session has ended: sign in again");
        return -1;
    }
    return 0;
}

/* At most one write a minute per session: reads must not each become a
 * write transaction. */
static bool touch_due(const ba_db_session_row *row, int64_t now)
{
    return now - row->last_seen_unix >= 60;
}

int ba_access_session_check(ba_catalog *cat, const char *token, ba_web_session *out,
                            ba_error *err)
{
    ba_db_session_row row;
    int64_t now = ba_access_now_unix();
    if (session_open_row(cat, token, &row, now, err))
        return -1;
    if (touch_due(&row, now) && ba_db_session_touch(cat, row.s.session_id, now, err))
        return -1;
    *out = row.s;
    return 0;
}

int ba_access_session_peek(ba_catalog *cat, const char *token, ba_web_session *out,
                           bool *due, ba_error *err)
{
    ba_db_session_row row;
    int64_t now = ba_access_now_unix();
    *due = false;
    if (session_open_row(cat, token, &row, now, err))
        return -1;
    *due = touch_due(&row, now);
    *out = row.s;
    return 0;
}

int ba_access_logout(ba_catalog *cat, const char *token, ba_error *err)
{
    char th[BA_TOKEN_HEX + 1];
    if (!token_hash(token, th))
        return 0; /* no such session: nothing to end */
    return ba_db_session_end(cat, th, err);
}

bool ba_access_csrf_ok(const ba_web_session *s, const char *given)
{
    if (!s || !given || strlen(given) != BA_TOKEN_HEX || strlen(s->csrf_token) != BA_TOKEN_HEX)
        return false;
    return sodium_memcmp(s->csrf_token, given, BA_TOKEN_HEX) == 0;
}
