/* Unit tests of batch/: CSV manifests, folder walks, the jobs limit and the
 * parallel ingest engine (same catalog whatever the jobs, per-input failures,
 * cancel). */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

/* Parse @csv (a C string) against base "/base"; asserts the call's outcome. */
static void parse_ok(const char *csv, ba_batch_list *out)
{
    ba_error err;
    ba_batch_list_init(out);
    if (ba_batch_parse_manifest(csv, strlen(csv), "m.csv", "/base", out, &err) != 0)
        fail_msg("parse failed: %s", err.message);
}

static void parse_fails(const char *csv, size_t len, ba_error *err)
{
    ba_batch_list out;
    ba_batch_list_init(&out);
    assert_int_equal(ba_batch_parse_manifest(csv, len, "m.csv", "/base", &out, err), -1);
    assert_int_equal(err->code, BA_ERR_USAGE);
    /* A manifest that fails adds nothing. */
    assert_int_equal(out.count, 0);
    ba_batch_list_clear(&out);
}

static void expect_str(const char *got, const char *want)
{
    if (!want)
        assert_null(got);
    else
        assert_string_equal(got, want);
}

/* Create @rel (with its folders) below @root, holding @content. */
static char *put_file(const char *root, const char *rel, const char *content)
{
    char *p = g_build_filename(root, rel, NULL);
    char *d = g_path_get_dirname(p);
    assert_int_equal(g_mkdir_with_parents(d, 0700), 0);
    assert_true(g_file_set_contents(p, content, -1, NULL));
    g_free(d);
    return p;
}

/* The item of @list whose file ends in @suffix, or fail. */
static const ba_batch_item *item_ending(const ba_batch_list *list, const char *suffix)
{
    for (size_t i = 0; i < list->count; i++)
        if (g_str_has_suffix(list->items[i].file, suffix))
            return &list->items[i];
    fail_msg("no item ends in %s", suffix);
    return NULL;
}

/* ---- manifests: columns ------------------------------------------------- */

static void test_manifest_columns_by_name_in_any_order(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("treatment,view,area,date,client,stage,file\n"
             "laser,left-45,cheeks,2026-01-02,C-1,before,a.jpg\n",
             &l);
    assert_int_equal(l.count, 1);
    const ba_batch_item *it = &l.items[0];
    assert_null(it->error);
    assert_string_equal(it->file, "/base/a.jpg");
    assert_string_equal(it->client, "C-1");
    assert_string_equal(it->area, "cheeks");
    assert_string_equal(it->stage, "before");
    assert_string_equal(it->date, "2026-01-02");
    assert_string_equal(it->view, "left-45");
    assert_string_equal(it->treatment, "laser");
    assert_int_equal(it->row, 2);
    ba_batch_list_clear(&l);
}

static void test_manifest_header_names_ignore_case_and_spaces(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok(" File , CLIENT,Area\na.jpg,C-1,cheeks\n", &l);
    assert_int_equal(l.count, 1);
    assert_null(l.items[0].error);
    assert_string_equal(l.items[0].client, "C-1");
    ba_batch_list_clear(&l);
}

static void test_manifest_optional_columns_absent_are_null(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\na.jpg,C-1,cheeks\n", &l);
    assert_int_equal(l.count, 1);
    const ba_batch_item *it = &l.items[0];
    assert_null(it->stage);
    assert_null(it->date);
    assert_null(it->view);
    assert_null(it->treatment);
    ba_batch_list_clear(&l);
}

static void test_manifest_empty_optional_field_is_null_default(void **state)
{
    (void)state;
    ba_batch_list l;
    /* An empty (or blank) optional field takes the batch default, not "". */
    parse_ok("file,client,area,stage,date\na.jpg,C-1,cheeks,,  \n", &l);
    assert_int_equal(l.count, 1);
    assert_null(l.items[0].error);
    assert_null(l.items[0].stage);
    assert_null(l.items[0].date);
    ba_batch_list_clear(&l);
}

static void test_manifest_unknown_columns_are_ignored(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("notes,file,client,extra,area\n\"x, y\",a.jpg,C-1,42,cheeks\n", &l);
    assert_int_equal(l.count, 1);
    const ba_batch_item *it = &l.items[0];
    assert_null(it->error);
    assert_string_equal(it->file, "/base/a.jpg");
    assert_string_equal(it->client, "C-1");
    assert_string_equal(it->area, "cheeks");
    ba_batch_list_clear(&l);
}

static void test_manifest_missing_required_column_fails_naming_it(void **state)
{
    (void)state;
    static const char *const csv[] = {"client,area\nC-1,cheeks\n", "file,area\na.jpg,cheeks\n",
                                      "file,client,stage\na.jpg,C-1,before\n"};
    static const char *const missing[] = {"'file'", "'client'", "'area'"};
    for (size_t i = 0; i < G_N_ELEMENTS(csv); i++) {
        ba_error err;
        parse_fails(csv[i], strlen(csv[i]), &err);
        assert_non_null(strstr(err.message, missing[i]));
        assert_non_null(strstr(err.message, "m.csv"));
    }
}

static void test_manifest_duplicate_column_fails(void **state)
{
    (void)state;
    ba_error err;
    const char *csv = "file,client,area,Client\na.jpg,C-1,cheeks,C-2\n";
    parse_fails(csv, strlen(csv), &err);
    assert_non_null(strstr(err.message, "'client' appears twice"));
}

static void test_manifest_over_64_columns_fails(void **state)
{
    (void)state;
    GString *csv = g_string_new("file,client,area");
    for (int i = 0; i < 62; i++)
        g_string_append_printf(csv, ",x%d", i);
    g_string_append(csv, "\n");
    ba_error err;
    parse_fails(csv->str, csv->len, &err);
    assert_non_null(strstr(err.message, "too many columns"));
    g_string_free(csv, TRUE);
}

