/* Internal: whole folders written beside their final name and renamed into
 * place (client exports, backups, restores), and checked file copies. */
#ifndef BA_LIBRARY_TREE_H
#define BA_LIBRARY_TREE_H

#include <stdint.h>

#include "beforeafter/error.h"

/* Start a folder that will become @target: @target must not exist or be an
 * empty folder (BA_ERR_EXISTS otherwise); its parent is created (0700) when
 * missing.  Returns the temporary folder ".<base>.tmp-XXXXXX" beside it
 * (0700; g_free it), or NULL with @err set. */
char *ba_tree_stage(const char *target, ba_error *err);

/* Rename the finished @stage to @target (replacing an empty folder there)
 * and sync the parent folder, so the whole tree appears at once. */
int ba_tree_publish(const char *stage, const char *target, ba_error *err);

/* Remove @dir and everything under it (never following links); NULL is fine. */
void ba_tree_remove(const char *dir);

/* Copy @from to the new file @to (0600; its folder made 0700): read, checked
 * against @sha256 (skipped when NULL or ""), written, synced.  A file that
 * does not match is BA_ERR_CORRUPT naming @from; *@bytes (may be NULL) is
 * increased by its size. */
int ba_tree_copy_checked(const char *from, const char *to, const char *sha256, uint64_t *bytes,
                         ba_error *err);

#endif
