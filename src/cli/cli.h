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
    const char *json_kind; /* the "kind" of a JSON object that names none (main) */
} cli_globals;

extern cli_globals g_cli;

/* What a command needs of the library; main opens it once, accordingly,
 * before the command runs (git's RUN_SETUP). */
typedef enum cli_needs {
    CLI_NO_LIBRARY, /* nothing is opened */
    CLI_READS,      /* read-only (writable only to migrate an older schema) */
    CLI_WRITES,     /* writable */
    CLI_WRITES_OR_READS /* writable where it can be, else read-only: its reading
                           subcommands (list, plain verify) still work */
} cli_needs;

/* A command: its name, one-line summary, needs and entry point.  @run gets
 * the library opened for it, or NULL when it could not be opened: a command
 * says so (cli_no_library()) only where it needs the library, so usage
 * errors come first and the modes on plain files need none. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    cli_needs needs;
    int (*run)(ba_catalog *cat, int argc, char **argv);
} cli_command;

/* Parse argv (argv[0] is "beforeafter CMD") with @entries plus the global
 * options; @params is the usage line after the command name.  Prints the
 * problem and returns FALSE on a usage error. */
gboolean cli_parse(int *argc, char ***argv, const GOptionEntry *entries, const char *params,
                   const char *summary, const char *description);

/* @s (NULL: "") made safe for a terminal, newly allocated: C0 controls and
 * DEL as \n \r \t or \xNN, the C1 controls (U+0080..U+009F) and bytes that
 * are not UTF-8 as \xNN, a backslash as \\; other UTF-8 ("é") kept.
 * Names, treatments and messages can then neither move the cursor, recolour
 * the terminal nor split "one line per file". */
char *cli_escape(const char *s);

/* The command's name in @argv0 ("beforeafter list" -> "list"): the one
 * error prefix is "beforeafter: COMMAND: MESSAGE" (or "beforeafter: MESSAGE"
 * when no command is concerned), docs/CLI.md. */
const char *cli_command_name(const char *argv0);

/* Print "beforeafter: MESSAGE" on stderr, MESSAGE escaped (cli_escape()). */
void cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Print a usage error naming the command and return EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* What a failed library call was about: it decides the exit code. */
typedef enum cli_about {
    CLI_ABOUT_INPUT,    /* the photos, files or objects the command works on */
    CLI_ABOUT_ARGUMENT, /* a file the command was told to read or write itself
                           (consent evidence, a manifest, an output folder) */
    CLI_ABOUT_LIBRARY   /* the library as a whole (creating, verifying it) */
} cli_about;

/* The exit code of a failed library call (the one table, docs/CLI.md). */
int cli_exit_for(const ba_error *err, cli_about about);

/* @err's message and its hint worded with this program's commands and
 * options, "MESSAGE; HINT", newly allocated (the "error" of JSON lines). */
char *cli_error_text(const ba_error *err);

/* Print @err as one line on stderr, "PREFIX: MESSAGE; HINT" (@prefix NULL:
 * none; cli_error_text()). */
void cli_report_error(const char *prefix, const ba_error *err);

/* Open the library for a command that @needs it (main calls this once);
 * NULL when it cannot be opened, the reason kept for cli_no_library(). */
ba_catalog *cli_library_open(cli_needs needs);

/* Print why the library could not be opened; returns EXIT_LIBRARY. */
int cli_no_library(void);

/* EXIT_OK when @cat was opened writable, else EXIT_LIBRARY after printing
 * why not (a CLI_WRITES_OR_READS command about to write). */
int cli_need_writable(const ba_catalog *cat);

/* Set the library folder found on the command line before the command's
 * options are parsed (main scans for --library). */
void cli_set_library_dir(const char *dir);

/* The library folder the command will use. */
const char *cli_library_dir(void);

/* Print the object built in @b as one JSON line on stdout and free @b. */
void cli_json_line(JsonBuilder *b);

/* Add member @name to the object being built in @b: the string @value, or
 * null when @value is NULL or empty (unknown). */
void cli_json_str(JsonBuilder *b, const char *name, const char *value);

/* Add member @name to the object being built in @b: the number @v rounded
 * to @decimals places, what it means (docs/JSON.md: scores 3, degrees 2,
 * millimetres 1, ...); null when @v is NaN or infinite. */
void cli_json_real(JsonBuilder *b, const char *name, double v, int decimals);

/* Write the object built in @b as one JSON line to @fp (flushed); @b is kept. */
void cli_json_write(FILE *fp, JsonBuilder *b);

/* The object built in @b as JSON text without a newline (g_free it); @b is
 * kept.  C1 controls are written \u0080..\u009f and bytes that are not
 * UTF-8 as the text \xNN, so the line is valid JSON and terminal-safe. */
char *cli_json_text(JsonBuilder *b);

/* Print on stdout unless -q, escaped with cli_escape() except for one final
 * newline of the format: a call prints at most one line. */
void cli_say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Initial value of an integer option whose absence means "automatic", so
 * that an explicit 0 can be refused ("--width 0"). */
#define CLI_UNSET G_MININT

/* A number in 0..1 (NaN and infinities are not: "--opacity nan"). */
gboolean cli_fraction_ok(double x);

/* Parse a photo id ("17"); FALSE when it is not a positive integer. */
gboolean cli_parse_id(const char *s, gint64 *id);

