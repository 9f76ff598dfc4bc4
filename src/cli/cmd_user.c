/* beforeafter user add|list|disable|passwd|role
 *
 * Accounts for `serve`.  A password is read from the terminal with echo off
 * (asked twice) or, with --password-stdin, as the first line of stdin —
 * never from argv, where every user of the machine can read it in ps. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static int fail(const ba_error *err)
{
    cli_report_error(NULL, err);
    return cli_exit_for(err, CLI_ABOUT_INPUT);
}

/* One line from @f without its line end, at most BA_PASSWORD_MAX + 1 bytes
 * (longer is refused by the library); NULL at end of input. */
static char *read_line(FILE *f)
{
    char buf[BA_PASSWORD_MAX + 3];
    if (!fgets(buf, sizeof buf, f))
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return g_strdup(buf);
}

/* Ask for a secret on the terminal with echo off. */
static char *ask(FILE *tty, const char *prompt)
{
    struct termios old, quiet;
    int fd = fileno(tty);
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fputs(prompt, stderr);
    fflush(stderr);
    char *line = read_line(tty);
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    fputc('\n', stderr);
    return line;
}

/* The new password, from stdin or the terminal; NULL (after saying why)
 * when there is none. */
static char *get_password(gboolean from_stdin)
{
    if (from_stdin) {
        char *pw = read_line(stdin);
        if (!pw)
            cli_error("no password on standard input");
        return pw;
    }
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) {
        cli_error("no terminal to ask for the password; use --password-stdin");
        return NULL;
    }
    char *pw = ask(tty, "New password: ");
    char *again = pw ? ask(tty, "Repeat it: ") : NULL;
    fclose(tty);
    if (!pw || !again || strcmp(pw, again) != 0) {
        cli_error("the passwords do not match");
        if (pw)
            memset(pw, 0, strlen(pw));
        g_free(pw);
        pw = NULL;
    }
    if (again)
        memset(again, 0, strlen(again));
    g_free(again);
    return pw;
}

static void wipe(char *pw)
{
    if (pw)
        memset(pw, 0, strlen(pw));
    g_free(pw);
}

static int print_user(const ba_user *u, void *ud)
{
    (void)ud;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "user");
        json_builder_set_member_name(b, "user_id");
        json_builder_add_int_value(b, u->id);
        cli_json_str(b, "user", u->name);
        cli_json_str(b, "role", ba_access_role_name(u->role));
        cli_json_str(b, "created_at", u->created_at);
        cli_json_str(b, "disabled_at", u->disabled_at[0] ? u->disabled_at : NULL);
        json_builder_set_member_name(b, "active_sessions");
        json_builder_add_int_value(b, u->active_sessions);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet) {
        cli_say("%-24s %-10s %s%s\n", u->name, ba_access_role_name(u->role),
                u->disabled_at[0] ? "disabled " : "active", u->disabled_at);
    }
    return 0;
}

/* After a change: the user as they now are (JSON) or @done (text). */
static int report(ba_catalog *cat, const char *name, const char *done)
{
    ba_error err;
    ba_user u;
    if (g_cli.json) {
        if (ba_access_user_get(cat, name, &u, &err))
            return fail(&err);
        print_user(&u, NULL);
    } else {
        cli_say("%s %s\n", done, name);
    }
    return EXIT_OK;
}

static int role_of(const char *name, ba_role *out)
{
    int r = ba_access_role_parse(name);
    if (r < 0)
        return cli_usage("user", "unknown role '%s'; say admin, provider or marketing",
                         name ? name : "");
    *out = (ba_role)r;
    return EXIT_OK;
}

