/* The trust bands of an alignment score (align.h): one reading of the score
 * for every program that shows it. */
#include "beforeafter/align.h"

ba_align_trust ba_align_trust_of(double score)
{
    if (score >= BA_ALIGN_TRUST_SCORE)
        return BA_ALIGN_TRUST_IT;
    return score >= BA_ALIGN_CHECK_SCORE ? BA_ALIGN_TRUST_CHECK : BA_ALIGN_TRUST_WEAK;
}

const char *ba_align_trust_advice(ba_align_trust t)
{
    switch (t) {
    case BA_ALIGN_TRUST_IT: return "trust it";
    case BA_ALIGN_TRUST_CHECK: return "check the overlay";
    case BA_ALIGN_TRUST_WEAK: return "weak, check it";
    }
    return "weak, check it";
}
