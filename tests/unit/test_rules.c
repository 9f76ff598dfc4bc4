/* Rules packs (src/lib/consent/rules.c): the pure checks, one test per rule,
 * and the product-name matching's normalisation and word boundaries. */
#include <string.h>

#include "testutil.h"
#include "../../src/lib/consent/rules.h"

static bool names(ba_rules_pack p, const char *text, const char *want)
{
    char found[64] = "";
    bool hit = ba_rules_names_product(p, text, found, sizeof found);
    if (hit && want)
        assert_string_equal(found, want);
    return hit;
}

static void test_names(void **state)
{
    (void)state;
    assert_true(names(BA_RULES_UK, "Botox", "Botox"));
    assert_true(names(BA_RULES_UK, "after BOTOX® treatment", "Botox"));
    assert_true(names(BA_RULES_UK, "our bo-tox special", "Botox"));
    assert_true(names(BA_RULES_UK, "b.o.t.o.x", "Botox"));
    assert_true(names(BA_RULES_UK, "B\xc3\xb6tox", "Botox"));          /* Bötox */
    assert_true(names(BA_RULES_UK, "Bo\xcc\x88tox", "Botox"));         /* o + combining diaeresis */
    assert_true(names(BA_RULES_UK, "\xef\xbc\xa2otox", "Botox"));      /* fullwidth B (NFKD) */
    assert_true(names(BA_RULES_UK, "botulinum-toxin type A", "botulinum toxin"));
    assert_true(names(BA_RULES_UK, "Dysport", "Dysport"));
    assert_true(names(BA_RULES_US, "incobotulinumtoxinA", "incobotulinumtoxinA"));
    /* word boundaries: a name inside another word is not the name */
    assert_false(names(BA_RULES_UK, "botoxed", NULL));
    assert_false(names(BA_RULES_UK, "Dysportal", NULL));
    assert_false(names(BA_RULES_UK, "robot ox", NULL));
    assert_false(names(BA_RULES_UK, "Individual results vary", NULL));
    /* au's extra terms */
    assert_true(names(BA_RULES_AU, "Anti-wrinkle injections", "anti-wrinkle injections"));
    assert_true(names(BA_RULES_AU, "dermal filler", "dermal filler"));
    assert_false(names(BA_RULES_UK, "Anti-wrinkle injections", NULL));
    assert_false(names(BA_RULES_NONE, "Botox", NULL));
    assert_false(names(BA_RULES_UK, "\xff\xfe", NULL)); /* not UTF-8 */
}

static ba_rules_subject good(void)
{
    ba_rules_subject s = {.caption = "Individual results vary",
                          .texts = {"website", NULL},
                          .text_names = {"the destination folder's name", NULL},
                          .first_stage = "before", .first_date = "2026-01-10",
                          .last_stage = "after", .last_date = "2026-03-10",
                          .birth_date = "1990-05-01", .today = "2026-12-01", .marketing = true};
    return s;
}

static void test_rules(void **state)
{
    (void)state;
    char why[512];
    ba_rules_subject s = good();
    assert_int_equal(ba_rules_check(BA_RULES_UK, &s, why, sizeof why), 0);
    /* disclosure */
    s.caption = "";
    assert_int_equal(ba_rules_check(BA_RULES_UK, &s, why, sizeof why), -1);
    assert_non_null(strstr(why, "rules uk: a disclosure caption is required"));
    assert_int_equal(ba_rules_check(BA_RULES_NONE, &s, why, sizeof why), 0);
    /* prescription-only */
    s = good();
    s.caption = "Botox, results vary";
    assert_int_equal(ba_rules_check(BA_RULES_UK, &s, why, sizeof why), -1);
    assert_string_equal(why, "rules uk: the caption names a prescription-only medicine (Botox)");
    s = good();
    s.texts[0] = "xeomin-campaign";
    assert_int_equal(ba_rules_check(BA_RULES_AU, &s, why, sizeof why), -1);
    assert_non_null(strstr(why, "the destination folder's name names a prescription-only "
                                "medicine (Xeomin)"));
    /* before first */
    s = good();
    s.first_stage = "after";
    s.last_stage = "before";
    assert_int_equal(ba_rules_check(BA_RULES_US, &s, why, sizeof why), -1);
    assert_non_null(strstr(why, "rules us: the before photo must come first"));
    s = good();
    s.first_stage = "progress";
    s.first_date = "2026-04-01";
    assert_int_equal(ba_rules_check(BA_RULES_UK, &s, why, sizeof why), -1);
    /* adults only: 17 the day before the 18th birthday, 18 on it */
    s = good();
    s.birth_date = "2008-12-02";
    assert_int_equal(ba_rules_check(BA_RULES_UK, &s, why, sizeof why), -1);
    assert_non_null(strstr(why, "rules uk: the client is 17 on 2026-12-01"));
    s.marketing = false;
    assert_int_equal(ba_rules_check(BA_RULES_UK, &s, why, sizeof why), 0);
    s = good();
    s.birth_date = "2008-12-01";
    assert_int_equal(ba_rules_check(BA_RULES_UK, &s, why, sizeof why), 0);
    s.birth_date = "";
    assert_int_equal(ba_rules_check(BA_RULES_UK, &s, why, sizeof why), 0);
}

static void test_parse_age(void **state)
{
    (void)state;
    assert_int_equal(ba_rules_parse("uk"), BA_RULES_UK);
    assert_int_equal(ba_rules_parse("AU"), BA_RULES_AU);
    assert_int_equal(ba_rules_parse("none"), BA_RULES_NONE);
    assert_int_equal(ba_rules_parse("eu"), -1);
    assert_int_equal(ba_rules_parse(NULL), -1);
    assert_string_equal(ba_rules_name(BA_RULES_US), "us");
    assert_int_equal(ba_rules_age("2000-02-29", "2018-02-28"), 17);
    assert_int_equal(ba_rules_age("2000-02-29", "2018-03-01"), 18);
    assert_int_equal(ba_rules_age("bad", "2018-03-01"), -1);
    assert_null(ba_rules_applied(BA_RULES_NONE)[0]);
    assert_string_equal(ba_rules_applied(BA_RULES_UK)[3], "adults-only");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_parse_age),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