static void test_manifest_exactly_64_columns_is_accepted(void **state)
{
    (void)state;
    GString *csv = g_string_new("file,client,area");
    for (int i = 0; i < 61; i++)
        g_string_append_printf(csv, ",x%d", i);
    g_string_append(csv, "\na.jpg,C-1,cheeks");
    for (int i = 0; i < 61; i++)
        g_string_append(csv, ",v");
    g_string_append(csv, "\n");
    ba_batch_list l;
    parse_ok(csv->str, &l);
    assert_int_equal(l.count, 1);
    assert_null(l.items[0].error);
    ba_batch_list_clear(&l);
    g_string_free(csv, TRUE);
}

/* ---- manifests: encoding and quoting ------------------------------------ */

static void test_manifest_byte_order_mark_before_header(void **state)
{
    (void)state;
    ba_batch_list l;
    /* Excel's "CSV UTF-8" starts with EF BB BF. */
    parse_ok("\xef\xbb\xbf" "file,client,area\na.jpg,C-1,cheeks\n", &l);
    assert_int_equal(l.count, 1);
    assert_null(l.items[0].error);
    assert_string_equal(l.items[0].file, "/base/a.jpg");
    ba_batch_list_clear(&l);
}

static void test_manifest_byte_order_mark_before_a_quoted_header(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("\xef\xbb\xbf\"file\",\"client\",\"area\"\n\"a.jpg\",\"C-1\",\"cheeks\"\n", &l);
    assert_int_equal(l.count, 1);
    assert_null(l.items[0].error);
    assert_string_equal(l.items[0].file, "/base/a.jpg");
    ba_batch_list_clear(&l);
}

static void test_manifest_nul_byte_is_an_error_of_that_row_only(void **state)
{
    (void)state;
    ba_batch_list l;
    static const char csv[] = "file,client,area\na.jpg\0../x,C-1,cheeks\nb.jpg,C-1,cheeks\n";
    ba_error err;
    ba_batch_list_init(&l);
    assert_int_equal(ba_batch_parse_manifest(csv, sizeof csv - 1, "m.csv", "/base", &l, &err), 0);
    assert_int_equal(l.count, 2);
    assert_non_null(l.items[0].error);
    assert_non_null(strstr(l.items[0].error, ":2: a field holds a NUL byte"));
    assert_null(l.items[1].error);
    ba_batch_list_clear(&l);
}

static void test_manifest_rfc4180_quoted_commas_quotes_and_newlines(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area,treatment\n"
             "\"a, b.jpg\",\"C-\"\"1\"\"\",cheeks,\"two\nlines\"\n"
             "c.jpg,C-2,neck,\"\"\n",
             &l);
    assert_int_equal(l.count, 2);
    assert_null(l.items[0].error);
    assert_string_equal(l.items[0].file, "/base/a, b.jpg");
    assert_string_equal(l.items[0].client, "C-\"1\"");
    assert_string_equal(l.items[0].treatment, "two\nlines");
    /* The quoted newline does not start a record, but it is a line: the
     * row is named by the line it starts on, as an editor shows it. */
    assert_int_equal(l.items[1].row, 4);
    assert_string_equal(l.items[1].client, "C-2");
    assert_null(l.items[1].treatment);
    ba_batch_list_clear(&l);
}

static void test_manifest_crlf_line_ends_leave_no_carriage_return(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\r\na.jpg,C-1,cheeks\r\nb.jpg,C-2,neck\r\n", &l);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].area, "cheeks");
    assert_string_equal(l.items[1].area, "neck");
    assert_int_equal(l.items[1].row, 3);
    ba_batch_list_clear(&l);
}

static void test_manifest_last_row_without_newline_is_read(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\na.jpg,C-1,cheeks", &l);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].area, "cheeks");
    ba_batch_list_clear(&l);
}

static void test_manifest_blank_lines_are_not_rows(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\n\na.jpg,C-1,cheeks\n\n\nb.jpg,C-1,neck\n\n", &l);
    assert_int_equal(l.count, 2);
    assert_null(l.items[0].error);
    assert_null(l.items[1].error);
    ba_batch_list_clear(&l);
}

static void test_manifest_unterminated_quote_fails_whole_manifest(void **state)
{
    (void)state;
    ba_error err;
    const char *csv = "file,client,area\na.jpg,C-1,cheeks\n\"b.jpg,C-1,neck\n";
    parse_fails(csv, strlen(csv), &err);
    assert_non_null(strstr(err.message, "malformed CSV"));
}

static void test_manifest_quote_inside_unquoted_field_fails(void **state)
{
    (void)state;
    ba_error err;
    /* Strict RFC 4180: a quote may only open a field. */
    const char *csv = "file,client,area\na\"b.jpg,C-1,cheeks\n";
    parse_fails(csv, strlen(csv), &err);
    assert_non_null(strstr(err.message, "malformed CSV"));
}

static void test_manifest_invalid_utf8_is_an_error_of_that_row_only(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\na.jpg,C-1,cheeks\nb\xff\xfe.jpg,C-1,cheeks\n"
             "c.jpg,C-\xc3(,neck\nd.jpg,C-1,neck\n",
             &l);
    assert_int_equal(l.count, 4);
    assert_null(l.items[0].error);
    assert_non_null(l.items[1].error);
    assert_non_null(strstr(l.items[1].error, ":3: not valid UTF-8"));
    assert_non_null(strstr(l.items[2].error, ":4: not valid UTF-8"));
    /* The bad bytes are not handed on: no client, and a printable stand-in name. */
    assert_null(l.items[2].client);
    assert_true(g_utf8_validate(l.items[1].file, -1, NULL));
    assert_null(l.items[3].error);
    assert_string_equal(l.items[3].file, "/base/d.jpg");
    ba_batch_list_clear(&l);
}

static void test_manifest_very_long_fields_are_kept_whole(void **state)
{
    (void)state;
    enum { LONG = 200000 };
    char *name = g_malloc(LONG + 1);
    memset(name, 'n', LONG);
    name[LONG] = '\0';
    char *csv = g_strdup_printf("file,client,area,treatment\n%s.jpg,C-1,cheeks,\"%s\"\n", name,
                                name);
    ba_batch_list l;
    parse_ok(csv, &l);
    assert_int_equal(l.count, 1);
    assert_null(l.items[0].error);
    assert_int_equal(strlen(l.items[0].file), strlen("/base/") + LONG + 4);
    assert_int_equal(strlen(l.items[0].treatment), LONG);
    assert_memory_equal(l.items[0].treatment, name, LONG);
    ba_batch_list_clear(&l);
    g_free(csv);
    g_free(name);
}

