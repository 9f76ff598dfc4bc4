/* Advertising rules packs: pure checks of what an export would show, run in
 * the export's policy step before anything is rendered (export.c).
 *
 * For helper E (the signed manifest): export.json carries a member "rules",
 * null when no pack applied, else an object
 *   {"pack": "uk"|"au"|"us",
 *    "applied": ["disclosure", "prescription-only", "before-first", "adults-only"],
 *    "disclosure": "given" | "library"}
 * "applied" lists every rule the pack checked (and the export passed), in the
 * order of ba_rules_applied(); "disclosure" says whether the caption was the
 * export's or the comparison's own ("given") or the library's configured text
 * added because there was none ("library").  Built in manifest.c from
 * job.rules and job.disclosure.
 *
 * The packs (docs/CONSENT.md "Rules packs"):
 *   every pack  a disclosure caption is required; captions, labels and file
 *               names may not name a prescription-only medicine (botulinum
 *               toxin, by brand or generic name); the before photo comes first
 *               (never an after before a before); no marketing of a client
 *               under 18 on the export date (when the birth date is known).
 *   au          also "anti-wrinkle injection(s)" and "dermal filler(s)", which
 *               the TGA treats as naming prescription-only products.
 */
#include "consent/rules.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static const char *const PACKS[] = {"none", "uk", "au", "us", NULL};

int ba_rules_parse(const char *name)
{
    for (int i = 0; name && PACKS[i]; i++)
        if (g_ascii_strcasecmp(name, PACKS[i]) == 0)
            return i;
    return -1;
}

const char *ba_rules_name(ba_rules_pack pack)
{
    return (unsigned)pack < G_N_ELEMENTS(PACKS) - 1 ? PACKS[pack] : "?";
}

const char *const *ba_rules_applied(ba_rules_pack pack)
{
    static const char *const ALL[] = {"disclosure", "prescription-only", "before-first",
                                      "adults-only", NULL};
    static const char *const NONE[] = {NULL};
    return pack == BA_RULES_NONE ? NONE : ALL;
}

/* Botulinum toxin products, brand and generic (INN) names. */
static const char *const POM[] = {
    "Botox", "Dysport", "Xeomin", "Bocouture", "Azzalure", "Alluzience", "Jeuveau", "Daxxify",
    "Letybo", "Relfydess", "Nuceiva", "Vistabel", "Vistabex", "onabotulinumtoxinA",
    "abobotulinumtoxinA", "incobotulinumtoxinA", "prabotulinumtoxinA", "daxibotulinumtoxinA",
    "letibotulinumtoxinA", "relabotulinumtoxinA", "botulinum toxin", "botulinum toxins",
    "botulinumtoxin", NULL};
/* What Australia's TGA also reads as naming them. */
static const char *const AU_TERMS[] = {"anti-wrinkle injection", "anti-wrinkle injections",
                                       "antiwrinkle injection", "antiwrinkle injections",
                                       "dermal filler", "dermal fillers", NULL};

/* @text as lower-case ASCII-ish words: NFKD, combining marks dropped,
 * casefolded, every run of non-alphanumerics one space.  g_free() it. */
static char *fold(const char *text)
{
    char *nfkd = g_utf8_normalize(text, -1, G_NORMALIZE_NFKD);
    if (!nfkd)
        return g_strdup("");
    GString *bare = g_string_new(NULL);
    for (const char *p = nfkd; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType t = g_unichar_type(c);
        if (t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_SPACING_MARK ||
            t == G_UNICODE_ENCLOSING_MARK)
            continue;
        g_string_append_unichar(bare, c);
    }
    g_free(nfkd);
    char *cf = g_utf8_casefold(bare->str, -1);
    g_string_free(bare, TRUE);
    GString *out = g_string_new(" ");
    for (const char *p = cf; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_isalnum(c))
            g_string_append_unichar(out, c);
        else if (out->str[out->len - 1] != ' ')
            g_string_append_c(out, ' ');
    }
    g_free(cf);
    if (out->str[out->len - 1] != ' ')
        g_string_append_c(out, ' ');
    return g_string_free(out, FALSE);
}

/* Words of @folded (" a b c "), into a NULL-terminated vector. */
static char **words(const char *folded)
{
    char *t = g_strstrip(g_strdup(folded));
    char **w = g_strsplit(t, " ", -1);
    g_free(t);
    return w;
}

/* Whether the words of @text, some consecutive ones joined without their
 * separators, spell @term's letters from a word boundary to a word boundary. */
