/* beforeafter serve: the clinic's server over this library (src/server/). */
#include "cli.h"
#include "server/server.h"

/* The fingerprint a browser will show for the certificate serve would use,
 * so that a script (the demo) can tell people what to check before they
 * trust it; the self-signed certificate is made here if it is not there. */
static int print_fingerprint(ba_catalog *cat, const char *cert, const char *key)
{
    int rc = cert ? EXIT_OK : cli_need_writable(cat);
    if (rc != EXIT_OK)
        return rc;
    char fp[128];
    gboolean created = FALSE;
    GError *e = NULL;
    GTlsCertificate *c = srv_tls_certificate(ba_catalog_dir(cat), cert, key, fp, sizeof fp,
                                             &created, &e);
    if (!c) {
        fprintf(stderr, "beforeafter: serve: TLS certificate: %s\n", e->message);
        g_error_free(e);
        return EXIT_PARTIAL; /* as serve exits when it cannot start */
    }
    g_object_unref(c);
    printf("%s\n", fp);
    return EXIT_OK;
}

int cmd_serve(ba_catalog *cat, int argc, char **argv)
{
    char *listen = NULL, *cert = NULL, *key = NULL, *exports = NULL;
    gboolean insecure = FALSE, print_fp = FALSE;
    int max_upload = 64, max_conn = 256, workers = 0, idle = 30;
    const GOptionEntry entries[] = {
        {"listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address and port (127.0.0.1:8443)",
         "ADDR:PORT"},
        {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "PEM certificate (with --tls-key)",
         "FILE"},
        {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key, "PEM private key", "FILE"},
        {"insecure-http", 0, 0, G_OPTION_ARG_NONE, &insecure,
         "Plain HTTP, on a loopback address only", NULL},
        {"max-upload-mb", 0, 0, G_OPTION_ARG_INT, &max_upload, "Largest upload (64)", "MB"},
        {"max-connections", 0, 0, G_OPTION_ARG_INT, &max_conn, "Open connections at most (256)",
         "N"},
        {"workers", 0, 0, G_OPTION_ARG_INT, &workers, "Worker threads (the CPU count)", "N"},
        {"exports", 0, 0, G_OPTION_ARG_FILENAME, &exports,
         "Folder for exports made through the server (LIBRARY-exports)", "DIR"},
        {"idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle,
         "Drop a connection silent this long (30)", "SECONDS"},
        {"print-fingerprint", 0, 0, G_OPTION_ARG_NONE, &print_fp,
         "Print the certificate's SHA-256 fingerprint (making the self-signed one if there is "
         "none) and exit",
         NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    if (!cli_parse(&argc, &argv, entries, "[--listen ADDR:PORT] [--tls-cert F --tls-key F]",
                   "Serve the library over HTTPS to the web app and API clients.",
                   "HTTPS by default, with a self-signed certificate made on first start in\n"
                   "LIBRARY/server/ (its fingerprint is printed); plain HTTP only with\n"
                   "--insecure-http on a loopback address.  Stops cleanly on SIGTERM."))
        rc = EXIT_USAGE;
    else if (argc != 1)
        rc = cli_usage("serve", "'serve' takes no arguments");
    else if (!cert != !key)
        rc = cli_usage("serve", "give --tls-cert and --tls-key together");
    else if (max_upload < 1 || max_upload > 4096 || max_conn < 1 || idle < 1 || workers < 0)
        rc = cli_usage("serve", "--max-upload-mb is 1..4096; connections, idle timeout >= 1");
    else if (print_fp)
        rc = print_fingerprint(cat, cert, key);
    else if ((rc = cli_need_writable(cat)) == EXIT_OK) {
        srv_options o = {
            .library = ba_catalog_dir(cat),
            .listen = listen ? listen : "127.0.0.1:8443",
            .tls_cert = cert,
            .tls_key = key,
            .insecure_http = insecure,
            .max_upload_mb = max_upload,
            .max_connections = max_conn,
            .workers = workers > 0 ? workers : (int)g_get_num_processors(),
            .idle_timeout_s = idle,
            .exports = exports,
        };
        rc = srv_run(&o);
    }
    g_free(listen);
    g_free(cert);
    g_free(key);
    g_free(exports);
    return rc;
}
