/* Embedding libbeforeafter: create (or open) a library, add a client, ingest
 * one photo, list the client's photos.
 *
 *   cc embed.c $(pkg-config --cflags --libs beforeafter) -o embed
 *   ./embed LIBRARY PHOTO [CLIENT]
 *
 * Every call reports failure through a ba_error: one line naming the object
 * and the cause, and a code to switch on. */
#include <beforeafter/beforeafter.h>
#include <inttypes.h>
#include <stdio.h>

static int print_photo(const ba_photo *p, void *ud)
{
    (void)ud;
    printf("photo %" PRId64 " client %s area %s session %d %s stage %s %dx%d master %s\n", p->id,
           p->client, p->area, p->session_number, p->session_date, p->stage, p->width, p->height,
           p->master_sha256);
    return 0; /* non-zero would stop the listing */
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIBRARY PHOTO [CLIENT]\n", argv[0]);
        return 2;
    }
    const char *client = argc > 3 ? argv[3] : "C-0001";
    ba_error err;
    if (ba_init(argv[0], &err)) { /* once per process, before anything else */
        fprintf(stderr, "embed: %s\n", err.message);
        return 1;
    }
    int rc = 1;
    ba_catalog *cat = ba_catalog_open(argv[1], &err);
    if (!cat)
        cat = ba_catalog_create(argv[1], &err);
    if (!cat)
        goto out;
    ba_client known;
    if (ba_catalog_client_get(cat, client, &known, &err) &&
        (err.code != BA_ERR_NOT_FOUND || ba_catalog_client_add(cat, client, NULL, NULL, &err)))
        goto out;
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.client = client;
    o.area = "cheeks";
    o.stage = "before";
    o.date = "2026-01-15"; /* the session date; without it, the photo's EXIF date */
    ba_ingest_result r;
    if (ba_ingest_file(cat, argv[2], &o, &r, &err))
        goto out;
    printf("%s %s -> photo %" PRId64 "\n",
           r.status == BA_INGEST_DUPLICATE ? "duplicate" : "ingested", argv[2], r.photo_id);
    ba_photo_filter f = {.client = client};
    if (ba_catalog_photo_list(cat, &f, print_photo, NULL, &err))
        goto out;
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "embed: %s\n", err.message);
    ba_catalog_close(cat);
    ba_shutdown();
    return rc;
}
