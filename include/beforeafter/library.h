/**
 * @file library.h
 * @brief The library folder as a place on disk: what may and may not be
 *        written where.
 *
 * A library's files (catalog.db, masters/, renders/, consents/, tmp/) are
 * written only by the library's own code.  Every output a user names — a
 * comparison, a ghost overlay, a report, an export folder — must therefore
 * resolve to a place outside every library; otherwise a careless `-o` could
 * truncate the catalog or replace a master with another photo.
 */
#ifndef BEFOREAFTER_LIBRARY_H
#define BEFOREAFTER_LIBRARY_H

#include <stdbool.h>

#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Check that @p path, an output file (@p is_folder false) or output folder
 * (@p is_folder true) that may not exist yet, lies outside every beforeafter
 * library: after resolving symbolic links and "..", neither it nor any folder
 * above it is a library (a folder holding a beforeafter catalog.db), and it
 * is not inside @p library_dir (may be NULL) either.
 *
 * The check is made on the deepest part of @p path that exists, so a folder
 * that would be created inside a library is refused too.
 * @return 0 when @p path may be written, -1 with BA_ERR_USAGE and a message
 *         naming the library otherwise (BA_ERR_IO when @p path cannot be
 *         resolved).
 */
BA_API int ba_library_check_output(const char *library_dir, const char *path, bool is_folder,
                            ba_error *err);

/**
 * Create a new, empty temporary file of @p kind (lower-case letters, e.g.
 * "upload") in the library's tmp/ folder, readable by its owner only, named
 * so that the library can tell a dead writer's leftovers from a live one's
 * (and remove them when the next writer opens the library).  @p *path
 * receives its path (free() it).  @return an open file descriptor, or -1
 * with @p err set.  The caller removes the file when done.
 */
BA_API int ba_library_tmp_file(const char *library_dir, const char *kind, char **path,
                               ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
