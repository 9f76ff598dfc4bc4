/* Internal: clients by code whatever its case (clients.c, client_edit.c). */
#ifndef BA_CATALOG_CLIENT_EDIT_H
#define BA_CATALOG_CLIENT_EDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "beforeafter/catalog.h"

/* Whether @code is a valid client code (letters, digits, '-', '_', '.';
 * 1..32, starting with a letter or digit). */
bool ba_db_client_code_valid(const char *code);

/* The client whose code is @code in any case (the exact spelling first):
 * 1 with @id and its stored code @canon (either may be NULL), 0 when there
 * is none, -1 on error. */
int ba_db_client_find(ba_catalog *cat, const char *code, int64_t *id, char canon[BA_CODE_MAX],
                      ba_error *err);

#endif
