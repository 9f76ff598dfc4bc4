/* beforeafter backup --to DIR | restore --from DIR --to NEWLIB */
#include "cli.h"

static void print_result(const char *kind, const char *dir, const ba_record_backup_result *r)
{
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", kind);
        cli_json_str(b, "to", dir);
        json_builder_set_member_name(b, "photos");
        json_builder_add_int_value(b, r->photos);
        json_builder_set_member_name(b, "files");
        json_builder_add_int_value(b, r->files);
        json_builder_set_member_name(b, "bytes");
        json_builder_add_int_value(b, (gint64)r->bytes);
        json_builder_set_member_name(b, "seconds");
        json_builder_add_double_value(b, (double)(gint64)(r->seconds * 100 + 0.5) / 100);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        char *safe = cli_escape(dir);
        cli_say("%s %s: %" G_GINT64_FORMAT " photos, %d files + catalog.db, %" G_GUINT64_FORMAT
                " bytes in %.1f s\n", strcmp(kind, "backup") == 0 ? "backed up to" : "restored to",
                safe, r->photos, r->files, (guint64)r->bytes, r->seconds);
        g_free(safe);
    }
}

int cmd_backup(ba_catalog *cat, int argc, char **argv)
{
    char *to = NULL;
    const GOptionEntry entries[] = {
        {"to", 0, 0, G_OPTION_ARG_FILENAME, &to, "The new backup folder (outside the library)",
         "DIR"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!cli_parse(&argc, &argv, entries, "--to DIR",
                   "Copy the library while others keep writing: the catalog through SQLite's\n"
                   "online backup, then every master, render and consent evidence it names\n"
                   "(each checked against its hash), and MANIFEST (sha256 of every file).\n"
                   "The backup folder is a library: verify it, restore it, or open it.",
                   NULL)) {
        g_free(to);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (argc != 1 || !to) {
        rc = cli_usage("backup", "say --to DIR");
        goto out;
    }
    if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    ba_record_backup_result r;
    ba_error err;
    if (ba_record_backup(cat, to, &r, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_ARGUMENT);
    } else {
        print_result("backup", to, &r);
    }
out:
    g_free(to);
    return rc;
}

int cmd_restore(ba_catalog *cat, int argc, char **argv)
{
    (void)cat;
    char *from = NULL, *to = NULL;
    const GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_FILENAME, &from, "A backup folder", "DIR"},
        {"to", 0, 0, G_OPTION_ARG_FILENAME, &to, "The new library folder", "NEWLIB"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!cli_parse(&argc, &argv, entries, "--from DIR --to NEWLIB",
                   "Make a new library from a backup: every file of its MANIFEST is checked\n"
                   "against its hash and copied; nothing is written when one does not match.",
                   NULL)) {
        g_free(from);
        g_free(to);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (argc != 1 || !from || !to) {
        rc = cli_usage("restore", "say --from DIR --to NEWLIB");
        goto out;
    }
    ba_record_backup_result r;
    ba_error err;
    if (ba_record_restore(from, to, &r, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_ARGUMENT);
    } else {
        print_result("restore", to, &r);
    }
out:
    g_free(from);
    g_free(to);
    return rc;
}
