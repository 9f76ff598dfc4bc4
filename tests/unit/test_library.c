/* Unit tests of the library folder's home (src/lib/library/): the layout and
 * temporary names, the one atomic placement, the errno map, the clock seam. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "../../src/lib/library/clock.h"
#include "../../src/lib/library/errors.h"
#include "../../src/lib/library/paths.h"
#include "../../src/lib/library/place.h"

#define SHA "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"

/* A fresh empty folder per test, removed after. */
static int setup(void **state)
{
    char *dir = g_dir_make_tmp("ba-library-XXXXXX", NULL);
    assert_non_null(dir);
    *state = dir;
    return 0;
}

static void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            remove_tree(p);
        else
            g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

static int teardown(void **state)
{
    char *dir = *state;
    g_chmod(dir, 0700);
    remove_tree(dir);
    g_free(dir);
    return 0;
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of @dir, sorted, joined by ',' ("" when empty); g_free() it. */
static char *listing(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, by_name);
    g_ptr_array_add(names, NULL);
    char *s = g_strjoinv(",", (char **)names->pdata);
    g_ptr_array_free(names, TRUE);
    return s;
}

static char *read_all(const char *path)
{
    char *data = NULL;
    assert_true(g_file_get_contents(path, &data, NULL, NULL));
    return data;
}

/* ---- paths ------------------------------------------------------------------ */

static void test_paths(void **state)
{
    (void)state;
    char rel[96];
    ba_path_master(SHA, rel, sizeof rel);
    assert_string_equal(rel, "masters/ab/" SHA ".jpg");
    ba_path_render(SHA, "PNG", rel, sizeof rel);
    assert_string_equal(rel, "renders/ab/" SHA ".png");
    ba_path_consent(SHA, "pdf", rel, sizeof rel);
    assert_string_equal(rel, "consents/" SHA ".pdf");
    char *tmp = ba_path_tmp_dir("/lib");
    assert_string_equal(tmp, "/lib/tmp");
    char *tmpl = ba_path_tmp_template(tmp, "ingest", ".jpg");
    char *want = g_strdup_printf("/lib/tmp/ingest-%d@%s-XXXXXX.jpg", (int)getpid(),
                                 ba_path_host());
    assert_string_equal(tmpl, want);
    g_free(want);
    g_free(tmpl);
    g_free(tmp);
}

static void test_tmp_writer(void **state)
{
    (void)state;
    assert_int_equal(ba_path_tmp_writer("ingest-123-abcdef.jpg"), 123);
    assert_int_equal(ba_path_tmp_writer("consent-77-XYZ.pdf"), 77);
    assert_int_equal(ba_path_tmp_writer("ingest-9-consent-0badf00d.png"), 9); /* older name */
    assert_int_equal(ba_path_tmp_writer("notes.txt"), 0);
    /* the hidden sibling an atomic writer makes first is that writer's */
    assert_int_equal(ba_path_tmp_writer(".ingest-1-x.tmp-abc"), 1);
    assert_int_equal(ba_path_tmp_writer(".preview-14536-AbC123.jpg.tmp-SQD8Y3"), 14536);
    assert_int_equal(ba_path_tmp_writer(".notes.tmp-abc"), 0);
    assert_int_equal(ba_path_tmp_writer("ingest--5-x"), 0);
    assert_true(ba_pid_alive(getpid()));
    assert_false(ba_pid_alive(0));
    assert_false(ba_pid_alive(-1));
    assert_false(ba_pid_alive((int64_t)G_MAXINT + 1));
    /* A child that has exited and been reaped is a dead writer. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_false(ba_pid_alive(child));
    char *mine = g_strdup_printf("ingest-%d-abc.jpg", (int)getpid());
    char *dead = g_strdup_printf("ingest-%d-abc.jpg", (int)child);
    assert_true(ba_path_tmp_writer_alive(mine));
    assert_false(ba_path_tmp_writer_alive(dead));
    assert_false(ba_path_tmp_writer_alive("stray.jpg"));
    /* With this host's name: judged by pid; with another host's: never. */
    char *dead_here = g_strdup_printf("ingest-%d@%s-abc.jpg", (int)child, ba_path_host());
    char *dead_there = g_strdup_printf("ingest-%d@not-%s-abc.jpg", (int)child, ba_path_host());
    assert_int_equal(ba_path_tmp_writer(dead_here), child);
    assert_false(ba_path_tmp_writer_alive(dead_here));
    assert_int_equal(ba_path_tmp_writer(dead_there), 0);
    assert_true(ba_path_tmp_writer_alive(dead_there));
    g_free(dead_here);
    g_free(dead_there);
    g_free(mine);
    g_free(dead);
}

