/* Internal: the one atomic placement of a file.
 *
 *   open a temporary file in the target's folder (or in a tmp folder on the
 *   same file system) -> write (hashing when asked) -> fsync, close ->
 *   rename over the target, or link() when an existing file must never be
 *   replaced -> fsync the target's folder.
 *
 * A reader therefore sees the old file or the whole new one, never part of
 * one, and after the last step the new name survives a power cut.  On any
 * failure nothing is left but what was there before (ba_place_discard()
 * removes the temporary file).
 *
 * The steps are separate functions because some callers must do them at
 * different times: ingest writes its master during prepare and moves it
 * into place inside the catalog's write transaction (the store hooks).
 *
 * Functions return 0, or the errno of the failure; they also set @err (may
 * be NULL) to "PATH: cannot write: strerror" (ba_errno_cannot_write()), so a
 * caller with its own wording passes NULL and words the errno itself. */
#ifndef BA_LIBRARY_PLACE_H
#define BA_LIBRARY_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "beforeafter/error.h"

/* common/sha256.h's hash context (not included: tests reach this header by
 * its path alone). */
typedef struct ba_sha256 ba_sha256;

/* What placing does when the target already exists. */
typedef enum ba_place_mode {
    BA_PLACE_REPLACE,       /* rename over it: outputs the user named, reports */
    BA_PLACE_NEVER_REPLACE, /* refuse with EEXIST (export destinations) */
    BA_PLACE_KEEP_EXISTING, /* content-addressed files: the name says the bytes;
                               keep the file there, drop ours, succeed */
} ba_place_mode;

/* A temporary file being written. */
typedef struct ba_place_file {
    char *tmp_path;  /* the temporary file; NULL once placed or discarded */
    int fd;          /* open until ba_place_finish(), else -1 */
    int write_errno; /* the first write error, 0 while none */
    ba_sha256 *sha;  /* hashing what is written; NULL unless asked */
    char sha256[65]; /* of what was written, after ba_place_finish() when hashing */
    size_t bytes;    /* written so far */
    char *shown;     /* the name messages give: the target, or the temporary file */
} ba_place_file;

/* Open a temporary file beside @target, named ".<base>.tmp-XXXXXX" (hidden
 * in the user's folder), with @mode; hash what is written when @hash. */
int ba_place_open_beside(ba_place_file *f, const char *target, mode_t mode, bool hash,
                         ba_error *err);

/* Open the temporary file "<kind>-<pid>-XXXXXX<suffix>" in @tmp_dir (on the
 * target's file system, e.g. LIBRARY/tmp), so dead writers' files can be
 * told from live ones (library/paths.h). */
int ba_place_open_in(ba_place_file *f, const char *tmp_dir, const char *kind, const char *suffix,
                     mode_t mode, bool hash, ba_error *err);

/* Write all of @data, hashing it when asked.  On failure the errno is kept
 * in @f->write_errno (later writes fail at once) and returned; @err is not
 * touched, since the writers that call this (libpng, libvips targets)
 * report through their own channel. */
int ba_place_write(ba_place_file *f, const void *data, size_t len);

/* fsync() and close the temporary file and finish the hash into
 * @f->sha256.  A write error kept from ba_place_write() is returned here. */
int ba_place_finish(ba_place_file *f, ba_error *err);

/* Move the finished temporary file to @target per @mode and sync @target's
 * folder (ba_place_move()).  *@created (may be NULL) says whether a new file
 * now stands there (false when KEEP_EXISTING kept one).  @f->tmp_path is
 * gone either way when this succeeds. */
int ba_place_commit(ba_place_file *f, const char *target, ba_place_mode mode, bool *created,
                    ba_error *err);

/* Close and remove what is left of @f; safe after commit and twice. */
void ba_place_discard(ba_place_file *f);

/* Move the already written, synced file @from (same file system) to @to per
 * @mode and sync @to's folder; @from is gone when this succeeds.  Where a
 * file system has no hard links (FAT, some network shares) NEVER_REPLACE
 * and KEEP_EXISTING fall back to checking, then renaming.  *@created turns
 * true as soon as the new file stands at @to, so a caller can tell a failed
 * move (false) from a failed sync of the folder after it (true). */
int ba_place_move(const char *from, const char *to, ba_place_mode mode, bool *created,
                  ba_error *err);

/* The whole cycle for bytes in memory: a temporary file beside @target (or
 * in @tmp_dir, kind "place", when not NULL), written, synced and placed per
 * @mode with @file_mode; the SHA-256 of @data to @sha256 (65 bytes) when
 * not NULL. */
int ba_place_bytes(const char *target, const void *data, size_t len, const char *tmp_dir,
                   mode_t file_mode, ba_place_mode mode, char *sha256, bool *created,
                   ba_error *err);

/* fsync() the folder @dir, so the names placed in it last. */
int ba_place_sync_dir(const char *dir, ba_error *err);

/* Create the folder of @path (with its parents, @mode) when missing. */
int ba_place_make_parent(const char *path, mode_t mode, ba_error *err);

#endif
