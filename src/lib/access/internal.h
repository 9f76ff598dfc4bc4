/* Internal to access/: hashing and the clock shared by users.c and sessions.c. */
#ifndef BA_ACCESS_INTERNAL_H
#define BA_ACCESS_INTERNAL_H

#include <sodium.h>
#include <stdint.h>

#include "beforeafter/access.h"
#include "catalog/access_rows.h"

/* Hash @password with argon2id (libsodium's interactive limits). */
int ba_access_hash_password(const char *password, char out[crypto_pwhash_STRBYTES],
                            ba_error *err);

/* Now in unix seconds, from the library's one clock (tests can freeze it). */
int64_t ba_access_now_unix(void);

#endif
