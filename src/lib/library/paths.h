/* Internal: the layout of a library folder, in one place.
 *
 *   LIBRARY/catalog.db
 *   LIBRARY/masters/ab/<sha256>.jpg    content-addressed masters
 *   LIBRARY/renders/ab/<sha256>.<ext>  content-addressed comparison outputs
 *   LIBRARY/consents/<sha256>.<ext>    consent evidence
 *   LIBRARY/logos/ab/<sha256>.png      logos of comparisons (alpha kept, no metadata)
 *   LIBRARY/tmp/<kind>-<pid>-XXXXXX... in-flight files, same file system
 *   LIBRARY/keys/export-ed25519.key    the key that signs exports (.pub beside it)
 *   LIBRARY/lost+found/...             what verify --repair moved out of the way
 *
 * The <pid> in a temporary name is what lets any later process tell a file
 * a live writer is still filling from one a killed writer left behind; the
 * <host> beside it (<kind>-<pid>@<host>-...) keeps a library on a shared file
 * system from being swept by another machine's view of pids: a file of
 * another host is never judged.
 *
 * Private by default: every folder of a library is created BA_MODE_DIR and
 * every file BA_MODE_FILE (the process umask may only take more away). */
#ifndef BA_LIBRARY_PATHS_H
#define BA_LIBRARY_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Folders of a library, relative to it. */
#define BA_DIR_MASTERS "masters"
#define BA_DIR_RENDERS "renders"
#define BA_DIR_CONSENTS "consents"
#define BA_DIR_LOGOS "logos"
#define BA_DIR_TMP "tmp"
#define BA_DIR_PREVIEWS "previews" /* screen copies of masters: previews/<edge>/ab/<sha>.jpg */
#define BA_DIR_LOST_FOUND "lost+found" /* where verify's repair moves what does not belong */
#define BA_DIR_KEYS "keys" /* the library's own signing key (consent/signature.c) */
/* The Ed25519 key that signs every export's manifest: the secret key (and the
 * public key derived from it), base64 text, created once and never replaced. */
#define BA_PATH_EXPORT_KEY BA_DIR_KEYS "/export-ed25519.key"
#define BA_PATH_EXPORT_PUB BA_DIR_KEYS "/export-ed25519.pub"

/* Modes of what a library holds: readable by its owner only. */
#define BA_MODE_DIR 0700
#define BA_MODE_FILE 0600

/* Relative paths (no leading '/') of content-addressed files, written to
 * @out (@size bytes, 96 is enough for any of them); the extensions are
 * lowered.  @sha256 is 64 hex digits. */
void ba_path_master(const char *sha256, char *out, size_t size);
void ba_path_render(const char *sha256, const char *ext, char *out, size_t size);
void ba_path_consent(const char *sha256, const char *ext, char *out, size_t size);
void ba_path_logo(const char *sha256, char *out, size_t size);

/* LIBRARY/previews/<edge>/ab/<sha256>.jpg: a preview of the master @sha256
 * whose long edge is @edge px; g_free() it. */
char *ba_path_preview(const char *library_dir, const char *sha256, int edge);

/* Remove every preview of the master @sha256 (of any size); how many went. */
int ba_path_previews_remove(const char *library_dir, const char *sha256);

/* LIBRARY/tmp, absolute when @library_dir is; g_free() it. */
char *ba_path_tmp_dir(const char *library_dir);

/* The mkstemp() template of an in-flight file of @kind ("ingest",
 * "consent"; lower-case letters only) in @dir:
 * "@dir/<kind>-<pid>@<host>-XXXXXX<suffix>" (@suffix may be NULL; <host> is
 * ba_path_host()); g_free() it. */
char *ba_path_tmp_template(const char *dir, const char *kind, const char *suffix);

/* This machine's name as temporary names carry it: letters, digits and '.'
 * only (others become '_'), at most 63 bytes. */
const char *ba_path_host(void);

/* The writer's pid a temporary file name <kind>-<pid>[@<host>]-... carries,
 * 0 when @name is not such a name or names another host (whose pids this
 * machine cannot see). */
int ba_path_tmp_writer(const char *name);

/* Whether the process @pid runs: ours, or one kill(pid, 0) reaches or is
 * not allowed to signal (EPERM: another user's process, alive).  Values
 * outside 1..INT_MAX are no process. */
bool ba_pid_alive(int64_t pid);

/* Whether the temporary file @name (a base name) belongs to a writer that
 * still runs: false for a dead writer's file and for names without a pid;
 * true for a file of another host (never ours to judge). */
bool ba_path_tmp_writer_alive(const char *name);

/* Remove LIBRARY/tmp/<kind>-<pid>-... files of writers of this host that no
 * longer run (export notes, export-<pid>-..., excepted: they name the
 * temporary folder an export left in its destination, which the consent
 * side removes with them).  Run by every process that opens a library for
 * writing, so a kill -9 leaves nothing behind once anyone writes again.
 * Returns how many files were removed; their names are kept for
 * ba_library_swept() so that verify can still report what it found. */
int ba_library_sweep_tmp(const char *library_dir);

/* Call @fn with the base name of every file ba_library_sweep_tmp() removed
 * from @library_dir's tmp/ in this process. */
void ba_library_swept(const char *library_dir, void (*fn)(const char *name, void *ud), void *ud);

#endif
