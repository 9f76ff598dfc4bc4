/* beforeafter: command table and dispatch.  Commands live one per file. */
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int cmd_help(ba_catalog *cat, int argc, char **argv);

/* Each command says what it needs of the library; main opens it once.  Its
 * help (usage, options, description) lives beside it, in its cli_parse()
 * call: 'beforeafter help CMD' is 'beforeafter CMD --help'. */
static const cli_command COMMANDS[] = {
    {"help", "show a command's help ('help COMMAND')", CLI_NO_LIBRARY, cmd_help},
    /* init writes an existing library's time zone; it creates a new one itself. */
    {"init", "create a library folder", CLI_WRITES, cmd_init},
    {"client", "add, list, show, rename, correct or merge clients", CLI_WRITES_OR_READS,
     cmd_client},
    {"session", "show or correct a session (treatment, provider, notes)", CLI_WRITES_OR_READS,
     cmd_session},
    {"comparison", "delete a comparison (its render goes, exports keep theirs)", CLI_WRITES,
     cmd_comparison},
    {"area", "add or list treatment areas", CLI_WRITES_OR_READS, cmd_area},
    {"ingest", "ingest photos: strip metadata, orient, convert to sRGB, store", CLI_WRITES,
     cmd_ingest},
    {"list", "list photos", CLI_READS, cmd_list},
    {"show", "show one photo and its capture conditions", CLI_READS, cmd_show},
    {"photo", "correct, retract or restore a photo", CLI_WRITES, cmd_photo},
    {"align", "align a photo onto a reference photo", CLI_WRITES, cmd_align},
    {"batch", "ingest a manifest or a folder of photos, in parallel and resumably", CLI_WRITES,
     cmd_batch},
    {"compare", "render an aligned, labelled comparison of photos", CLI_WRITES, cmd_compare},
    {"ghost", "write a faint overlay of a photo to frame the next session", CLI_READS,
     cmd_ghost},
    {"detect", "find the face and eyes in a photo (box, centres, confidence)", CLI_READS,
     cmd_detect},
    {"verify", "check the library and its catalog agree; --repair", CLI_WRITES_OR_READS,
     cmd_verify},
    {"consent", "grant, revoke or list a client's consent to education/marketing use",
     CLI_WRITES_OR_READS, cmd_consent},
    {"export", "export comparisons for a purpose, after the consent check", CLI_WRITES,
     cmd_export},
    {"audit", "the audit log and the exports to take down", CLI_READS, cmd_audit},
    {"backup", "copy the library, consistently, while others keep writing", CLI_READS,
     cmd_backup},
    {"restore", "make a new library from a backup", CLI_NO_LIBRARY, cmd_restore},
    {"settings", "show or set the library's settings (retention-years)", CLI_WRITES_OR_READS,
     cmd_settings},
    {"user", "add, list, disable or change the accounts of the server", CLI_WRITES_OR_READS,
     cmd_user},
    {"serve", "serve the library over HTTPS to the web app (accounts: 'user')", CLI_WRITES,
     cmd_serve},
};

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: beforeafter [--library DIR] [--json] [-q|-v] COMMAND [OPTIONS] [ARGS]\n\n"
            "Clinical before/after photo documentation.\n\nCommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(COMMANDS); i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out,
            "\nGlobal options (before or after the command):\n"
            "  --library DIR   the library folder (else $BEFOREAFTER_LIBRARY, else .)\n"
            "  --json          one JSON object per result line\n"
            "  -q, --quiet     print only errors\n"
            "  -v, --verbose   print more\n"
            "  -h, --help      help (also 'beforeafter help COMMAND', 'beforeafter COMMAND --help')\n"
            "  --version       print the version\n\n"
            "Exit codes: 0 done, 1 some inputs failed, 2 usage error, 3 library unusable.\n");
}

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(COMMANDS); i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

/* beforeafter help [COMMAND | --commands]: the command's own --help, the
 * overview, or the command names one per line (for completion and tests). */
