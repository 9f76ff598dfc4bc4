/* Internal: advertising rules packs (rules.c), pure functions the export's
 * policy step runs before anything is rendered.  Not installed. */
#ifndef BA_CONSENT_RULES_H
#define BA_CONSENT_RULES_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ba_rules_pack {
    BA_RULES_NONE = 0,
    BA_RULES_UK, /* ASA/CAP code, MHRA: no advertising of prescription-only medicines */
    BA_RULES_AU, /* Ahpra/TGA: also no "anti-wrinkle injections", "dermal fillers" */
    BA_RULES_US, /* FTC endorsement guides, HIPAA authorisation */
} ba_rules_pack;

/* "none", "uk", "au", "us" -> the pack; -1 when unknown. */
int ba_rules_parse(const char *name);
/* The pack's name. */
const char *ba_rules_name(ba_rules_pack pack);

/* The rules a pack applies, in the order they are checked, as the
 * manifest's "rules.applied" lists them: NULL-terminated; none for NONE. */
const char *const *ba_rules_applied(ba_rules_pack pack);

/* Whether @text names a prescription-only product @pack forbids in
 * advertising: the term as listed ("Botox") into @found.  Matching is on
 * words after NFKD normalisation, removal of combining marks and casefolding,
 * with any run of separators (spaces, dots, hyphens, symbols) between letters
 * ignored at word boundaries: "BOTOX®", "Bo-tox", "b.o.t.o.x", "Bötox" and
 * "botulinum-toxin" match; "botoxed" and "Dysportal" do not. */
bool ba_rules_names_product(ba_rules_pack pack, const char *text, char *found, size_t size);

/* What one exported comparison shows, for the checks. */
typedef struct ba_rules_subject {
    const char *caption;          /* the caption it will carry ("" / NULL: none) */
    const char *texts[4];         /* other words it carries: labels, file names (NULL ends) */
    const char *text_names[4];    /* what each of @texts is ("the label", "the file name") */
    const char *first_stage;      /* stage of panel 1 */
    const char *first_date;       /* session date of panel 1, YYYY-MM-DD */
    const char *last_stage;       /* stage of the last panel */
    const char *last_date;        /* session date of the last panel */
    const char *birth_date;       /* the client's, "" / NULL when unknown */
    const char *today;            /* the export date, YYYY-MM-DD */
    bool marketing;               /* the export's purpose is marketing */
} ba_rules_subject;

/* Check @s against @pack: 0 when it passes; -1 with one line in @reason
 * ("rules uk: the caption names a prescription-only medicine (Botox)").
 * The disclosure rule needs a caption: the caller adds the library's
 * disclosure text before calling, when there is one. */
int ba_rules_check(ba_rules_pack pack, const ba_rules_subject *s, char *reason, size_t size);

/* Age in whole years on @today of someone born on @birth (YYYY-MM-DD);
 * -1 when either is not a date. */
int ba_rules_age(const char *birth, const char *today);

#endif