/* ---- manifests: rows ---------------------------------------------------- */

/* A row is named by the physical line it starts on, as an editor shows it:
 * blank lines (libcsv skips them) and a quoted field's newlines counted. */
static void test_manifest_rows_are_physical_line_numbers(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("\n"
             "file,client,area,treatment\r\n"
             "a.jpg,C-1,cheeks,\r\n"
             "\r\n"
             "\n"
             "b.jpg,C-1,cheeks,\"two\nlines\"\n"
             "c.jpg,,cheeks,\n"
             "\n",
             &l);
    assert_int_equal(l.count, 3);
    assert_int_equal(l.items[0].row, 3);
    assert_int_equal(l.items[1].row, 6);
    assert_string_equal(l.items[1].treatment, "two\nlines");
    assert_int_equal(l.items[2].row, 8);
    assert_non_null(strstr(l.items[2].error, "m.csv:8: empty 'client'"));
    ba_batch_list_clear(&l);
}

static void test_manifest_wrong_field_count_is_an_error_of_that_row_only(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\n"
             "a.jpg,C-1,cheeks\n"
             "b.jpg,C-1,cheeks,extra\n"
             "c.jpg,C-1\n"
             "d.jpg,C-1,neck\n",
             &l);
    assert_int_equal(l.count, 4);
    assert_null(l.items[0].error);
    assert_non_null(strstr(l.items[1].error, "m.csv:3: 4 fields where the header has 3"));
    assert_non_null(strstr(l.items[2].error, "m.csv:4: 2 fields where the header has 3"));
    assert_int_equal(l.items[1].row, 3);
    assert_int_equal(l.items[2].row, 4);
    /* A bad row keeps no fields, only a stand-in name for reports. */
    assert_null(l.items[1].client);
    assert_string_equal(l.items[1].file, "m.csv:3");
    assert_null(l.items[3].error);
    assert_string_equal(l.items[3].area, "neck");
    assert_int_equal(l.items[3].row, 5);
    ba_batch_list_clear(&l);
}

static void test_manifest_empty_required_field_is_a_row_error(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\n,C-1,cheeks\na.jpg,  ,cheeks\nb.jpg,C-1,\n", &l);
    assert_int_equal(l.count, 3);
    assert_non_null(strstr(l.items[0].error, ":2: empty 'file'"));
    assert_string_equal(l.items[0].file, "m.csv:2");
    assert_non_null(strstr(l.items[1].error, ":3: empty 'client'"));
    assert_non_null(strstr(l.items[2].error, ":4: empty 'area'"));
    ba_batch_list_clear(&l);
}

static void test_manifest_fields_are_trimmed(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\n  a.jpg , C-1\t,\" cheeks \"\n", &l);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].file, "/base/a.jpg");
    assert_string_equal(l.items[0].client, "C-1");
    assert_string_equal(l.items[0].area, "cheeks");
    ba_batch_list_clear(&l);
}

static void test_manifest_empty_is_an_error(void **state)
{
    (void)state;
    static const char *const empty[] = {"", "\n\n", "\xef\xbb\xbf"};
    for (size_t i = 0; i < G_N_ELEMENTS(empty); i++) {
        ba_error err;
        parse_fails(empty[i], strlen(empty[i]), &err);
        /* A BOM alone is a header with no columns: "no 'file' column". */
        assert_true(strstr(err.message, "empty manifest") || strstr(err.message, "'file'"));
    }
}

static void test_manifest_header_only_gives_no_items(void **state)
{
    (void)state;
    ba_batch_list l;
    parse_ok("file,client,area\n", &l);
    assert_int_equal(l.count, 0);
    ba_batch_list_clear(&l);
}

static void test_manifest_appends_and_a_failure_keeps_earlier_items(void **state)
{
    (void)state;
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_batch_list_add_file(&l, "/x/first.jpg");
    ba_error err;
    const char *good = "file,client,area\na.jpg,C-1,cheeks\n";
    assert_int_equal(ba_batch_parse_manifest(good, strlen(good), "m", "/b", &l, &err), 0);
    /* A manifest failing after some rows rolls back only its own rows. */
    const char *bad = "file,client,area\nb.jpg,C-1,cheeks\n\"c.jpg,C-1,cheeks\n";
    assert_int_equal(ba_batch_parse_manifest(bad, strlen(bad), "m2", "/b", &l, &err), -1);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].file, "/x/first.jpg");
    assert_string_equal(l.items[1].file, "/b/a.jpg");
    ba_batch_list_clear(&l);
    assert_int_equal(l.count, 0);
    assert_null(l.items);
}

static void test_manifest_many_rows_grow_the_list(void **state)
{
    (void)state;
    GString *csv = g_string_new("file,client,area\n");
    for (int i = 0; i < 1000; i++)
        g_string_append_printf(csv, "p%04d.jpg,C-1,cheeks\n", i);
    ba_batch_list l;
    parse_ok(csv->str, &l);
    assert_int_equal(l.count, 1000);
    assert_string_equal(l.items[999].file, "/base/p0999.jpg");
    assert_int_equal(l.items[999].row, 1001);
    ba_batch_list_clear(&l);
    g_string_free(csv, TRUE);
}

/* ---- manifests: paths --------------------------------------------------- */

