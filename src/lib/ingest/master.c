/* Ingest: the master written (stripped JPEG, hashed while written) and moved
 * into place under the catalog's write lock. */
#include "beforeafter/beforeafter.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "ingest/fault.h"
#include "library/errors.h"
#include "library/paths.h"
#include "library/place.h"

#include "ingest/internal.h"

/* ---- the master writer: a vips target into a placement, hashed as written */

static gint64 on_target_write(VipsTargetCustom *target, const void *data, gint64 length,
                              void *ud)
{
    (void)target;
    ba_place_file *f = ud;
    if (!f->write_errno && ba_fault_write_fails())
        f->write_errno = ENOSPC;
    return ba_place_write(f, data, (size_t)length) ? -1 : length;
}

/* ---- the thumbnail's pixels, summed as the master's pass by ------------------ */

/* The master's encoder pulls every row of the upright sRGB pixels once, in
 * strips; a pass-through stage in front of it adds each row into the sums
 * of its @block x @block boxes.  Once the master is written, the box means
 * are the master's 1/@block image without decoding anything again: what a
 * thumbnail is made from (see make_thumbnail() in ingest.c).  The encoder
 * asks for strips, or for tiles when the photo was rotated: any rectangle
 * is summed, and the sums are used only when every pixel came by exactly
 * once.  Bounded: the sums take 4/(block*block) bytes per pixel byte. */
typedef struct thumb_sums {
    GMutex lock;         /* the encoder's workers fill different parts */
    int w, h, bands, block;
    int bw, bh;          /* boxes across and down (the last ones may be partial) */
    guint32 *sum;        /* bh * bw * bands */
    int *row_px;         /* per row: pixels added (each must come by exactly once) */
    bool broken;         /* a pixel came by twice: the sums are not the image's */
} thumb_sums;

/* @col[i] += @p[i], 16 at a time (GCC's and clang's vector extensions: at
 * -O2 the compiler does not vectorize this loop itself, and it is most of
 * the cost of a thumbnail). */
typedef guint8 u8x16 __attribute__((vector_size(16)));
typedef guint16 u16x16 __attribute__((vector_size(32)));

static void add_bytes(guint16 *col, const VipsPel *p, int n)
{
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        u8x16 b;
        u16x16 c;
        memcpy(&b, p + i, sizeof b);
        memcpy(&c, col + i, sizeof c);
        c += __builtin_convertvector(b, u16x16);
        memcpy(col + i, &c, sizeof c);
    }
    for (; i < n; i++)
        col[i] += p[i];
}

/* The box sums of region @ir's rectangle @r into @box (zeroed; the boxes
 * from the one holding @r's top left, @nbx across): the rows of each band
 * of boxes summed first, in columns, then each box's columns. */
static void sum_rect(const thumb_sums *t, VipsRegion *ir, const VipsRect *r, int by0, int nbx,
                     guint32 *box)
{
    const int nb = t->bands, bl = t->block, n = r->width * nb;
    guint16 *col = g_new(guint16, n);
    for (int y = r->top, end = r->top + r->height; y < end;) {
        int stop = MIN(end, (y / bl + 1) * bl); /* the rows of this band of boxes */
        memset(col, 0, sizeof *col * n);
        for (; y < stop; y++)
            add_bytes(col, VIPS_REGION_ADDR(ir, r->left, y), n);
        guint32 *s = box + (size_t)((stop - 1) / bl - by0) * nbx * nb;
        const guint16 *c = col;
        for (int x = r->left, xend = r->left + r->width; x < xend; s += nb) {
            int bend = MIN(xend, (x / bl + 1) * bl); /* this box's columns */
            for (; x < bend; x++, c += nb)
                for (int k = 0; k < nb; k++)
                    s[k] += c[k];
        }
    }
    g_free(col);
}

static int tee_gen(VipsRegion *out, void *seq, void *a, void *b, gboolean *stop)
{
    (void)a;
    (void)stop;
    VipsRegion *ir = seq;
    thumb_sums *t = b;
    const VipsRect *r = &out->valid;
    if (vips_region_prepare(ir, r) || vips_region_region(out, ir, r, r->left, r->top))
        return -1;
    if (r->width <= 0 || r->height <= 0)
        return 0;
    const int bl = t->block, nb = t->bands;
    int bx0 = r->left / bl, by0 = r->top / bl;
    int nbx = (r->left + r->width - 1) / bl - bx0 + 1;
    int nby = (r->top + r->height - 1) / bl - by0 + 1;
    guint32 *box = g_new0(guint32, (size_t)nbx * nby * nb);
    sum_rect(t, ir, r, by0, nbx, box); /* outside the lock: the workers sum in parallel */
    g_mutex_lock(&t->lock);
    for (int y = r->top; y < r->top + r->height; y++) {
        t->row_px[y] += r->width;
        t->broken = t->broken || t->row_px[y] > t->w;
    }
    for (int by = 0; by < nby && !t->broken; by++) {
        guint32 *dst = t->sum + ((size_t)(by0 + by) * t->bw + bx0) * nb;
        const guint32 *src = box + (size_t)by * nbx * nb;
        for (int i = 0; i < nbx * nb; i++)
            dst[i] += src[i];
    }
    g_mutex_unlock(&t->lock);
    g_free(box);
    return 0;
}