/* Add the list fields of @p (and with @full the capture conditions and
 * hashes) as members of the object being built in @b. */
void cli_photo_members(JsonBuilder *b, const ba_photo *p, gboolean full);

/* The areas of @p, primary first, separated by commas (g_free it). */
char *cli_photo_areas(const ba_photo *p);

/* Check a --jobs value (CLI_UNSET when not given, then set to 0: the
 * default); returns EXIT_OK, or EXIT_USAGE after printing the range. */
int cli_jobs_option(const char *cmd, int *jobs);

/* Check the options ingest and batch share and fill @o with them (@jobs as
 * cli_jobs_option()); returns EXIT_OK, or EXIT_USAGE after printing what is
 * wrong (naming @cmd). */
int cli_ingest_options(const char *cmd, ba_ingest_options *o, const char *client, const char *area,
                       const char *stage, const char *view, const char *date,
                       const char *treatment, double max_mp, int quality, int *jobs);

/* Ingest @list with the batch engine, printing one result per input (JSON
 * with --json), a progress bar when @show_progress, a JSON-lines report to
 * @report_path when given; Ctrl-C finishes the photos in flight.  Returns
 * the exit code. */
int cli_run_batch(ba_catalog *cat, const ba_batch_list *list, const ba_ingest_options *defaults,
                  int jobs, gboolean create_clients, const char *report_path,
                  gboolean show_progress);

/* An output file named "-" (compare -o -): the image is written to a
 * private temporary folder outside any library as stdout.EXT (@path), and
 * standard output is pointed at stderr meanwhile, so that the image is the
 * only thing on stdout; cli_stdout_close() copies it there (when @copy),
 * removes the temporary file and restores stdout.  0, or -1 after printing
 * why. */
typedef struct cli_stdout_file {
    char *dir;  /* the temporary folder */
    char *path; /* write the image here */
    int fd;     /* the real standard output */
} cli_stdout_file;
int cli_stdout_open(cli_stdout_file *f, const char *ext);
int cli_stdout_close(cli_stdout_file *f, gboolean copy);

/* Before cli_run_batch(): the manifest its list was read from (NULL: files
 * or a folder), so that text-mode messages name rows "MANIFEST:LINE"; with
 * @dry_run every row is checked (ba_batch_check()) and nothing written. */
void cli_batch_mode(const char *manifest, gboolean dry_run);

/* Ingest the photo on standard input as @name (ingest - --name NAME),
 * printed as one input of cli_run_batch(); -v adds the time taken on
 * stderr.  Returns the exit code. */
int cli_ingest_stream(ba_catalog *cat, const char *name, const ba_ingest_options *o);

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

int cmd_init(ba_catalog *cat, int argc, char **argv);
int cmd_client(ba_catalog *cat, int argc, char **argv);
int cmd_session(ba_catalog *cat, int argc, char **argv);
int cmd_comparison(ba_catalog *cat, int argc, char **argv);
int cmd_area(ba_catalog *cat, int argc, char **argv);
int cmd_ingest(ba_catalog *cat, int argc, char **argv);
int cmd_list(ba_catalog *cat, int argc, char **argv);
int cmd_show(ba_catalog *cat, int argc, char **argv);
int cmd_align(ba_catalog *cat, int argc, char **argv);
int cmd_batch(ba_catalog *cat, int argc, char **argv);
int cmd_verify(ba_catalog *cat, int argc, char **argv);
int cmd_compare(ba_catalog *cat, int argc, char **argv);
int cmd_ghost(ba_catalog *cat, int argc, char **argv);
int cmd_detect(ba_catalog *cat, int argc, char **argv);
/* The detection object of docs/json/detection.json into @b (photo @photo_id, or
 * @file when not NULL); the server answers the same. */
void cli_detection_json(JsonBuilder *b, gint64 photo_id, const char *file,
                        const ba_detection *d);
int cmd_consent(ba_catalog *cat, int argc, char **argv);
int cmd_export(ba_catalog *cat, int argc, char **argv);
/* 'export verify' and 'export key' (cmd_export_verify.c): cli_export_sub()
 * says whether argv names one, cmd_export_sub() runs it. */
const char *cli_export_sub(int argc, char **argv);
int cmd_export_sub(ba_catalog *cat, const char *sub, int argc, char **argv);
int cmd_audit(ba_catalog *cat, int argc, char **argv);
int cmd_backup(ba_catalog *cat, int argc, char **argv);
int cmd_restore(ba_catalog *cat, int argc, char **argv);
int cmd_settings(ba_catalog *cat, int argc, char **argv);
int cmd_user(ba_catalog *cat, int argc, char **argv);
int cmd_serve(ba_catalog *cat, int argc, char **argv);
/* audit --access: print the access log of @user / @client (NULL = all). */
int cli_audit_access(ba_catalog *cat, const char *user, const char *client);
/* client export|erase (cmd_client_record.c), dispatched from cmd_client. */
int cmd_client_record(ba_catalog *cat, int argc, char **argv);
int cmd_photo(ba_catalog *cat, int argc, char **argv);

/* Print export @e (with its @n @items) as one to take down: a text or JSON
 * line appended to the GString @ud, or printed when @ud is NULL.  A
 * ba_export_fn for ba_consent_revoke() and ba_consent_takedown_list(). */
int cli_print_takedown(const ba_export_record *e, const ba_export_item *items, int n, void *ud);

#endif