static void test_manifest_relative_paths_resolve_against_manifest_folder(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    char *m = put_file(tmp, "sub/m.csv",
                       "file,client,area\na.jpg,C-1,cheeks\nx/b.jpg,C-1,cheeks\n"
                       "/abs/c.jpg,C-1,cheeks\n../d.jpg,C-1,cheeks\n");
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_read_manifest(m, &l, &err), 0);
    assert_int_equal(l.count, 4);
    char *want_a = g_build_filename(tmp, "sub", "a.jpg", NULL);
    char *want_b = g_build_filename(tmp, "sub", "x", "b.jpg", NULL);
    char *want_d = g_build_filename(tmp, "sub", "..", "d.jpg", NULL);
    assert_string_equal(l.items[0].file, want_a);
    assert_string_equal(l.items[1].file, want_b);
    assert_string_equal(l.items[2].file, "/abs/c.jpg");
    assert_string_equal(l.items[3].file, want_d);
    ba_batch_list_clear(&l);
    g_free(want_a);
    g_free(want_b);
    g_free(want_d);
    g_free(m);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_manifest_given_relative_resolves_against_its_relative_folder(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    char *m = put_file(tmp, "sub/m.csv", "file,client,area\na.jpg,C-1,cheeks\n");
    char *cwd = g_get_current_dir();
    assert_int_equal(chdir(tmp), 0);
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    int rc = ba_batch_read_manifest("sub/m.csv", &l, &err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].file, "sub/a.jpg");
    ba_batch_list_clear(&l);
    g_free(cwd);
    g_free(m);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_manifest_unreadable_file_is_not_found(void **state)
{
    (void)state;
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_read_manifest("/nonexistent/m.csv", &l, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/m.csv"));
    assert_int_equal(l.count, 0);
}

/* ---- folder walks ------------------------------------------------------- */

static void test_scan_layout_fills_fields_from_folder_names(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "C-1/cheeks/2026-01-02/before/b.jpg", "x"));
    g_free(put_file(tmp, "C-1/cheeks/2026-01-02/before/a.JPG", "x"));
    g_free(put_file(tmp, "C-1/neck/2026-03-04/after/c.png", "x"));
    g_free(put_file(tmp, "C-2/cheeks/2026-02-02/progress/d.webp", "x"));
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder(tmp, "{client}/{area}/{date}/{stage}", &l, &err), 0);
    assert_int_equal(l.count, 4);
    /* Sorted by path, byte order. */
    assert_true(g_str_has_suffix(l.items[0].file, "/C-1/cheeks/2026-01-02/before/a.JPG"));
    assert_true(g_str_has_suffix(l.items[1].file, "/before/b.jpg"));
    assert_true(g_str_has_suffix(l.items[2].file, "/C-1/neck/2026-03-04/after/c.png"));
    assert_true(g_str_has_suffix(l.items[3].file, "/C-2/cheeks/2026-02-02/progress/d.webp"));
    for (size_t i = 0; i < l.count; i++) {
        assert_null(l.items[i].error);
        assert_true(g_str_has_prefix(l.items[i].file, tmp));
        assert_int_equal(l.items[i].row, 0);
        assert_null(l.items[i].view);
    }
    const ba_batch_item *c = &l.items[2];
    expect_str(c->client, "C-1");
    expect_str(c->area, "neck");
    expect_str(c->date, "2026-03-04");
    expect_str(c->stage, "after");
    expect_str(l.items[3].client, "C-2");
    ba_batch_list_clear(&l);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_other_layouts_and_literal_folders(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "C-1/photos/frontal/a.jpg", "x"));
    g_free(put_file(tmp, "C-1/scans/frontal/b.jpg", "x"));
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    /* Empty components ("//", leading or trailing '/') are ignored. */
    assert_int_equal(ba_batch_scan_folder(tmp, "/{client}//photos/{view}/", &l, &err), 0);
    assert_int_equal(l.count, 2);
    const ba_batch_item *a = item_ending(&l, "a.jpg");
    assert_null(a->error);
    expect_str(a->client, "C-1");
    expect_str(a->view, "frontal");
    expect_str(a->area, NULL);
    const ba_batch_item *b = item_ending(&l, "b.jpg");
    assert_non_null(b->error);
    assert_non_null(strstr(b->error, "folder 'scans' where the layout says 'photos'"));
    ba_batch_list_clear(&l);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_treatment_placeholder(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "laser/C-9/a.jpg", "x"));
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder(tmp, "{treatment}/{client}", &l, &err), 0);
    assert_int_equal(l.count, 1);
    expect_str(l.items[0].treatment, "laser");
    expect_str(l.items[0].client, "C-9");
    ba_batch_list_clear(&l);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_files_at_another_depth_are_item_errors(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "C-1/cheeks/2026-01-02/before/ok.jpg", "x"));
    g_free(put_file(tmp, "C-1/cheeks/shallow.jpg", "x"));
    g_free(put_file(tmp, "top.jpg", "x"));
    g_free(put_file(tmp, "C-1/cheeks/2026-01-02/before/extra/deep.jpg", "x"));
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder(tmp, "{client}/{area}/{date}/{stage}", &l, &err), 0);
    assert_int_equal(l.count, 4);
    assert_null(item_ending(&l, "ok.jpg")->error);
    static const char *const bad[] = {"shallow.jpg", "top.jpg", "deep.jpg"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        const ba_batch_item *it = item_ending(&l, bad[i]);
        assert_non_null(it->error);
        assert_non_null(strstr(it->error, "does not match the layout"));
        /* No field is taken from a folder that does not match. */
        assert_null(it->client);
    }
    ba_batch_list_clear(&l);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_empty_layout_takes_only_top_level_files(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "a.jpg", "x"));
    g_free(put_file(tmp, "sub/b.jpg", "x"));
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder(tmp, NULL, &l, &err), 0);
    assert_int_equal(l.count, 2);
    assert_null(item_ending(&l, "/a.jpg")->error);
    assert_non_null(item_ending(&l, "/b.jpg")->error);
    ba_batch_list_clear(&l);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_skips_hidden_entries_and_non_images(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "a.jpeg", "x"));
    g_free(put_file(tmp, "b.TIFF", "x"));
    g_free(put_file(tmp, "c.heic", "x"));
    g_free(put_file(tmp, "d.HEIF", "x"));
    g_free(put_file(tmp, "e.tif", "x"));
    g_free(put_file(tmp, ".hidden.jpg", "x"));
    g_free(put_file(tmp, "._a.jpeg", "x"));            /* macOS resource fork */
    g_free(put_file(tmp, ".thumbs/t.jpg", "x"));       /* hidden folder: not entered */
    g_free(put_file(tmp, "notes.txt", "x"));
    g_free(put_file(tmp, "scan.pdf", "x"));
    g_free(put_file(tmp, "jpg", "x"));                 /* no extension */
    g_free(put_file(tmp, "a.jpg.bak", "x"));
    g_free(put_file(tmp, "Thumbs.db", "x"));
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder(tmp, "", &l, &err), 0);
    assert_int_equal(l.count, 5);
    static const char *const want[] = {"/a.jpeg", "/b.TIFF", "/c.heic", "/d.HEIF", "/e.tif"};
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        assert_true(g_str_has_suffix(l.items[i].file, want[i]));
        assert_null(l.items[i].error);
    }
    ba_batch_list_clear(&l);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_symlinked_files_listed_symlinked_folders_not_followed(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    char *outside = tu_tmpdir();
    char *target = put_file(outside, "C-1/real.jpg", "x");
    char *outdir = g_build_filename(outside, "C-1", NULL);
    g_free(put_file(tmp, "C-1/own.jpg", "x"));
    char *flink = g_build_filename(tmp, "C-1", "linked.jpg", NULL);
    char *dlink = g_build_filename(tmp, "C-2", NULL);
    char *broken = g_build_filename(tmp, "C-1", "broken.jpg", NULL);
    assert_int_equal(symlink(target, flink), 0);
    assert_int_equal(symlink(outdir, dlink), 0); /* would give C-2/real.jpg if followed */
    assert_int_equal(symlink("/nonexistent/x.jpg", broken), 0);
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder(tmp, "{client}", &l, &err), 0);
    /* A link to a file is a photo like any other (ingest reads its target);
     * a dangling one too (it fails when ingested); a linked folder is skipped. */
    assert_int_equal(l.count, 3);
    assert_true(g_str_has_suffix(l.items[0].file, "/C-1/broken.jpg"));
    assert_true(g_str_has_suffix(l.items[1].file, "/C-1/linked.jpg"));
    assert_true(g_str_has_suffix(l.items[2].file, "/C-1/own.jpg"));
    for (size_t i = 0; i < l.count; i++)
        expect_str(l.items[i].client, "C-1");
    ba_batch_list_clear(&l);
    g_free(flink);
    g_free(dlink);
    g_free(broken);
    g_free(target);
    g_free(outdir);
    tu_rmtree(tmp);
    tu_rmtree(outside);
    g_free(tmp);
    g_free(outside);
}