/* The block the thumbnail's pixels are summed in: the DCT scale
 * ba_compose_photo_preview() decodes a master of @w x @h at, or 0 when it
 * decodes it whole (a small photo: the thumbnail is made from the master). */
static int thumb_block(int w, int h)
{
    double f = (double)BA_PREVIEW_THUMB / MAX(w, h);
    return f <= 0.125 ? 8 : f <= 0.25 ? 4 : f <= 0.5 ? 2 : 0;
}

/* @in passed through, its rows summed into a new *@sums (or @in itself and
 * no sums when the photo is small). */
static VipsImage *tee_sums(VipsImage *in, thumb_sums **sums)
{
    *sums = NULL;
    int block = thumb_block(in->Xsize, in->Ysize);
    if (!block || in->BandFmt != VIPS_FORMAT_UCHAR) {
        g_object_ref(in);
        return in;
    }
    thumb_sums *t = g_new0(thumb_sums, 1);
    g_mutex_init(&t->lock);
    t->w = in->Xsize;
    t->h = in->Ysize;
    t->bands = in->Bands;
    t->block = block;
    t->bw = (t->w + block - 1) / block;
    t->bh = (t->h + block - 1) / block;
    t->sum = g_new0(guint32, (size_t)t->bw * t->bh * t->bands);
    t->row_px = g_new0(int, t->h);
    VipsImage *out = vips_image_new();
    if (vips_image_pipelinev(out, VIPS_DEMAND_STYLE_THINSTRIP, in, NULL) ||
        vips_image_generate(out, vips_start_one, tee_gen, vips_stop_one, in, t)) {
        g_object_unref(out);
        vips_error_clear();
        ingest_thumb_sums_free(t);
        g_object_ref(in);
        return in;
    }
    *sums = t;
    return out;
}

void ingest_thumb_sums_free(thumb_sums *t)
{
    if (!t)
        return;
    g_mutex_clear(&t->lock);
    g_free(t->sum);
    g_free(t->row_px);
    g_free(t);
}

VipsImage *ingest_thumb_sums_image(thumb_sums *t)
{
    if (!t || t->broken)
        return NULL;
    for (int y = 0; y < t->h; y++)
        if (t->row_px[y] != t->w)
            return NULL; /* some pixels never came by: no thumbnail from these sums */
    size_t n = (size_t)t->bw * t->bh * t->bands;
    VipsPel *px = g_malloc(n);
    for (int by = 0; by < t->bh; by++) {
        int hh = MIN(t->block, t->h - by * t->block);
        for (int bx = 0; bx < t->bw; bx++) {
            guint32 cnt = (guint32)hh * MIN(t->block, t->w - bx * t->block);
            size_t o = ((size_t)by * t->bw + bx) * t->bands;
            for (int k = 0; k < t->bands; k++)
                px[o + k] = (VipsPel)((t->sum[o + k] + cnt / 2) / cnt);
        }
    }
    VipsImage *img = vips_image_new_from_memory_copy(px, n, t->bw, t->bh, t->bands,
                                                     VIPS_FORMAT_UCHAR);
    g_free(px);
    if (img)
        img->Type = VIPS_INTERPRETATION_sRGB;
    return img;
}

/* Decode, orient, convert and encode to a temporary file in LIBRARY/tmp,
 * hashing the encoded bytes on the way. */
