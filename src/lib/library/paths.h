/* Internal: the layout of a library folder, in one place.
 *
 *   LIBRARY/catalog.db
 *   LIBRARY/masters/ab/<sha256>.jpg    content-addressed masters
 *   LIBRARY/renders/ab/<sha256>.<ext>  content-addressed comparison outputs
 *   LIBRARY/consents/<sha256>.<ext>    consent evidence
 *   LIBRARY/tmp/<kind>-<pid>-XXXXXX... in-flight files, same file system
 *   LIBRARY/lost+found/...             what verify --repair moved out of the way
 *
 * The <pid> in a temporary name is what lets any later process tell a file
 * a live writer is still filling from one a killed writer left behind. */
#ifndef BA_LIBRARY_PATHS_H
#define BA_LIBRARY_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Folders of a library, relative to it. */
#define BA_DIR_MASTERS "masters"
#define BA_DIR_RENDERS "renders"
#define BA_DIR_CONSENTS "consents"
#define BA_DIR_TMP "tmp"
#define BA_DIR_LOST_FOUND "lost+found" /* where verify's repair moves what does not belong */

/* Relative paths (no leading '/') of content-addressed files, written to
 * @out (@size bytes, 96 is enough for any of them); the extensions are
 * lowered.  @sha256 is 64 hex digits. */
void ba_path_master(const char *sha256, char *out, size_t size);
void ba_path_render(const char *sha256, const char *ext, char *out, size_t size);
void ba_path_consent(const char *sha256, const char *ext, char *out, size_t size);

/* LIBRARY/tmp, absolute when @library_dir is; g_free() it. */
char *ba_path_tmp_dir(const char *library_dir);

/* The mkstemp() template of an in-flight file of @kind ("ingest",
 * "consent"; lower-case letters only) in @dir:
 * "@dir/<kind>-<pid>-XXXXXX<suffix>" (@suffix may be NULL); g_free() it. */
char *ba_path_tmp_template(const char *dir, const char *kind, const char *suffix);

/* The writer's pid a temporary file name <kind>-<pid>-... carries, 0 when
 * @name is not such a name. */
int ba_path_tmp_writer(const char *name);

/* Whether the process @pid runs: ours, or one kill(pid, 0) reaches or is
 * not allowed to signal (EPERM: another user's process, alive).  Values
 * outside 1..INT_MAX are no process. */
bool ba_pid_alive(int64_t pid);

/* Whether the temporary file @name (a base name) belongs to a writer that
 * still runs: false for a dead writer's file and for names without a pid. */
bool ba_path_tmp_writer_alive(const char *name);

#endif
