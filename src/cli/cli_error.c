/* Errors of the library as this program shows them: one line with the hint
 * worded in our options, and one table from error code to exit code. */
#include <stdio.h>

#include "cli.h"

/* Exit codes by error code and by what the failed call was about
 * (docs/CLI.md).  About the library as a whole, only a usage error is not
 * "the library cannot be used"; about a file the command was given itself,
 * a bad file is a bad argument. */
static const int EXIT_TABLE[BA_ERR_COUNT_][3] = {
    /*                      input         argument      library */
    [BA_OK] = {EXIT_OK, EXIT_OK, EXIT_OK},
    [BA_ERR_USAGE] = {EXIT_USAGE, EXIT_USAGE, EXIT_USAGE},
    [BA_ERR_IO] = {EXIT_PARTIAL, EXIT_USAGE, EXIT_LIBRARY},
    [BA_ERR_NOSPACE] = {EXIT_PARTIAL, EXIT_PARTIAL, EXIT_LIBRARY},
    [BA_ERR_FORMAT] = {EXIT_PARTIAL, EXIT_USAGE, EXIT_LIBRARY},
    [BA_ERR_CORRUPT] = {EXIT_PARTIAL, EXIT_USAGE, EXIT_LIBRARY},
    [BA_ERR_TOO_LARGE] = {EXIT_PARTIAL, EXIT_USAGE, EXIT_LIBRARY},
    [BA_ERR_NOT_FOUND] = {EXIT_USAGE, EXIT_USAGE, EXIT_LIBRARY},
    [BA_ERR_EXISTS] = {EXIT_USAGE, EXIT_USAGE, EXIT_LIBRARY},
    [BA_ERR_NO_DATE] = {EXIT_PARTIAL, EXIT_USAGE, EXIT_LIBRARY},
    [BA_ERR_CATALOG] = {EXIT_LIBRARY, EXIT_LIBRARY, EXIT_LIBRARY},
    [BA_ERR_BUSY] = {EXIT_LIBRARY, EXIT_LIBRARY, EXIT_LIBRARY},
    [BA_ERR_NOMEM] = {EXIT_PARTIAL, EXIT_PARTIAL, EXIT_LIBRARY},
    [BA_ERR_INTERNAL] = {EXIT_PARTIAL, EXIT_PARTIAL, EXIT_LIBRARY},
    [BA_ERR_REFUSED] = {EXIT_PARTIAL, EXIT_USAGE, EXIT_LIBRARY},
    [BA_ERR_AUTH] = {EXIT_USAGE, EXIT_USAGE, EXIT_USAGE},
    [BA_ERR_FORBIDDEN] = {EXIT_USAGE, EXIT_USAGE, EXIT_USAGE},
    [BA_ERR_THROTTLED] = {EXIT_USAGE, EXIT_USAGE, EXIT_USAGE},
};

int cli_exit_for(const ba_error *err, cli_about about)
{
    if (err->code <= BA_OK || err->code >= BA_ERR_COUNT_)
        return err->code == BA_OK ? EXIT_OK : EXIT_PARTIAL;
    return EXIT_TABLE[err->code][about];
}

/* The hint in this program's words: its commands and options.  NULL: none. */
static char *hint_text(ba_hint hint)
{
    switch (hint) {
    case BA_HINT_NONE:
    case BA_HINT_COUNT_:
        break;
    case BA_HINT_INIT:
        return g_strdup_printf("run 'beforeafter --library %s init' first", cli_library_dir());
    case BA_HINT_ADD_CLIENT:
        return g_strdup("add it with 'beforeafter client add CODE'");
    case BA_HINT_GIVE_DATE:
        return g_strdup("pass the session date with --date YYYY-MM-DD");
    case BA_HINT_GIVE_POINTS:
        return g_strdup("align by landmarks instead (--points)");
    case BA_HINT_RAISE_PIXEL_LIMIT:
        return g_strdup("raise --max-megapixels for a file you trust");
    case BA_HINT_CONFIRM_MIXED:
        return g_strdup("pass --force if this is meant");
    case BA_HINT_RUN_VERIFY:
        return g_strdup("'beforeafter verify' tells more");
    case BA_HINT_MAKE_COMPARISON:
        return g_strdup("make one with 'beforeafter compare'");
    case BA_HINT_ALLOW_UNALIGNED:
        return g_strdup("align them by landmarks ('beforeafter align --points') or render "
                        "with --no-align");
    case BA_HINT_ALLOW_WARNINGS:
        return g_strdup("render without --strict to accept the warnings");
    case BA_HINT_GIVE_EYES:
        return g_strdup("give --eyes X1,Y1,X2,Y2 (blur-face: or --face X,Y,W,H)");
    case BA_HINT_PHOTO_SET:
        return g_strdup("correct the stored photo with 'beforeafter photo set ID --area/--stage/"
                        "--view', or ingest again with --add-area to add the areas");
    case BA_HINT_ADD_AREA:
        return g_strdup("add one with 'beforeafter area add NAME'");
    case BA_HINT_OVERRIDE_RETENTION:
        return g_strdup("pass --override-retention REASON to erase it anyway");
    case BA_HINT_CONFIRM_ERASE:
        return g_strdup("repeat the client's code exactly with --confirm CODE");
    case BA_HINT_SESSION_SET:
        return g_strdup("correct it with 'beforeafter session set ID --treatment TEXT'");
    case BA_HINT_GIVE_ROI:
        return g_strdup("give the treatment area with --roi X,Y,W,H (reference master pixels)");
    }
    return NULL;
}

char *cli_error_text(const ba_error *err)
{
    char *hint = hint_text(err->hint);
    char *text = g_strconcat(err->message, hint ? "; " : "", hint, NULL);
    g_free(hint);
    return text;
}

void cli_report_error(const char *prefix, const ba_error *err)
{
    char *text = cli_error_text(err);
    cli_error("%s%s%s", prefix ? prefix : "", prefix ? ": " : "", text);
    g_free(text);
}