/* ---- the errno map ------------------------------------------------------------ */

static void test_errno_map(void **state)
{
    (void)state;
    assert_int_equal(ba_errno_code(ENOSPC, false), BA_ERR_NOSPACE);
    assert_int_equal(ba_errno_code(EDQUOT, false), BA_ERR_NOSPACE); /* a full quota too */
    assert_int_equal(ba_errno_code(EFBIG, false), BA_ERR_NOSPACE);
    assert_int_equal(ba_errno_code(EACCES, false), BA_ERR_IO);
    assert_int_equal(ba_errno_code(EROFS, false), BA_ERR_IO);
    assert_int_equal(ba_errno_code(EPERM, false), BA_ERR_IO);
    assert_int_equal(ba_errno_code(EIO, false), BA_ERR_IO);
    assert_int_equal(ba_errno_code(ENOMEM, false), BA_ERR_NOMEM);
    assert_int_equal(ba_errno_code(EEXIST, false), BA_ERR_EXISTS);
    assert_int_equal(ba_errno_code(ENOENT, false), BA_ERR_IO);
    assert_int_equal(ba_errno_code(ENOENT, true), BA_ERR_NOT_FOUND);
    assert_int_equal(ba_errno_code(ENOTDIR, true), BA_ERR_NOT_FOUND);
    assert_int_equal(ba_errno_code(EACCES, true), BA_ERR_IO);
}

static void test_errno_messages(void **state)
{
    (void)state;
    ba_error err;
    assert_int_equal(ba_errno_cannot_write(&err, ENOSPC, "/x/out.png"), -1);
    assert_int_equal(err.code, BA_ERR_NOSPACE);
    char *want = g_strdup_printf("/x/out.png: cannot write: %s", g_strerror(ENOSPC));
    assert_string_equal(err.message, want);
    g_free(want);
    assert_int_equal(ba_errno_set_lookup(&err, ENOENT, "%s: cannot open", "a.jpg"), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(ba_errno_set(&err, ENOENT, "%s: cannot open", "a.jpg"), -1);
    assert_int_equal(err.code, BA_ERR_IO);
    /* err may be NULL. */
    assert_int_equal(ba_errno_set(NULL, EIO, "%s", "x"), -1);
    assert_int_equal(ba_errno_cannot_write(NULL, EIO, "x"), -1);
}

/* ---- placement ------------------------------------------------------------------ */

static void test_place_replace_and_hash(void **state)
{
    const char *dir = *state;
    char *target = g_build_filename(dir, "out.txt", NULL);
    assert_true(g_file_set_contents(target, "old", -1, NULL));
    char sha[65];
    bool created = false;
    ba_error err;
    assert_int_equal(ba_place_bytes(target, "new bytes", 9, NULL, 0644, BA_PLACE_REPLACE, sha,
                                    &created, &err),
                     0);
    assert_true(created);
    char *got = read_all(target);
    assert_string_equal(got, "new bytes");
    g_free(got);
    char *want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "new bytes", 9);
    assert_string_equal(sha, want);
    g_free(want);
    char *ls = listing(dir);
    assert_string_equal(ls, "out.txt"); /* no temporary file left beside it */
    g_free(ls);
    g_free(target);
}

static void test_place_never_replace(void **state)
{
    const char *dir = *state;
    char *target = g_build_filename(dir, "manifest.json", NULL);
    assert_true(g_file_set_contents(target, "theirs", -1, NULL));
    ba_error err;
    bool created = true;
    assert_int_equal(ba_place_bytes(target, "ours", 4, NULL, 0644, BA_PLACE_NEVER_REPLACE, NULL,
                                    &created, &err),
                     EEXIST);
    assert_int_equal(err.code, BA_ERR_EXISTS);
    assert_false(created);
    char *got = read_all(target);
    assert_string_equal(got, "theirs");
    g_free(got);
    char *ls = listing(dir);
    assert_string_equal(ls, "manifest.json");
    g_free(ls);
    /* A new name is placed. */
    char *other = g_build_filename(dir, "b.json", NULL);
    assert_int_equal(ba_place_bytes(other, "ours", 4, NULL, 0644, BA_PLACE_NEVER_REPLACE, NULL,
                                    &created, &err),
                     0);
    assert_true(created);
    g_free(other);
    g_free(target);
}

