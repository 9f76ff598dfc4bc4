/* Batch inputs: the item list, CSV manifests (libcsv) and folder walks. */
#include <csv.h>
#include <glib.h>
#include <string.h>

#include "beforeafter/batch.h"

void ba_batch_list_init(ba_batch_list *list)
{
    memset(list, 0, sizeof *list);
}

static void item_clear(ba_batch_item *it)
{
    g_free(it->file);
    g_free(it->client);
    g_free(it->area);
    g_free(it->stage);
    g_free(it->date);
    g_free(it->view);
    g_free(it->treatment);
    g_free(it->error);
}

void ba_batch_list_clear(ba_batch_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        item_clear(&list->items[i]);
    g_free(list->items);
    ba_batch_list_init(list);
}

static ba_batch_item *list_push(ba_batch_list *list)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 64;
        list->items = g_renew(ba_batch_item, list->items, list->capacity);
    }
    ba_batch_item *it = &list->items[list->count++];
    memset(it, 0, sizeof *it);
    return it;
}

void ba_batch_list_add_file(ba_batch_list *list, const char *file)
{
    list_push(list)->file = g_strdup(file);
}

/* ---- CSV manifests ------------------------------------------------------ */

enum { COL_FILE, COL_CLIENT, COL_AREA, COL_STAGE, COL_DATE, COL_VIEW, COL_TREATMENT, COL_COUNT };
static const char *const COLUMN_NAMES[COL_COUNT] = {"file", "client", "area", "stage",
                                                    "date", "view", "treatment"};

typedef struct csv_state {
    GPtrArray *fields;      /* of the current record */
    int column_of[64];      /* header position -> COL_*, or -1 */
    int header_fields;      /* fields in the header, 0 before it is read */
    int row;                /* physical line where the current record starts (the
                               header's is 1; blank lines are counted) */
    int line;               /* the line being parsed */
    int start_line;         /* where the record being read began, 0 between records */
    const char *manifest;   /* for messages */
    char *base;             /* manifest folder */
    ba_batch_list *out;
    ba_error *err;
    bool failed;            /* the header is unusable */
    bool nul_in_record;     /* a field of the current record holds a NUL byte */
} csv_state;

static void on_field(void *data, size_t len, void *ud)
{
    csv_state *s = ud;
    /* A NUL would silently cut the field short ("a.jpg\0../x" read as a.jpg). */
    if (data && memchr(data, '\0', len))
        s->nul_in_record = true;
    g_ptr_array_add(s->fields, g_strndup(data ? data : "", len));
}

static char *take_field(csv_state *s, int col)
{
    for (int i = 0; i < s->header_fields && i < (int)s->fields->len; i++)
        if (s->column_of[i] == col) {
            const char *v = g_ptr_array_index(s->fields, i);
            char *t = g_strstrip(g_strdup(v));
            if (!*t) {
                g_free(t);
                return NULL;
            }
            return t;
        }
    return NULL;
}

static void read_header(csv_state *s)
{
    bool have[COL_COUNT] = {false};
    s->header_fields = (int)s->fields->len;
    if (s->header_fields > (int)G_N_ELEMENTS(s->column_of)) {
        ba_error_set(s->err, BA_ERR_USAGE, "%s: too many columns in the header", s->manifest);
        s->failed = true;
        return;
    }
    for (int i = 0; i < s->header_fields; i++) {
        char *name = g_ascii_strdown(g_ptr_array_index(s->fields, i), -1);
        g_strstrip(name);
        /* A UTF-8 byte-order mark before the first name is not part of it. */
        const char *n = g_str_has_prefix(name, "\xef\xbb\xbf") ? name + 3 : name;
        s->column_of[i] = -1;
        for (int c = 0; c < COL_COUNT; c++)
            if (strcmp(n, COLUMN_NAMES[c]) == 0) {
                if (have[c]) {
                    ba_error_set(s->err, BA_ERR_USAGE, "%s: column '%s' appears twice",
                                 s->manifest, n);
                    s->failed = true;
                }
                s->column_of[i] = c;
                have[c] = true;
            }
        g_free(name);
    }
    for (int c = COL_FILE; c <= COL_AREA && !s->failed; c++)
        if (!have[c]) {
            ba_error_set(s->err, BA_ERR_USAGE,
                         "%s: the header has no '%s' column (need file, client, area; optional "
                         "stage, date, view, treatment)",
                         s->manifest, COLUMN_NAMES[c]);
            s->failed = true;
        }
}

