/* Shared helpers of the beforeafter command-line tool. */
#ifndef BA_CLI_H
#define BA_CLI_H

#include <beforeafter/beforeafter.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

/* Exit codes, as documented in docs/CLI.md. */
enum {
    EXIT_OK = 0,      /* all done */
    EXIT_PARTIAL = 1, /* some inputs failed, the rest were done */
    EXIT_USAGE = 2,   /* bad arguments */
    EXIT_LIBRARY = 3  /* the library or catalog cannot be used */
};

/* Options every command accepts, before or after its name. */
typedef struct cli_globals {
    char *library;
    gboolean json;
    gboolean quiet;
    gboolean verbose;
    gboolean version;
} cli_globals;

extern cli_globals g_cli;

/* A command: its name, one-line summary and entry point. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

/* Parse argv (argv[0] is "beforeafter CMD") with @entries plus the global
 * options; @params is the usage line after the command name.  Prints the
 * problem and returns FALSE on a usage error. */
gboolean cli_parse(int *argc, char ***argv, const GOptionEntry *entries, const char *params,
                   const char *summary, const char *description);

/* Print "beforeafter: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Print a usage error naming the command and return EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Exit code for a failed library call that is not about one input. */
int cli_exit_for(const ba_error *err);

/* Open the library named by --library / $BEFOREAFTER_LIBRARY / ".".
 * On failure prints the error and returns NULL. */
ba_catalog *cli_open_library(void);

/* The library folder the command will use. */
const char *cli_library_dir(void);

/* Print the object built in @b as one JSON line on stdout and free @b. */
void cli_json_line(JsonBuilder *b);

/* Add member @name to the object being built in @b: the string @value, or
 * null when @value is NULL or empty (unknown). */
void cli_json_str(JsonBuilder *b, const char *name, const char *value);

/* Write the object built in @b as one JSON line to @fp (flushed); @b is kept. */
void cli_json_write(FILE *fp, JsonBuilder *b);

/* Print a line on stdout unless -q. */
void cli_say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Parse a photo id ("17"); FALSE when it is not a positive integer. */
gboolean cli_parse_id(const char *s, gint64 *id);

/* Add the list fields of @p (and with @full the capture conditions and
 * hashes) as members of the object being built in @b. */
void cli_photo_members(JsonBuilder *b, const ba_photo *p, gboolean full);

/* Check the options ingest and batch share and fill @o with them; returns
 * EXIT_OK, or EXIT_USAGE after printing what is wrong (naming @cmd). */
int cli_ingest_options(const char *cmd, ba_ingest_options *o, const char *client, const char *area,
                       const char *stage, const char *view, const char *date,
                       const char *treatment, double max_mp, int quality, int jobs);

/* Ingest @list with the batch engine, printing one result per input (JSON
 * with --json), a progress bar when @show_progress, a JSON-lines report to
 * @report_path when given; Ctrl-C finishes the photos in flight.  Returns
 * the exit code. */
int cli_run_batch(ba_catalog *cat, const ba_batch_list *list, const ba_ingest_options *defaults,
                  int jobs, gboolean create_clients, const char *report_path,
                  gboolean show_progress);

/* A --report file being written: a temporary file beside the path the user
 * named, renamed over it by cli_report_close(). */
typedef struct cli_report {
    FILE *fp;   /* write here; NULL when no report was asked for */
    char *path; /* as given */
    char *tmp;  /* the temporary file */
} cli_report;

/* Start report @path (NULL: none).  Refuses, printing one line, a path
 * inside a library.  Returns EXIT_OK or EXIT_USAGE. */
int cli_report_open(cli_report *r, const char *path);

/* Finish the report: with @keep, sync it and rename it into place (0, or -1
 * after printing why); without, remove it, leaving any earlier file as it was. */
int cli_report_close(cli_report *r, gboolean keep);

int cmd_init(int argc, char **argv);
int cmd_client(int argc, char **argv);
int cmd_area(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_align(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_ghost(int argc, char **argv);
int cmd_consent(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* Print export @e (with its @n @items) as one to take down: a text or JSON
 * line appended to the GString @ud, or printed when @ud is NULL.  A
 * ba_export_fn for ba_consent_revoke() and ba_consent_takedown_list(). */
int cli_print_takedown(const ba_export_record *e, const ba_export_item *items, int n, void *ud);

#endif