static void test_place_keep_existing(void **state)
{
    const char *dir = *state;
    char *tmp = g_build_filename(dir, "tmp", NULL);
    assert_int_equal(g_mkdir(tmp, 0700), 0);
    char *target = g_build_filename(dir, "kept.pdf", NULL);
    assert_true(g_file_set_contents(target, "same", -1, NULL));
    bool created = true;
    ba_error err;
    assert_int_equal(ba_place_bytes(target, "same", 4, tmp, 0600, BA_PLACE_KEEP_EXISTING, NULL,
                                    &created, &err),
                     0);
    assert_false(created);
    char *ls = listing(tmp);
    assert_string_equal(ls, ""); /* our copy was dropped */
    g_free(ls);
    g_free(target);
    g_free(tmp);
}

static void test_place_steps(void **state)
{
    const char *dir = *state;
    /* Written, then abandoned: nothing remains. */
    ba_place_file f;
    ba_error err;
    assert_int_equal(ba_place_open_in(&f, dir, "ingest", ".jpg", 0644, true, &err), 0);
    char *base = g_path_get_basename(f.tmp_path);
    char *prefix = g_strdup_printf("ingest-%d@%s-", (int)getpid(), ba_path_host());
    assert_true(g_str_has_prefix(base, prefix));
    assert_true(g_str_has_suffix(base, ".jpg"));
    g_free(prefix);
    g_free(base);
    assert_int_equal(ba_place_write(&f, "abc", 3), 0);
    ba_place_discard(&f);
    ba_place_discard(&f); /* twice is fine */
    char *ls = listing(dir);
    assert_string_equal(ls, "");
    g_free(ls);
    /* Written beside the target, finished, committed into a new folder. */
    char *target = g_build_filename(dir, "sub", "x.bin", NULL);
    assert_int_equal(ba_place_make_parent(target, 0700, &err), 0);
    assert_int_equal(ba_place_open_beside(&f, target, 0600, true, &err), 0);
    assert_int_equal(ba_place_write(&f, "abc", 3), 0);
    assert_int_equal(ba_place_write(&f, "def", 3), 0);
    assert_int_equal(ba_place_finish(&f, &err), 0);
    char *want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "abcdef", 6);
    assert_string_equal(f.sha256, want);
    g_free(want);
    bool created = false;
    assert_int_equal(ba_place_commit(&f, target, BA_PLACE_REPLACE, &created, &err), 0);
    assert_true(created);
    assert_null(f.tmp_path);
    ba_place_discard(&f);
    char *got = read_all(target);
    assert_string_equal(got, "abcdef");
    g_free(got);
    struct stat st;
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *sub = g_path_get_dirname(target);
    ls = listing(sub);
    assert_string_equal(ls, "x.bin");
    g_free(ls);
    g_free(sub);
    g_free(target);
}

static void test_place_move_missing(void **state)
{
    const char *dir = *state;
    char *from = g_build_filename(dir, "gone", NULL);
    char *to = g_build_filename(dir, "to", NULL);
    ba_error err;
    bool created = true;
    assert_int_equal(ba_place_move(from, to, BA_PLACE_REPLACE, &created, &err), ENOENT);
    assert_false(created);
    assert_int_equal(err.code, BA_ERR_IO);
    assert_non_null(strstr(err.message, ": cannot write: "));
    g_free(to);
    g_free(from);
}

/* A folder we may not write to (a read-only tmpfs as root, who ignores
 * permissions; else a 0500 folder): the placement fails, leaves nothing. */
static void test_place_readonly_leaves_nothing(void **state)
{
    const char *dir = *state;
    char *ro = g_build_filename(dir, "ro", NULL);
    assert_int_equal(g_mkdir(ro, 0700), 0);
    int want_errno = EACCES;
    bool mounted = false;
    if (geteuid() == 0) {
        if (mount("tmpfs", ro, "tmpfs", MS_RDONLY, "size=64k") != 0) {
            print_message("skipped: root, and no read-only tmpfs: %s\n", g_strerror(errno));
            g_free(ro);
            skip();
        }
        mounted = true;
        want_errno = EROFS;
    } else {
        assert_int_equal(g_chmod(ro, 0500), 0);
    }
    char *target = g_build_filename(ro, "out.png", NULL);
    ba_error err;
    int e = ba_place_bytes(target, "x", 1, NULL, 0644, BA_PLACE_REPLACE, NULL, NULL, &err);
    char *ls = listing(ro);
    if (mounted)
        umount(ro);
    g_chmod(ro, 0700);
    assert_int_equal(e, want_errno);
    assert_int_equal(err.code, BA_ERR_IO);
    char *want = g_strdup_printf("%s: cannot write: %s", target, g_strerror(want_errno));
    assert_string_equal(err.message, want);
    g_free(want);
    assert_string_equal(ls, "");
    g_free(ls);
    g_free(target);
    g_free(ro);
}