static void on_record(int terminator, void *ud)
{
    (void)terminator;
    csv_state *s = ud;
    s->row = s->start_line ? s->start_line : s->line;
    s->start_line = 0;
    if (s->failed) {
        g_ptr_array_set_size(s->fields, 0);
        return;
    }
    if (s->header_fields == 0) {
        read_header(s);
        if (s->nul_in_record) {
            ba_error_set(s->err, BA_ERR_USAGE, "%s: the header holds a NUL byte", s->manifest);
            s->failed = true;
        }
        g_ptr_array_set_size(s->fields, 0);
        return;
    }
    /* A blank line is not a record. */
    if (s->fields->len == 1 && !*(const char *)g_ptr_array_index(s->fields, 0)) {
        g_ptr_array_set_size(s->fields, 0);
        return;
    }
    ba_batch_item *it = list_push(s->out);
    it->row = s->row;
    if (s->nul_in_record)
        it->error = g_strdup_printf("%s:%d: a field holds a NUL byte", s->manifest, s->row);
    s->nul_in_record = false;
    for (guint i = 0; !it->error && i < s->fields->len; i++)
        if (!g_utf8_validate(g_ptr_array_index(s->fields, i), -1, NULL)) {
            it->error = g_strdup_printf("%s:%d: not valid UTF-8", s->manifest, s->row);
            break;
        }
    if (!it->error && (int)s->fields->len != s->header_fields)
        it->error = g_strdup_printf("%s:%d: %u fields where the header has %d", s->manifest,
                                    s->row, s->fields->len, s->header_fields);
    if (!it->error) {
        char *file = take_field(s, COL_FILE);
        it->client = take_field(s, COL_CLIENT);
        it->area = take_field(s, COL_AREA);
        it->stage = take_field(s, COL_STAGE);
        it->date = take_field(s, COL_DATE);
        it->view = take_field(s, COL_VIEW);
        it->treatment = take_field(s, COL_TREATMENT);
        if (file)
            it->file = g_path_is_absolute(file) ? g_strdup(file)
                                                : g_build_filename(s->base, file, NULL);
        g_free(file);
        const char *missing = !it->file ? "file" : !it->client ? "client" : !it->area ? "area" : NULL;
        if (missing)
            it->error = g_strdup_printf("%s:%d: empty '%s'", s->manifest, s->row, missing);
    }
    if (!it->file)
        it->file = g_strdup_printf("%s:%d", s->manifest, s->row);
    g_ptr_array_set_size(s->fields, 0);
}

int ba_batch_parse_manifest(const char *data, size_t len, const char *name, const char *base,
                            ba_batch_list *out, ba_error *err)
{
    struct csv_parser p;
    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    csv_state s = {.fields = g_ptr_array_new_with_free_func(g_free),
                   .manifest = name,
                   .base = g_strdup(base ? base : "."),
                   .out = out,
                   .err = err};
    size_t before = out->count;
    int rc = 0;
    /* A byte-order mark is not CSV: before a quoted first name the strict
     * parser would call the whole manifest malformed. */
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    /* Fed line by line, so that every record knows the physical line it
     * starts on (libcsv skips blank lines; a quoted field may span lines). */
    bool parsed = true;
    for (size_t off = 0; parsed && off < len;) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (data + off)) + 1 : len - off;
        s.line++;
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++)
            blank = data[off + i] == '\r' || data[off + i] == '\n';
        if (!s.start_line && !blank)
            s.start_line = s.line;
        parsed = csv_parse(&p, data + off, n, on_field, on_record, &s) == n;
        off += n;
    }
    if (!parsed || csv_fini(&p, on_field, on_record, &s) != 0) {
        ba_error_set(err, BA_ERR_USAGE, "%s:%d: malformed CSV: %s", name, s.line,
                     csv_strerror(csv_error(&p)));
        rc = -1;
    } else if (s.failed) {
        rc = -1;
    } else if (s.header_fields == 0) {
        ba_error_set(err, BA_ERR_USAGE, "%s: empty manifest (no header row)", name);
        rc = -1;
    }
    if (rc) {
        for (size_t i = before; i < out->count; i++)
            item_clear(&out->items[i]);
        out->count = before;
    }
    csv_free(&p);
    g_ptr_array_free(s.fields, TRUE);
    g_free(s.base);
    return rc;
}

int ba_batch_read_manifest(const char *path, ba_batch_list *out, ba_error *err)
{
    char *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "%s: cannot read the manifest: %s", path,
                     gerr->message);
        g_error_free(gerr);
        return -1;
    }
    char *base = g_path_get_dirname(path);
    int rc = ba_batch_parse_manifest(data, len, path, base, out, err);
    g_free(base);
    g_free(data);
    return rc;
}

