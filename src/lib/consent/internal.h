/* Internal helpers shared by the consent module's files. */
#ifndef BA_CONSENT_INTERNAL_H
#define BA_CONSENT_INTERNAL_H

#include <stddef.h>

#include "beforeafter/catalog.h"

/* The current UTC time, "YYYY-MM-DDTHH:MM:SSZ". */
void ba_consent_utc_now(char out[BA_STAMP_MAX]);

#endif