static void test_scan_non_utf8_folder_name_gives_valid_utf8_field(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "C\xff" "1/a.jpg", "x"));
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder(tmp, "{client}", &l, &err), 0);
    assert_int_equal(l.count, 1);
    assert_non_null(l.items[0].client);
    assert_true(g_utf8_validate(l.items[0].client, -1, NULL));
    ba_batch_list_clear(&l);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_unknown_placeholder_is_usage(void **state)
{
    (void)state;
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "C-1/a.jpg", "x"));
    static const char *const bad[] = {"{patient}", "{client", "{}", "{client}/{", "x/{area}}"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ba_batch_list l;
        ba_batch_list_init(&l);
        ba_error err;
        assert_int_equal(ba_batch_scan_folder(tmp, bad[i], &l, &err), -1);
        assert_int_equal(err.code, BA_ERR_USAGE);
        assert_int_equal(l.count, 0);
    }
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_unreadable_subfolder_fails_the_whole_walk(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads a 0000 folder */
    char *tmp = tu_tmpdir();
    g_free(put_file(tmp, "C-1/a.jpg", "x"));
    g_free(put_file(tmp, "C-2/b.jpg", "x"));
    char *locked = g_build_filename(tmp, "C-2", NULL);
    assert_int_equal(g_chmod(locked, 0), 0);
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    /* Not a partial list that silently misses C-2's photos: an error naming it. */
    int rc = ba_batch_scan_folder(tmp, "{client}", &l, &err);
    g_chmod(locked, 0700);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "C-2"));
    assert_int_equal(l.count, 0);
    g_free(locked);
    tu_rmtree(tmp);
    g_free(tmp);
}

