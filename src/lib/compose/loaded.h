/* Internal: rendering library photos the caller has already read, so that
 * export fetches each photo and alignment once.  Not installed. */
#ifndef BA_COMPOSE_LOADED_H
#define BA_COMPOSE_LOADED_H

#include "beforeafter/compose.h"

/*
 * ba_compose_photos() on rows already read from @cat: @photos[0..n-1] in
 * panel order and, for an aligned render, @aligns[i] (i > 0) the alignment
 * of photos[i] onto photos[0], or NULL where there is none (it is then
 * computed from the masters, and stored only with opts->store_alignment).
 * With @aligns NULL they are looked up in the catalog.
 */
int ba_compose_loaded(ba_catalog *cat, const ba_photo *photos, const ba_alignment *const *aligns,
                      int n, const ba_compose_options *opts, const char *output,
                      ba_comparison *out, ba_error *err);

#endif