/* ---- folder walks ------------------------------------------------------- */

static bool is_photo_name(const char *name)
{
    static const char *const exts[] = {".jpg", ".jpeg", ".png", ".heic", ".heif",
                                       ".tif", ".tiff", ".webp", NULL};
    char *lower = g_ascii_strdown(name, -1);
    bool ok = false;
    for (int i = 0; exts[i] && !ok; i++)
        ok = g_str_has_suffix(lower, exts[i]);
    g_free(lower);
    return ok;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect photo files below @dir (relative paths, sorted). */
static int walk(const char *root, const char *rel, int depth, GPtrArray *files, ba_error *err)
{
    char *dir = rel ? g_build_filename(root, rel, NULL) : g_strdup(root);
    GError *gerr = NULL;
    GDir *d = g_dir_open(dir, 0, &gerr);
    if (!d) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "%s: cannot read the folder: %s", dir, gerr->message);
        g_error_free(gerr);
        g_free(dir);
        return -1;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        if (n[0] != '.')
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names);
    int rc = 0;
    for (guint i = 0; i < names->len && rc == 0; i++) {
        const char *name = g_ptr_array_index(names, i);
        char *child_rel = rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
        char *child = g_build_filename(root, child_rel, NULL);
        /* Symlinked folders are not followed: no loops, no escaping the tree. */
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK)) {
            if (depth < 32)
                rc = walk(root, child_rel, depth + 1, files, err);
        } else if (is_photo_name(name)) {
            g_ptr_array_add(files, g_strdup(child_rel));
        }
        g_free(child);
        g_free(child_rel);
    }
    g_ptr_array_free(names, TRUE);
    g_free(dir);
    return rc;
}

static char **field_slot(ba_batch_item *it, const char *name)
{
    if (strcmp(name, "client") == 0)
        return &it->client;
    if (strcmp(name, "area") == 0)
        return &it->area;
    if (strcmp(name, "date") == 0)
        return &it->date;
    if (strcmp(name, "stage") == 0)
        return &it->stage;
    if (strcmp(name, "view") == 0)
        return &it->view;
    if (strcmp(name, "treatment") == 0)
        return &it->treatment;
    return NULL;
}

int ba_batch_scan_folder(const char *dir, const char *layout, ba_batch_list *out, ba_error *err)
{
    char **split = g_strsplit(layout && *layout ? layout : "", "/", -1);
    /* The non-empty components of the layout (pointers into split). */
    const char **parts = g_new0(const char *, g_strv_length(split) + 1);
    int nparts = 0;
    for (int i = 0; split[i]; i++) {
        if (!*split[i])
            continue;
        const char *p = split[i];
        if (p[0] == '{') {
            size_t n = strlen(p);
            char *name = g_strndup(p + 1, n >= 2 ? n - 2 : 0);
            ba_batch_item probe = {0};
            bool ok = p[n - 1] == '}' && field_slot(&probe, name);
            if (!ok) {
                ba_error_set(err, BA_ERR_USAGE,
                             "layout '%s': '%s' is not one of {client} {area} {date} {stage} "
                             "{view} {treatment} or a plain folder name",
                             layout, p);
                g_free(name);
                g_free(parts);
                g_strfreev(split);
                return -1;
            }
            g_free(name);
        }
        parts[nparts++] = p;
    }
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    int rc = walk(dir, NULL, 0, files, err);
    for (guint f = 0; rc == 0 && f < files->len; f++) {
        const char *rel = g_ptr_array_index(files, f);
        ba_batch_item *it = list_push(out);
        it->file = g_build_filename(dir, rel, NULL);
        char **comps = g_strsplit(rel, "/", -1);
        int ncomps = (int)g_strv_length(comps) - 1; /* folders only */
        if (ncomps != nparts) {
            it->error = g_strdup_printf("%s: its folder does not match the layout '%s'",
                                        it->file, layout ? layout : "");
        } else {
            for (int i = 0; i < nparts && !it->error; i++) {
                if (parts[i][0] == '{') {
                    char *name = g_strndup(parts[i] + 1, strlen(parts[i]) - 2);
                    char **slot = field_slot(it, name);
                    g_free(*slot);
                    *slot = g_filename_display_name(comps[i]);
                    g_free(name);
                } else if (strcmp(parts[i], comps[i]) != 0) {
                    it->error = g_strdup_printf("%s: folder '%s' where the layout says '%s'",
                                                it->file, comps[i], parts[i]);
                }
            }
        }
        g_strfreev(comps);
    }
    g_ptr_array_free(files, TRUE);
    g_free(parts);
    g_strfreev(split);
    return rc;
}
