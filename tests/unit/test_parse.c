/* Unit tests of what programs read and show the same way through the
 * library: colours and number lists (parse.h), the alignment trust bands
 * and the consent states, and the error hints. */
#include <math.h>
#include <string.h>

#include "testutil.h"

static void test_colour(void **state)
{
    (void)state;
    unsigned char rgb[3] = {1, 2, 3};
    ba_error err;
    assert_int_equal(ba_parse_colour("#FF8000", rgb, &err), 0);
    assert_true(rgb[0] == 255 && rgb[1] == 128 && rgb[2] == 0);
    assert_int_equal(ba_parse_colour("#0a0B0c", rgb, &err), 0);
    assert_true(rgb[0] == 10 && rgb[1] == 11 && rgb[2] == 12);
    assert_int_equal(ba_parse_colour("white", rgb, &err), 0);
    assert_true(rgb[0] == 255 && rgb[1] == 255 && rgb[2] == 255);
    assert_int_equal(ba_parse_colour("black", rgb, NULL), 0);
    assert_true(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
    static const char *const bad[] = {"", "#", "#12345", "#1234567", "#12345g", "# 12345",
                                      "#+1+2+3", "red", "White", "255,0,0", "#0x0x0x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rgb[0] = rgb[1] = rgb[2] = 7;
        ba_error_clear(&err);
        if (ba_parse_colour(bad[i], rgb, &err) == 0)
            fail_msg("accepted colour '%s'", bad[i]);
        assert_int_equal(err.code, BA_ERR_USAGE);
        assert_true(rgb[0] == 7 && rgb[1] == 7 && rgb[2] == 7); /* untouched */
        assert_null(strstr(err.message, "--"));
    }
    assert_int_equal(ba_parse_colour(NULL, rgb, NULL), -1);
}

static void test_numbers(void **state)
{
    (void)state;
    double v[4];
    ba_error err;
    assert_int_equal(ba_parse_numbers("1,2.5, -3 ,4e2", 4, v, &err), 0);
    assert_true(v[0] == 1 && v[1] == 2.5 && v[2] == -3 && v[3] == 400);
    static const char *const bad[] = {"", "1,2,3", "1,2,3,4,5", "1,,3,4", "1,2,3,x",
                                      "1,2,3,4x", "nan,1,2,3", "inf,1,2,3", "1;2;3;4",
                                      "1e999,1,2,3", " , , , "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ba_error_clear(&err);
        if (ba_parse_numbers(bad[i], 4, v, &err) == 0)
            fail_msg("accepted '%s' as four numbers", bad[i]);
        assert_int_equal(err.code, BA_ERR_USAGE);
        assert_null(strstr(err.message, "--"));
    }
    assert_int_equal(ba_parse_numbers(NULL, 4, v, NULL), -1);
    assert_int_equal(ba_parse_numbers("1", 0, v, NULL), -1);
    assert_int_equal(ba_parse_numbers("1", BA_PARSE_MAX_NUMBERS + 1, v, NULL), -1);
    assert_int_equal(ba_parse_numbers("7", 1, v, NULL), 0);
    assert_true(v[0] == 7);
}

static void test_trust_bands(void **state)
{
    (void)state;
    assert_int_equal(ba_align_trust_of(1.0), BA_ALIGN_TRUST_IT);
    assert_int_equal(ba_align_trust_of(0.5), BA_ALIGN_TRUST_IT);
    assert_int_equal(ba_align_trust_of(0.4999), BA_ALIGN_TRUST_CHECK);
    assert_int_equal(ba_align_trust_of(0.25), BA_ALIGN_TRUST_CHECK);
    assert_int_equal(ba_align_trust_of(0.2499), BA_ALIGN_TRUST_WEAK);
    assert_int_equal(ba_align_trust_of(0), BA_ALIGN_TRUST_WEAK);
    assert_int_equal(ba_align_trust_of(NAN), BA_ALIGN_TRUST_WEAK);
    assert_string_equal(ba_align_trust_advice(BA_ALIGN_TRUST_IT), "trust it");
    assert_string_equal(ba_align_trust_advice(BA_ALIGN_TRUST_CHECK), "check the overlay");
    assert_string_equal(ba_align_trust_advice(BA_ALIGN_TRUST_WEAK), "weak, check it");
}

static ba_consent consent(const char *granted, const char *expires, const char *revoked)
{
    ba_consent c;
    memset(&c, 0, sizeof c);
    g_strlcpy(c.granted_at, granted, sizeof c.granted_at);
    g_strlcpy(c.expires_at, expires, sizeof c.expires_at);
    g_strlcpy(c.revoked_at, revoked, sizeof c.revoked_at);
    return c;
}

static void test_consent_states(void **state)
{
    (void)state;
    ba_consent c = consent("2026-01-10", "2026-06-30", "");
    assert_int_equal(ba_consent_state_on(&c, "2026-01-09"), BA_CONSENT_STATE_NOT_YET);
    assert_int_equal(ba_consent_state_on(&c, "2026-01-10"), BA_CONSENT_STATE_ACTIVE);
    assert_int_equal(ba_consent_state_on(&c, "2026-06-30"), BA_CONSENT_STATE_ACTIVE);
    assert_int_equal(ba_consent_state_on(&c, "2026-07-01"), BA_CONSENT_STATE_EXPIRED);
    ba_consent open_ended = consent("2026-01-10", "", "");
    assert_int_equal(ba_consent_state_on(&open_ended, "2099-01-01"), BA_CONSENT_STATE_ACTIVE);
    /* Revoked outranks everything, even a date inside the granted span. */
    ba_consent r = consent("2026-01-10", "2026-06-30", "2026-02-01T10:00:00Z");
    assert_int_equal(ba_consent_state_on(&r, "2026-03-01"), BA_CONSENT_STATE_REVOKED);
    assert_int_equal(ba_consent_state_on(&r, "2026-01-01"), BA_CONSENT_STATE_REVOKED);
    assert_int_equal(ba_consent_state_on(NULL, "2026-03-01"), BA_CONSENT_STATE_REVOKED);
    assert_int_equal(ba_consent_state_on(&c, NULL), BA_CONSENT_STATE_REVOKED);
    assert_string_equal(ba_consent_state_name(BA_CONSENT_STATE_ACTIVE), "active");
    assert_string_equal(ba_consent_state_name(BA_CONSENT_STATE_NOT_YET), "not yet");
    assert_string_equal(ba_consent_state_name(BA_CONSENT_STATE_EXPIRED), "expired");
    assert_string_equal(ba_consent_state_name(BA_CONSENT_STATE_REVOKED), "revoked");
}

/* ba_error_set() resets the hint; re-wrapping a message keeps it. */
static void test_hints(void **state)
{
    (void)state;
    ba_error err;
    ba_error_set(&err, BA_ERR_NO_DATE, "a.jpg: no session date");
    assert_int_equal(err.hint, BA_HINT_NONE);
    ba_error_hint(&err, BA_HINT_GIVE_DATE);
    assert_int_equal(err.hint, BA_HINT_GIVE_DATE);
    ba_error_set(&err, BA_ERR_IO, "b");
    assert_int_equal(err.hint, BA_HINT_NONE);
    ba_error_hint(NULL, BA_HINT_GIVE_DATE); /* accepted */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colour),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_trust_bands),
        cmocka_unit_test(test_consent_states),
        cmocka_unit_test(test_hints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