static int cmd_help(ba_catalog *cat, int argc, char **argv)
{
    gboolean names = FALSE;
    const GOptionEntry entries[] = {
        {"commands", 0, 0, G_OPTION_ARG_NONE, &names, "List the command names, one per line",
         NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!cli_parse(&argc, &argv, entries, "[COMMAND]",
                   "Show the help of COMMAND (the same as 'beforeafter COMMAND --help'), or the "
                   "list of commands.",
                   NULL))
        return EXIT_USAGE;
    if (names) {
        for (size_t i = 0; i < G_N_ELEMENTS(COMMANDS); i++)
            printf("%s\n", COMMANDS[i].name);
        return EXIT_OK;
    }
    if (argc < 2) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (argc > 2)
        return cli_usage("help", "give one command, not %d", argc - 1);
    const cli_command *cmd = find_command(argv[1]);
    if (!cmd)
        return cli_usage("help", "unknown command '%s'", argv[1]);
    char *sub_argv[] = {g_strdup_printf("beforeafter %s", cmd->name), (char *)"--help", NULL};
    g_set_prgname(sub_argv[0]); /* GOption's "Usage:" line names the program so */
    int rc = cmd->run(cat, 2, sub_argv); /* GOption prints the help and exits */
    g_free(sub_argv[0]);
    return rc;
}

/* The "kind" of the JSON objects a command prints when it names none: the
 * command's name, or what its results are (docs/JSON.md).  A command that
 * prints several kinds names them itself. */
static const char *json_kind_of(const char *command)
{
    static const char *const KINDS[][2] = {
        {"init", "library"},   {"list", "photo"},      {"show", "photo"},
        {"align", "alignment"}, {"compare", "comparison"}, {"verify", "problem"},
        {"consent", "consent"}, {"client", "client"},  {"area", "area"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(KINDS); i++)
        if (strcmp(KINDS[i][0], command) == 0)
            return KINDS[i][1];
    return command;
}

/* What main finds on the command line before any command parses it. */
typedef struct scan {
    int cmd_index;       /* the command's name, -1 when none */
    const char *library; /* the last --library value, NULL when none */
    gboolean help, version;
} scan;

/* The command is the first argument that is neither an option nor the value
 * of --library; --library may come after it too, and the library is opened
 * before the command parses its options. */
static scan scan_args(int argc, char **argv)
{
    scan s = {.cmd_index = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strcmp(a, "--library") == 0) {
            if (i + 1 < argc)
                s.library = argv[i + 1];
            i++;
            continue;
        }
        if (strncmp(a, "--library=", 10) == 0) {
            s.library = a + 10;
            continue;
        }
        if (a[0] == '-') {
            if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
                s.help = TRUE;
            else if (strcmp(a, "--version") == 0)
                s.version = TRUE;
            continue;
        }
        if (s.cmd_index < 0)
            s.cmd_index = i;
    }
    return s;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
#ifdef __GLIBC__
    /* Batches decode photos on several threads: two malloc arenas keep the
     * memory of freed photos reusable instead of spread over one per thread. */
    mallopt(M_ARENA_MAX, 2);
#endif
    scan s = scan_args(argc, argv);
    int cmd_index = s.cmd_index;
    gboolean want_help = s.help, want_version = s.version;
    if (cmd_index < 0) {
        if (want_version) {
            printf("beforeafter %s\n", ba_version());
            return EXIT_OK;
        }
        if (want_help) {
            print_help(stdout);
            return EXIT_OK;
        }
        print_help(stderr);
        return EXIT_USAGE;
    }
    const cli_command *cmd = find_command(argv[cmd_index]);
    if (!cmd) {
        cli_error("unknown command '%s'; see 'beforeafter --help'", argv[cmd_index]);
        return EXIT_USAGE;
    }

    ba_error err;
    if (ba_init(argv[0], &err)) {
        cli_error("%s", err.message);
        return EXIT_LIBRARY;
    }
    /* The command sees every other argument, globals included. */
    int sub_argc = argc - 1;
    char **sub_argv = g_new0(char *, argc + 1);
    sub_argv[0] = g_strdup_printf("beforeafter %s", cmd->name);
    for (int i = 1, j = 1; i < argc; i++)
        if (i != cmd_index)
            sub_argv[j++] = argv[i];
    char *argv0 = sub_argv[0];
    cli_set_library_dir(s.library);
    g_cli.json_kind = json_kind_of(cmd->name);
    /* Help needs no library; otherwise open it once, as the command needs it. */
    ba_catalog *cat = want_help || want_version ? NULL : cli_library_open(cmd->needs);
    int rc = cmd->run(cat, sub_argc, sub_argv);
    ba_catalog_close(cat);
    g_free(argv0);
    g_free(sub_argv);
    g_free(g_cli.library);
    ba_shutdown();
    return rc;
}
