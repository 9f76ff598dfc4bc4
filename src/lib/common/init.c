/* Library start-up: libvips, loader policy, warning routing. */
#include "beforeafter/beforeafter.h"

#include <glib.h>
#include <sodium.h>
#include <vips/vips.h>

#include "ba_version_gen.h"

/* The only loaders a photo may go through; every other one is blocked. */
static const char *const ALLOWED_LOADERS[] = {
    "VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadHeif",
    "VipsForeignLoadTiff", "VipsForeignLoadWebp", NULL,
};

static GPrivate last_warning = G_PRIVATE_INIT(g_free);

static void vips_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message,
                             gpointer ud)
{
    (void)domain;
    (void)level;
    (void)ud;
    g_private_replace(&last_warning, g_strdup(message));
}

const char *ba_last_warning(void)
{
    const char *w = g_private_get(&last_warning);
    return w ? w : "";
}

const char *ba_version(void)
{
    return BA_VERSION_STRING;
}

int ba_init(const char *argv0, ba_error *err)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        int rc = vips_init(argv0 ? argv0 : "beforeafter");
        if (rc == 0) {
            vips_block_untrusted_set(TRUE);
            vips_operation_block_set("VipsForeignLoad", TRUE);
            for (int i = 0; ALLOWED_LOADERS[i]; i++)
                vips_operation_block_set(ALLOWED_LOADERS[i], FALSE);
            /* Photos are processed once: the operation cache would only hold memory. */
            vips_cache_set_max(0);
            g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, vips_log_handler,
                              NULL);
        }
        /* Password hashes and session tokens (access/) need libsodium's RNG. */
        if (rc == 0 && sodium_init() < 0)
            rc = -1;
        g_once_init_leave(&done, rc == 0 ? 1 : 2);
    }
    if (done != 1) {
        ba_error_set(err, BA_ERR_INTERNAL, "cannot start libvips or libsodium: %s",
                     vips_error_buffer());
        return -1;
    }
    return 0;
}

void ba_shutdown(void)
{
    vips_shutdown();
}