int ingest_render_master(ba_catalog *cat, ingest_job *j, VipsImage *header,
                         const ba_ingest_options *o, ba_photo *p, char *warning, size_t wsize,
                         ba_error *err)
{
    VipsImage *rgb = NULL;
    int rc = -1;
    if (ingest_upright_srgb(j, header, &rgb, warning, wsize, err))
        return -1;

    char *tmpdir = ba_path_tmp_dir(ba_catalog_dir(cat));
    ba_place_file w;
    int e = ba_place_open_in(&w, tmpdir, "ingest", ".jpg", BA_MODE_FILE, true, NULL);
    g_free(tmpdir);
    if (e) {
        ba_errno_set(err, e, "%s: cannot create a temporary master in %s/" BA_DIR_TMP, j->name,
                     ba_catalog_dir(cat));
        goto out;
    }
    ba_fault_point("after-tmp-create");
    VipsTargetCustom *target = vips_target_custom_new();
    g_signal_connect(target, "write", G_CALLBACK(on_target_write), &w);
    int q = o->master_quality > 0 ? o->master_quality : BA_INGEST_DEFAULT_QUALITY;
    VipsImage *through = tee_sums(rgb, &j->thumb_sums);
    int saved = vips_jpegsave_target(through, VIPS_TARGET(target), "Q", q, "strip", TRUE,
                                     "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_OFF, NULL);
    g_object_unref(through);
    if (saved == 0)
        saved = vips_target_end(VIPS_TARGET(target));
    g_object_unref(target);
    if (saved != 0 && !w.write_errno)
        goto vips_failed;
    if (w.write_errno)
        vips_error_clear();
    e = ba_place_finish(&w, NULL); /* also returns the write error */
    if (e) {
        ba_errno_set(err, e, "%s: cannot write the master", j->name);
        goto out;
    }
    /* The job owns the finished temporary master until the store hook. */
    j->tmp_path = w.tmp_path;
    w.tmp_path = NULL;
    ba_fault_point("after-master-write");
    g_strlcpy(p->master_sha256, w.sha256, sizeof p->master_sha256);
    p->width = rgb->Xsize;
    p->height = rgb->Ysize;
    rc = 0;
    goto out;

vips_failed: {
    char *why = ingest_decode_cause(j->format, j->data, j->len);
    ba_error_set(err, BA_ERR_CORRUPT, "%s: the %s image data is truncated or corrupt: %s",
                 j->name, j->format ? j->format : "image", why);
    g_free(why);
}
out:
    ba_place_discard(&w);
    if (rgb)
        g_object_unref(rgb);
    return rc;
}

/* Leave a note naming the master about to be placed (its hash), beside the
 * temporary master, and synced: a kill between the rename and the commit
 * would otherwise leave a master no row names, in a library that must stay
 * consistent whatever instant a writer dies at. */
static int write_note(ingest_job *j, ba_error *err)
{
    char *dir = g_path_get_dirname(j->tmp_path);
    char *path = ba_path_tmp_template(dir, "master", NULL);
    g_free(dir);
    int fd = g_mkstemp_full(path, O_WRONLY | O_CLOEXEC, BA_MODE_FILE);
    char *base = g_path_get_basename(j->final_path);
    size_t len = strcspn(base, ".");
    bool ok = fd >= 0 && write(fd, base, len) == (ssize_t)len && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    g_free(base);
    if (!ok) {
        if (fd >= 0)
            g_unlink(path);
        g_free(path);
        ba_errno_set(err, e, "%s: cannot note the master being stored", j->name);
        return -1;
    }
    j->note_path = path;
    return 0;
}

void ingest_drop_note(ingest_job *j)
{
    if (j->note_path) {
        g_unlink(j->note_path);
        g_free(j->note_path);
        j->note_path = NULL;
    }
}

/* Runs under the catalog's write lock: move the master into place. */
int ingest_store_master(void *ud, ba_error *err)
{
    ingest_job *j = ud;
    int e = ba_place_make_parent(j->final_path, BA_MODE_DIR, NULL);
    if (e) {
        char *dir = g_path_get_dirname(j->final_path);
        ba_errno_set(err, e, "%s: cannot create %s", j->name, dir);
        g_free(dir);
        return -1;
    }
    /* Replaced, not kept: whatever stands at the name (a damaged master)
     * gives way to the bytes just written and hashed. */
    j->final_existed = g_file_test(j->final_path, G_FILE_TEST_EXISTS);
    if (!j->final_existed && write_note(j, err))
        return -1;
    bool moved = false;
    e = ba_place_move(j->tmp_path, j->final_path, BA_PLACE_REPLACE, &moved, NULL);
    if (moved) {
        g_free(j->tmp_path);
        j->tmp_path = NULL;
    }
    if (e) {
        ba_errno_set(err, e, moved ? "%s: cannot sync the masters folder"
                                   : "%s: cannot store the master", j->name);
        return -1;
    }
    ba_fault_point("after-master-rename");
    return 0;
}

void ingest_unstore_master(void *ud)
{
    ingest_job *j = ud;
    if (!j->final_existed)
        g_unlink(j->final_path);
    ingest_drop_note(j);
}
