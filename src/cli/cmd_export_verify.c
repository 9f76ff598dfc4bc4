/* beforeafter export verify DIR | export key: the signed provenance of exports. */
#include <string.h>

#include "cli.h"

static void json_key(JsonBuilder *b, const ba_export_key *k)
{
    cli_json_str(b, "algorithm", "Ed25519");
    cli_json_str(b, "public_key", k->public_key_base64);
    cli_json_str(b, "key_fingerprint", k->fingerprint);
}

static int export_key(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "key",
                   "Show the library's export-signing key (Ed25519): its public key and\n"
                   "fingerprint, the SHA-256 of the 32 key bytes.  Made when missing (the first\n"
                   "export also makes it); never replaced.",
                   "Every export.json names this key and is signed with it (export.json.sig);\n"
                   "give the fingerprint to whoever checks your exports."))
        return EXIT_USAGE;
    if (argc != 2)
        return cli_usage("export", "'export key' takes no arguments");
    if (!cat)
        return cli_no_library();
    ba_export_key k;
    ba_error err;
    if (ba_consent_export_key(cat, true, &k, &err)) {
        cli_report_error("export", &err);
        return cli_exit_for(&err, CLI_ABOUT_LIBRARY);
    }
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "export-key");
        json_key(b, &k);
        json_builder_set_member_name(b, "created");
        json_builder_add_boolean_value(b, k.created);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        cli_say("export key Ed25519%s\n", k.created ? " (made now)" : "");
        cli_say("  public key   %s\n", k.public_key_base64);
        cli_say("  fingerprint  %s\n", k.fingerprint);
    }
    return EXIT_OK;
}

static int export_verify(int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "verify DIR",
                   "Check an export folder: the Ed25519 signature (export.json.sig) over\n"
                   "export.json, then that every image it lists is there with exactly the listed\n"
                   "size and SHA-256, and that nothing unlisted is in the folder.  Needs no\n"
                   "library; with --library, the manifest must also be signed with that\n"
                   "library's own key.",
                   "Exit codes: 0 ok, 1 the export does not verify (one line names the first\n"
                   "failure), 2 usage error."))
        return EXIT_USAGE;
    if (argc != 3)
        return cli_usage("export", "'export verify' takes one export folder");
    const char *dir = argv[2];
    ba_export_key lib;
    const unsigned char *required = NULL;
    ba_error err;
    ba_export_verify_result r;
    memset(&r, 0, sizeof r);
    int rc = 0;
    /* Only a library named on the command line: a folder that merely
     * happens to be one (the current one) is not asked to vouch. */
    if (g_cli.library && *g_cli.library) {
        rc = ba_consent_export_key_read(g_cli.library, &lib, &err);
        required = lib.public_key;
    }
    if (rc == 0)
        rc = ba_consent_export_verify(dir, required, &r, &err);
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_json_str(b, "kind", "export-verify");
        cli_json_str(b, "folder", dir);
        json_builder_set_member_name(b, "export_id");
        if (r.export_id)
            json_builder_add_int_value(b, r.export_id);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, rc == 0);
        json_builder_set_member_name(b, "images");
        json_builder_add_int_value(b, r.n_images);
        cli_json_str(b, "key_fingerprint", r.fingerprint);
        json_builder_set_member_name(b, "library_key");
        json_builder_add_boolean_value(b, rc == 0 && r.library_key);
        char *problem = rc ? cli_error_text(&err) : NULL;
        cli_json_str(b, "problem", problem);
        g_free(problem);
        json_builder_end_object(b);
        cli_json_line(b);
    }
    if (rc) {
        cli_report_error("export verify", &err);
        return err.code == BA_ERR_USAGE ? EXIT_USAGE : EXIT_PARTIAL;
    }
    if (!g_cli.json)
        cli_say("export %" G_GINT64_FORMAT ": ok (%d image(s); signed by key %.16s…%s)\n",
                r.export_id, r.n_images, r.fingerprint,
                r.library_key ? ", the library's own" : "");
    return EXIT_OK;
}

/* "verify" or "key" when it is the first word after the global options. */
const char *cli_export_sub(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--library") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--library=", 10) == 0 || strcmp(a, "--json") == 0 ||
            strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0 || strcmp(a, "-v") == 0 ||
            strcmp(a, "--verbose") == 0)
            continue;
        return strcmp(a, "verify") == 0 || strcmp(a, "key") == 0 ? a : NULL;
    }
    return NULL;
}

int cmd_export_sub(ba_catalog *cat, const char *sub, int argc, char **argv)
{
    return strcmp(sub, "key") == 0 ? export_key(cat, argc, argv) : export_verify(argc, argv);
}