static bool spells(char **w, const char *term_letters)
{
    size_t tl = strlen(term_letters);
    for (int i = 0; w[i]; i++) {
        if (!*w[i])
            continue;
        size_t got = 0;
        for (int k = i; w[k] && got < tl; k++) {
            size_t l = strlen(w[k]);
            if (got + l > tl || strncmp(term_letters + got, w[k], l) != 0)
                break;
            got += l;
            if (got == tl)
                return true;
        }
    }
    return false;
}

static bool find_in(const char *const *terms, char **w, char *found, size_t size)
{
    for (int i = 0; terms[i]; i++) {
        char *f = fold(terms[i]);
        char *letters = g_strdup(f);
        /* the term's letters without spaces */
        char *d = letters;
        for (const char *p = f; *p; p++)
            if (*p != ' ')
                *d++ = *p;
        *d = '\0';
        bool hit = *letters && spells(w, letters);
        g_free(letters);
        g_free(f);
        if (hit) {
            if (found && size)
                g_strlcpy(found, terms[i], size);
            return true;
        }
    }
    return false;
}

bool ba_rules_names_product(ba_rules_pack pack, const char *text, char *found, size_t size)
{
    if (pack == BA_RULES_NONE || !text || !*text || !g_utf8_validate(text, -1, NULL))
        return false;
    char *f = fold(text);
    char **w = words(f);
    bool hit = find_in(POM, w, found, size) ||
               (pack == BA_RULES_AU && find_in(AU_TERMS, w, found, size));
    g_strfreev(w);
    g_free(f);
    return hit;
}

static bool parse_date(const char *s, int *y, int *m, int *d)
{
    return s && strlen(s) >= 10 && sscanf(s, "%4d-%2d-%2d", y, m, d) == 3 && *m >= 1 &&
           *m <= 12 && *d >= 1 && *d <= 31;
}

int ba_rules_age(const char *birth, const char *today)
{
    int by, bm, bd, ty, tm, td;
    if (!parse_date(birth, &by, &bm, &bd) || !parse_date(today, &ty, &tm, &td))
        return -1;
    int age = ty - by - ((tm < bm || (tm == bm && td < bd)) ? 1 : 0);
    return age < 0 ? -1 : age;
}

int ba_rules_check(ba_rules_pack pack, const ba_rules_subject *s, char *reason, size_t size)
{
    if (pack == BA_RULES_NONE)
        return 0;
    const char *name = ba_rules_name(pack);
    char found[64];
    if (!s->caption || !*s->caption) {
        snprintf(reason, size,
                 "rules %s: a disclosure caption is required and the library has no "
                 "disclosure text configured",
                 name);
        return -1;
    }
    const char *what = pack == BA_RULES_AU && !ba_rules_names_product(BA_RULES_UK, s->caption,
                                                                       NULL, 0)
                           ? "a prescription-only medicine or how it is given"
                           : "a prescription-only medicine";
    if (ba_rules_names_product(pack, s->caption, found, sizeof found)) {
        snprintf(reason, size, "rules %s: the caption names %s (%s)", name, what, found);
        return -1;
    }
    for (int i = 0; i < 4 && s->texts[i]; i++)
        if (ba_rules_names_product(pack, s->texts[i], found, sizeof found)) {
            snprintf(reason, size, "rules %s: %s names a prescription-only medicine (%s)", name,
                     s->text_names[i] ? s->text_names[i] : "a text", found);
            return -1;
        }
    bool after_first = g_strcmp0(s->first_stage, "after") == 0 ||
                       (g_strcmp0(s->last_stage, "before") == 0 &&
                        g_strcmp0(s->first_stage, "before") != 0) ||
                       (s->first_date && s->last_date && *s->first_date && *s->last_date &&
                        strcmp(s->first_date, s->last_date) > 0);
    if (after_first) {
        snprintf(reason, size,
                 "rules %s: the before photo must come first, but panel 1 is the %s photo of "
                 "%s and the last panel the %s photo of %s",
                 name, s->first_stage ? s->first_stage : "?", s->first_date ? s->first_date : "?",
                 s->last_stage ? s->last_stage : "?", s->last_date ? s->last_date : "?");
        return -1;
    }
    int age = s->birth_date && *s->birth_date ? ba_rules_age(s->birth_date, s->today) : -1;
    if (s->marketing && age >= 0 && age < 18) {
        snprintf(reason, size,
                 "rules %s: the client is %d on %s, and photos of clients under 18 are not "
                 "used for marketing",
                 name, age, s->today);
        return -1;
    }
    return 0;
}