static int user_add(ba_catalog *cat, int argc, char **argv)
{
    char *role = NULL;
    gboolean from_stdin = FALSE;
    const GOptionEntry entries[] = {
        {"role", 0, 0, G_OPTION_ARG_STRING, &role, "admin, provider or marketing", "ROLE"},
        {"password-stdin", 0, 0, G_OPTION_ARG_NONE, &from_stdin,
         "Read the password from the first line of stdin", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    ba_role r = BA_ROLE_PROVIDER;
    if (!cli_parse(&argc, &argv, entries, "add NAME --role ROLE [--password-stdin]",
                   "Add an account for the server (password of 12 characters or more).", NULL))
        rc = EXIT_USAGE;
    else if (argc != 3)
        rc = cli_usage("user", "'user add' takes exactly one NAME");
    else if (!role)
        rc = cli_usage("user", "say the role with --role admin|provider|marketing");
    else if ((rc = role_of(role, &r)) == EXIT_OK && (rc = cli_need_writable(cat)) == EXIT_OK) {
        ba_error err;
        char *pw = NULL;
        if (ba_access_user_name_check(argv[2], &err))
            rc = fail(&err);
        else if (!(pw = get_password(from_stdin)))
            rc = EXIT_USAGE;
        else if (ba_access_user_add(cat, argv[2], r, pw, &err))
            rc = fail(&err);
        else
            rc = report(cat, argv[2], "added user");
        wipe(pw);
    }
    g_free(role);
    return rc;
}

static int user_list(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "list", "List the server's accounts.", NULL))
        return EXIT_USAGE;
    if (argc != 2)
        return cli_usage("user", "'user list' takes no arguments");
    if (!cat)
        return cli_no_library();
    ba_error err;
    return ba_access_user_list(cat, print_user, NULL, &err) ? fail(&err) : EXIT_OK;
}

static int user_disable(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "disable NAME",
                   "Disable an account; its sessions end at once.", NULL))
        return EXIT_USAGE;
    if (argc != 3)
        return cli_usage("user", "'user disable' takes exactly one NAME");
    int rc = cli_need_writable(cat);
    if (rc != EXIT_OK)
        return rc;
    ba_error err;
    if (ba_access_user_disable(cat, argv[2], &err))
        return fail(&err);
    return report(cat, argv[2], "disabled user");
}

static int user_passwd(ba_catalog *cat, int argc, char **argv)
{
    gboolean from_stdin = FALSE;
    const GOptionEntry entries[] = {
        {"password-stdin", 0, 0, G_OPTION_ARG_NONE, &from_stdin,
         "Read the password from the first line of stdin", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!cli_parse(&argc, &argv, entries, "passwd NAME [--password-stdin]",
                   "Set an account's password; its sessions end.", NULL))
        return EXIT_USAGE;
    if (argc != 3)
        return cli_usage("user", "'user passwd' takes exactly one NAME");
    int rc = cli_need_writable(cat);
    if (rc != EXIT_OK)
        return rc;
    ba_error err;
    ba_user u;
    if (ba_access_user_get(cat, argv[2], &u, &err))
        return fail(&err);
    char *pw = get_password(from_stdin);
    if (!pw)
        return EXIT_USAGE;
    rc = ba_access_user_passwd(cat, argv[2], pw, &err) ? fail(&err)
                                                        : report(cat, argv[2], "new password for");
    wipe(pw);
    return rc;
}

static int user_role(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "role NAME ROLE",
                   "Change an account's role; its sessions end.", NULL))
        return EXIT_USAGE;
    if (argc != 4)
        return cli_usage("user", "'user role' takes a NAME and a ROLE");
    ba_role r = BA_ROLE_PROVIDER;
    int rc = role_of(argv[3], &r);
    if (rc == EXIT_OK)
        rc = cli_need_writable(cat);
    if (rc != EXIT_OK)
        return rc;
    ba_error err;
    if (ba_access_user_role(cat, argv[2], r, &err))
        return fail(&err);
    return report(cat, argv[2], "changed the role of");
}

typedef struct user_sub {
    const char *name;
    int (*run)(ba_catalog *cat, int argc, char **argv);
} user_sub;

static const user_sub SUBS[] = {
    {"add", user_add},       {"list", user_list}, {"disable", user_disable},
    {"passwd", user_passwd}, {"role", user_role},
};

int cmd_user(ba_catalog *cat, int argc, char **argv)
{
    /* The subcommand is the first word that is not an option; its own
     * cli_parse() leaves it in argv[1]. */
    const char *sub = NULL;
    for (int i = 1; i < argc && !sub; i++) {
        if (strcmp(argv[i], "--library") == 0 || strcmp(argv[i], "--role") == 0)
            i++; /* the options that take a separate value */
        else if (argv[i][0] != '-')
            sub = argv[i];
    }
    for (size_t k = 0; sub && k < G_N_ELEMENTS(SUBS); k++)
        if (strcmp(sub, SUBS[k].name) == 0)
            return SUBS[k].run(cat, argc, argv);
    if (!sub && !cli_parse(&argc, &argv, NULL, "add|list|disable|passwd|role ...",
                           "Manage the accounts of the server.", NULL))
        return EXIT_USAGE;
    return sub ? cli_usage("user", "unknown subcommand '%s'; say add, list, disable, passwd or role",
                           sub)
               : cli_usage("user", "say add, list, disable, passwd or role");
}