/* A full file system (a 64 KiB tmpfs, when we may mount one): the write
 * fails with BA_ERR_NOSPACE, the old file stays and no temporary is left. */
static void test_place_nospace_leaves_nothing(void **state)
{
    const char *dir = *state;
    char *mnt = g_build_filename(dir, "small", NULL);
    assert_int_equal(g_mkdir(mnt, 0700), 0);
    if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
        print_message("skipped: cannot mount a small tmpfs here (needs root): %s\n",
                      g_strerror(errno));
        g_free(mnt);
        skip();
    }
    char *target = g_build_filename(mnt, "out.bin", NULL);
    assert_true(g_file_set_contents(target, "old", -1, NULL));
    size_t len = 1 << 20;
    char *big = g_malloc0(len);
    ba_error err;
    int e = ba_place_bytes(target, big, len, NULL, 0644, BA_PLACE_REPLACE, NULL, NULL, &err);
    g_free(big);
    char *got = read_all(target);
    char *ls = listing(mnt);
    umount(mnt);
    assert_int_equal(e, ENOSPC);
    assert_int_equal(err.code, BA_ERR_NOSPACE);
    assert_string_equal(got, "old");
    assert_string_equal(ls, "out.bin");
    g_free(ls);
    g_free(got);
    g_free(target);
    g_free(mnt);
}

/* ---- the clock ------------------------------------------------------------------ */

static bool is_stamp(const char *s)
{
    return g_regex_match_simple("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", s, 0,
                                0);
}

static void test_clock(void **state)
{
    (void)state;
    char s[32];
    g_unsetenv("BA_TEST_NOW");
    ba_clock_utc_stamp(s, sizeof s);
    assert_true(is_stamp(s));
    assert_true(strcmp(s, "2026-01-01T00:00:00Z") > 0);

    /* The seam: frozen in test builds (an offset is converted to UTC),
     * never read in release builds. */
    g_setenv("BA_TEST_NOW", "2030-03-01T12:34:56+01:00", TRUE);
    ba_clock_utc_stamp(s, sizeof s);
    GDateTime *now = ba_clock_now_utc();
    if (ba_clock_has_test_seam()) {
        assert_string_equal(s, "2030-03-01T11:34:56Z");
        assert_int_equal(g_date_time_get_hour(now), 11);
    } else {
        print_message("release build: BA_TEST_NOW is not read\n");
        assert_string_not_equal(s, "2030-03-01T11:34:56Z");
    }
    g_date_time_unref(now);
    /* What does not parse freezes nothing. */
    g_setenv("BA_TEST_NOW", "yesterday", TRUE);
    ba_clock_utc_stamp(s, sizeof s);
    assert_true(is_stamp(s));
    assert_string_not_equal(s, "2030-03-01T11:34:56Z");
    g_unsetenv("BA_TEST_NOW");
}

/* "Today" and the catalog's row stamps come from the same clock: a frozen
 * clock moves them, seen in the library's own time zone. */
static void test_frozen_clock_drives_today(void **state)
{
    (void)state;
    if (!ba_clock_has_test_seam()) {
        print_message("release build: BA_TEST_NOW is not read\n");
        return;
    }
    char *dir = NULL;
    ba_catalog *cat = tu_library(&dir);
    ba_error err;
    char day[BA_DATE_MAX];
    g_setenv("BA_TEST_NOW", "2031-05-06T23:30:00Z", TRUE);
    assert_int_equal(ba_catalog_timezone_set(cat, "UTC", &err), 0);
    ba_catalog_today(cat, day);
    assert_string_equal(day, "2031-05-06");
    assert_int_equal(ba_catalog_timezone_set(cat, "Pacific/Kiritimati", &err), 0); /* UTC+14 */
    ba_catalog_today(cat, day);
    assert_string_equal(day, "2031-05-07");
    g_unsetenv("BA_TEST_NOW");
    ba_catalog_close(cat);
    tu_rmtree(dir);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_tmp_writer),
        cmocka_unit_test(test_errno_map),
        cmocka_unit_test(test_errno_messages),
        cmocka_unit_test_setup_teardown(test_place_replace_and_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_never_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_keep_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_move_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_readonly_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_nospace_leaves_nothing, setup, teardown),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_frozen_clock_drives_today),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