static void test_scan_missing_folder_is_not_found(void **state)
{
    (void)state;
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder("/nonexistent/photos", "{client}", &l, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/photos"));
    assert_int_equal(l.count, 0);
}

/* ---- jobs --------------------------------------------------------------- */

static void test_jobs_check_limits(void **state)
{
    (void)state;
    ba_error err;
    assert_int_equal(ba_batch_jobs_check(-5, &err), 0);
    assert_int_equal(ba_batch_jobs_check(0, &err), 0);
    assert_int_equal(ba_batch_jobs_check(1, &err), 0);
    assert_int_equal(ba_batch_jobs_check(BA_BATCH_MAX_JOBS, &err), 0);
    assert_int_equal(ba_batch_jobs_check(BA_BATCH_MAX_JOBS + 1, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "64"));
    assert_int_equal(ba_batch_jobs_check(BA_BATCH_MAX_JOBS + 1, NULL), -1);
}

/* ---- the engine --------------------------------------------------------- */

/* @n distinct small photos in @dir (sizes differ, so do bytes and hashes),
 * alternating JPEG and PNG; items get dates so sessions are numbered. */
static void make_photos(const char *dir, int n, ba_batch_list *l)
{
    static const char *const dates[] = {"2026-03-01", "2026-01-01", "2026-02-01"};
    ba_batch_list_init(l);
    for (int i = 0; i < n; i++) {
        VipsImage *img = tu_scene(48 + 4 * i, 40);
        char *name = g_strdup_printf("p%02d.%s", i, i % 2 ? "png" : "jpg");
        char *p = g_build_filename(dir, name, NULL);
        tu_save(img, p);
        ba_batch_list_add_file(l, p);
        l->items[i].date = g_strdup(dates[i % 3]);
        g_free(p);
        g_free(name);
        g_object_unref(img);
    }
}

typedef struct events {
    size_t calls;
    size_t last_index_plus_1; /* input order: each index is the previous + 1 */
    bool in_order;
    size_t failed_index;
    ba_code failed_code;
    volatile int *cancel;
} events;

static void on_event(const ba_batch_event *ev, void *ud)
{
    events *e = ud;
    if (ev->index != e->last_index_plus_1 || ev->done != ev->index + 1)
        e->in_order = false;
    e->last_index_plus_1 = ev->index + 1;
    e->calls++;
    if (ev->status == BA_BATCH_FAILED) {
        assert_non_null(ev->error);
        e->failed_index = ev->index;
        e->failed_code = ev->error->code;
    } else {
        assert_non_null(ev->result);
        assert_true(ev->result->photo_id > 0);
    }
    if (e->cancel)
        *e->cancel = 1;
}

static ba_batch_summary run_batch(ba_catalog *cat, const ba_batch_list *l, int jobs, events *e)
{
    ba_ingest_options d;
    tu_options(&d);
    ba_batch_options o;
    ba_batch_options_init(&o);
    o.jobs = jobs;
    o.defaults = &d;
    o.on_result = on_event;
    o.ud = e;
    o.cancel = e->cancel;
    memset(e, 0, offsetof(events, cancel));
    e->in_order = true;
    ba_batch_summary s;
    ba_error err;
    assert_int_equal(ba_batch_ingest(cat, l, &o, &s, &err), 0);
    return s;
}

static int append_photo(const ba_photo *p, void *ud)
{
    g_string_append_printf(ud, "%" G_GINT64_FORMAT " s%" G_GINT64_FORMAT "#%d %s %s %s %dx%d %s\n",
                           p->id, p->session_id, p->session_number, p->session_date,
                           p->master_sha256, p->original_sha256, p->width, p->height,
                           p->original_name);
    return 0;
}

/* The catalog's photos, one line each: id, session, hashes, name. */
static char *catalog_dump(ba_catalog *cat)
{
    GString *s = g_string_new(NULL);
    ba_error err;
    assert_int_equal(ba_catalog_photo_list(cat, NULL, append_photo, s, &err), 0);
    return g_string_free(s, FALSE);
}

static int64_t photo_count(ba_catalog *cat)
{
    ba_catalog_counts c;
    ba_error err;
    assert_int_equal(ba_catalog_counts_get(cat, &c, &err), 0);
    return c.photos;
}

static int tmp_files(ba_catalog *cat)
{
    char *t = g_build_filename(ba_catalog_dir(cat), "tmp", NULL);
    int n = tu_count_files(t);
    g_free(t);
    return n;
}

static void test_ingest_jobs_1_and_3_give_identical_catalogs(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    make_photos(f->work, 7, &l);
    /* Outcomes mixed in: a duplicate and a broken file between the photos. */
    ba_batch_list_add_file(&l, l.items[1].file);
    char *broken = put_file(f->work, "broken.jpg", "\xff\xd8\xff not a JPEG");
    ba_batch_list_add_file(&l, broken);
    ba_batch_list_add_file(&l, l.items[6].file);
    g_free(broken);
    char *dir2 = NULL;
    ba_catalog *cat2 = tu_library(&dir2);

    events e = {0};
    ba_batch_summary s1 = run_batch(f->cat, &l, 1, &e);
    assert_true(e.in_order);
    assert_int_equal(e.calls, 10);
    ba_batch_summary s3 = run_batch(cat2, &l, 3, &e);
    assert_true(e.in_order);
    assert_int_equal(e.calls, 10);
    assert_int_equal(e.failed_index, 8);
    const ba_batch_summary *both[] = {&s1, &s3};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(both[k]->ingested, 7);
        assert_int_equal(both[k]->duplicates, 2);
        assert_int_equal(both[k]->failed, 1);
        assert_int_equal(both[k]->cancelled, 0);
    }

    char *d1 = catalog_dump(f->cat);
    char *d3 = catalog_dump(cat2);
    assert_int_equal(photo_count(f->cat), 7);
    assert_string_equal(d1, d3);
    /* Three dates: three sessions, numbered by date, not by input order. */
    assert_non_null(strstr(d1, "#1 2026-01-01"));
    assert_non_null(strstr(d1, "#3 2026-03-01"));
    g_free(d1);
    g_free(d3);
    ba_batch_list_clear(&l);
    ba_catalog_close(cat2);
    char *parent = g_path_get_dirname(dir2);
    tu_rmtree(parent);
    g_free(parent);
    g_free(dir2);
}

static void test_ingest_broken_file_is_one_failure_rest_ingested(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    make_photos(f->work, 5, &l);
    /* Item 2 becomes a JPEG cut short after its header. */
    size_t len;
    unsigned char *bytes = tu_read(l.items[2].file, &len);
    assert_true(g_file_set_contents(l.items[2].file, (const char *)bytes, 200, NULL));
    g_free(bytes);
    events e = {0};
    ba_batch_summary s = run_batch(f->cat, &l, 3, &e);
    assert_int_equal(s.ingested, 4);
    assert_int_equal(s.failed, 1);
    assert_int_equal(s.duplicates + s.cancelled, 0);
    assert_false(s.library_error);
    assert_int_equal(e.calls, 5);
    assert_int_equal(e.failed_index, 2);
    assert_int_equal(e.failed_code, BA_ERR_CORRUPT);
    assert_int_equal(photo_count(f->cat), 4);
    assert_int_equal(tmp_files(f->cat), 0);
    ba_batch_list_clear(&l);
}

static void test_ingest_item_errors_and_duplicates_are_counted(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    make_photos(f->work, 2, &l);
    /* The same file again is a duplicate; an invalid input is never processed. */
    ba_batch_list_add_file(&l, l.items[0].file);
    ba_batch_list_add_file(&l, "/nonexistent/never-read.jpg");
    l.items[3].error = g_strdup("m.csv row 9: empty 'area'");
    events e = {0};
    ba_batch_summary s = run_batch(f->cat, &l, 2, &e);
    assert_int_equal(s.ingested, 2);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.failed, 1);
    assert_int_equal(e.failed_index, 3);
    assert_int_equal(e.failed_code, BA_ERR_USAGE);
    assert_int_equal(photo_count(f->cat), 2);
    ba_batch_list_clear(&l);
}

static void test_ingest_missing_file_fails_not_found(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_batch_list_add_file(&l, "/nonexistent/x.jpg");
    events e = {0};
    ba_batch_summary s = run_batch(f->cat, &l, 0, &e);
    assert_int_equal(s.failed, 1);
    assert_int_equal(e.failed_code, BA_ERR_NOT_FOUND);
    ba_batch_list_clear(&l);
}

static void test_ingest_empty_list_is_a_no_op(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    ba_batch_list_init(&l);
    events e = {0};
    ba_batch_summary s = run_batch(f->cat, &l, 4, &e);
    assert_int_equal(s.ingested + s.failed + s.duplicates + s.cancelled, 0);
    assert_int_equal(e.calls, 0);
}

static void test_ingest_too_many_jobs_is_usage_and_ingests_nothing(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    make_photos(f->work, 1, &l);
    ba_batch_options o;
    ba_batch_options_init(&o);
    o.jobs = BA_BATCH_MAX_JOBS + 1;
    ba_ingest_options d;
    tu_options(&d);
    o.defaults = &d;
    ba_batch_summary s;
    ba_error err;
    assert_int_equal(ba_batch_ingest(f->cat, &l, &o, &s, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(photo_count(f->cat), 0);
    ba_batch_list_clear(&l);
}

static void test_ingest_cancel_from_first_result_stops_new_work(void **state)
{
    tu_fixture *f = *state;
    enum { N = 12, JOBS = 1 };
    ba_batch_list l;
    make_photos(f->work, N, &l);
    volatile int cancel = 0;
    events e = {.cancel = &cancel};
    ba_batch_summary s = run_batch(f->cat, &l, JOBS, &e);
    /* Photos in flight finish (and are reported); nothing new starts. Workers
     * run at most 4 x jobs ahead of the writer (batch.c's window). */
    assert_true(s.cancelled >= N - 1 - 4 * JOBS);
    assert_true(s.cancelled < N);
    assert_int_equal(s.ingested + s.failed + s.duplicates + s.cancelled, N);
    assert_int_equal(s.failed, 0);
    assert_int_equal(e.calls, N - s.cancelled);
    assert_true(e.in_order);
    /* What was reported is what is in: no half-done photo, no temporary left. */
    assert_int_equal(photo_count(f->cat), (int64_t)s.ingested);
    assert_int_equal(tmp_files(f->cat), 0);
    char *masters = g_build_filename(f->dir, "masters", NULL);
    assert_int_equal(tu_count_files(masters), (int)s.ingested);
    g_free(masters);

    /* Running it again finishes the rest: duplicates for what was done. */
    e.cancel = NULL;
    ba_batch_summary again = run_batch(f->cat, &l, JOBS, &e);
    assert_int_equal(again.duplicates, s.ingested);
    assert_int_equal(again.ingested, s.cancelled);
    assert_int_equal(photo_count(f->cat), N);
    ba_batch_list_clear(&l);
}

static void test_ingest_cancel_before_start_ingests_nothing(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    make_photos(f->work, 3, &l);
    volatile int cancel = 1;
    events e = {.cancel = &cancel};
    ba_batch_summary s = run_batch(f->cat, &l, 2, &e);
    assert_int_equal(s.cancelled, 3);
    assert_int_equal(s.ingested, 0);
    assert_int_equal(e.calls, 0);
    assert_int_equal(photo_count(f->cat), 0);
    ba_batch_list_clear(&l);
}

static bool client_exists(ba_catalog *cat, const char *code)
{
    ba_client c;
    ba_error err;
    if (ba_catalog_client_get(cat, code, &c, &err) == 0)
        return true;
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    return false;
}

static void test_ingest_created_client_without_photos_is_removed(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    make_photos(f->work, 2, &l);
    /* C-NEW's only photo is broken; C-GOOD's is fine. */
    assert_true(g_file_set_contents(l.items[0].file, "not a photo", -1, NULL));
    l.items[0].client = g_strdup("C-NEW");
    l.items[1].client = g_strdup("C-GOOD");
    ba_ingest_options d;
    tu_options(&d);
    ba_batch_options o;
    ba_batch_options_init(&o);
    o.jobs = 2;
    o.defaults = &d;
    o.create_clients = true;
    ba_batch_summary s;
    ba_error err;
    assert_int_equal(ba_batch_ingest(f->cat, &l, &o, &s, &err), 0);
    assert_int_equal(s.ingested, 1);
    assert_int_equal(s.failed, 1);
    assert_false(client_exists(f->cat, "C-NEW"));
    assert_true(client_exists(f->cat, "C-GOOD"));
    ba_batch_list_clear(&l);
}

static void test_ingest_unknown_client_fails_without_create(void **state)
{
    tu_fixture *f = *state;
    ba_batch_list l;
    make_photos(f->work, 1, &l);
    l.items[0].client = g_strdup("C-NOBODY");
    events e = {0};
    ba_batch_summary s = run_batch(f->cat, &l, 1, &e);
    assert_int_equal(s.failed, 1);
    assert_int_equal(e.failed_code, BA_ERR_NOT_FOUND);
    assert_false(client_exists(f->cat, "C-NOBODY"));
    ba_batch_list_clear(&l);
}

static int keep_first_photo(const ba_photo *p, void *ud)
{
    ba_photo *out = ud;
    if (out->id == 0)
        *out = *p;
    return 0;
}

/* The first photo of @client in the catalog's order. */
static ba_photo first_photo(ba_catalog *cat, const char *client)
{
    ba_photo p = {0};
    ba_photo_filter flt = {.client = client};
    ba_error err;
    assert_int_equal(ba_catalog_photo_list(cat, &flt, keep_first_photo, &p, &err), 0);
    assert_true(p.id > 0);
    return p;
}

static void test_ingest_manifest_row_fields_reach_the_catalog(void **state)
{
    tu_fixture *f = *state;
    VipsImage *img = tu_scene(48, 40);
    char *photo = put_file(f->work, "shots/x.jpg", "");
    tu_save(img, photo);
    /* Every field from the row, none from the defaults (C-1, cheeks, 2026-01-02). */
    char *m = put_file(f->work, "m.csv",
                       "stage,file,view,client,date,area,treatment\n"
                       "after,shots/x.jpg,left-45,C-2,2026-05-06,neck,\"laser, 2 passes\"\n");
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_read_manifest(m, &l, &err), 0);
    ba_ingest_options d;
    tu_options(&d);
    ba_batch_options o;
    ba_batch_options_init(&o);
    o.defaults = &d;
    o.create_clients = true;
    ba_batch_summary s;
    assert_int_equal(ba_batch_ingest(f->cat, &l, &o, &s, &err), 0);
    assert_int_equal(s.ingested, 1);
    ba_photo p = first_photo(f->cat, "C-2");
    assert_string_equal(p.area, "neck");
    assert_string_equal(p.stage, "after");
    assert_string_equal(p.view, "left-45");
    assert_string_equal(p.session_date, "2026-05-06");
    assert_string_equal(p.treatment, "laser, 2 passes");
    assert_string_equal(p.original_name, "x.jpg");
    ba_batch_list_clear(&l);
    g_free(m);
    g_free(photo);
    g_object_unref(img);
}

static void test_ingest_folder_layout_fields_reach_the_catalog(void **state)
{
    tu_fixture *f = *state;
    VipsImage *img = tu_scene(48, 40);
    char *photo = put_file(f->work, "C-1/hands/2026-07-08/before/y.png", "");
    tu_save(img, photo);
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_error err;
    assert_int_equal(ba_batch_scan_folder(f->work, "{client}/{area}/{date}/{stage}", &l, &err), 0);
    ba_ingest_options d;
    tu_options(&d);
    ba_batch_options o;
    ba_batch_options_init(&o);
    o.defaults = &d;
    ba_batch_summary s;
    assert_int_equal(ba_batch_ingest(f->cat, &l, &o, &s, &err), 0);
    assert_int_equal(s.ingested, 1);
    ba_photo p = first_photo(f->cat, "C-1");
    assert_string_equal(p.area, "hands");
    assert_string_equal(p.stage, "before");
    assert_string_equal(p.session_date, "2026-07-08");
    ba_batch_list_clear(&l);
    g_free(photo);
    g_object_unref(img);
}

int main(void)
{
    ba_error err;
    if (ba_init("test_batch", &err)) {
        fprintf(stderr, "init: %s\n", err.message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_rows_are_physical_line_numbers),
        cmocka_unit_test(test_manifest_columns_by_name_in_any_order),
        cmocka_unit_test(test_manifest_header_names_ignore_case_and_spaces),
        cmocka_unit_test(test_manifest_optional_columns_absent_are_null),
        cmocka_unit_test(test_manifest_empty_optional_field_is_null_default),
        cmocka_unit_test(test_manifest_unknown_columns_are_ignored),
        cmocka_unit_test(test_manifest_missing_required_column_fails_naming_it),
        cmocka_unit_test(test_manifest_duplicate_column_fails),
        cmocka_unit_test(test_manifest_over_64_columns_fails),
        cmocka_unit_test(test_manifest_exactly_64_columns_is_accepted),
        cmocka_unit_test(test_manifest_byte_order_mark_before_header),
        cmocka_unit_test(test_manifest_byte_order_mark_before_a_quoted_header),
        cmocka_unit_test(test_manifest_nul_byte_is_an_error_of_that_row_only),
        cmocka_unit_test(test_manifest_rfc4180_quoted_commas_quotes_and_newlines),
        cmocka_unit_test(test_manifest_crlf_line_ends_leave_no_carriage_return),
        cmocka_unit_test(test_manifest_last_row_without_newline_is_read),
        cmocka_unit_test(test_manifest_blank_lines_are_not_rows),
        cmocka_unit_test(test_manifest_unterminated_quote_fails_whole_manifest),
        cmocka_unit_test(test_manifest_quote_inside_unquoted_field_fails),
        cmocka_unit_test(test_manifest_invalid_utf8_is_an_error_of_that_row_only),
        cmocka_unit_test(test_manifest_very_long_fields_are_kept_whole),
        cmocka_unit_test(test_manifest_wrong_field_count_is_an_error_of_that_row_only),
        cmocka_unit_test(test_manifest_empty_required_field_is_a_row_error),
        cmocka_unit_test(test_manifest_fields_are_trimmed),
        cmocka_unit_test(test_manifest_empty_is_an_error),
        cmocka_unit_test(test_manifest_header_only_gives_no_items),
        cmocka_unit_test(test_manifest_appends_and_a_failure_keeps_earlier_items),
        cmocka_unit_test(test_manifest_many_rows_grow_the_list),
        cmocka_unit_test(test_manifest_relative_paths_resolve_against_manifest_folder),
        cmocka_unit_test(test_manifest_given_relative_resolves_against_its_relative_folder),
        cmocka_unit_test(test_manifest_unreadable_file_is_not_found),
        cmocka_unit_test(test_scan_layout_fills_fields_from_folder_names),
        cmocka_unit_test(test_scan_other_layouts_and_literal_folders),
        cmocka_unit_test(test_scan_treatment_placeholder),
        cmocka_unit_test(test_scan_files_at_another_depth_are_item_errors),
        cmocka_unit_test(test_scan_empty_layout_takes_only_top_level_files),
        cmocka_unit_test(test_scan_skips_hidden_entries_and_non_images),
        cmocka_unit_test(test_scan_symlinked_files_listed_symlinked_folders_not_followed),
        cmocka_unit_test(test_scan_non_utf8_folder_name_gives_valid_utf8_field),
        cmocka_unit_test(test_scan_unknown_placeholder_is_usage),
        cmocka_unit_test(test_scan_unreadable_subfolder_fails_the_whole_walk),
        cmocka_unit_test(test_scan_missing_folder_is_not_found),
        cmocka_unit_test(test_jobs_check_limits),
        cmocka_unit_test_setup_teardown(test_ingest_jobs_1_and_3_give_identical_catalogs,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_broken_file_is_one_failure_rest_ingested,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_item_errors_and_duplicates_are_counted,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_missing_file_fails_not_found,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_empty_list_is_a_no_op, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_too_many_jobs_is_usage_and_ingests_nothing,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_cancel_from_first_result_stops_new_work,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_cancel_before_start_ingests_nothing,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_created_client_without_photos_is_removed,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_unknown_client_fails_without_create,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_manifest_row_fields_reach_the_catalog,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_folder_layout_fields_reach_the_catalog,
                                        tu_fixture_setup, tu_fixture_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
