/**
 * @file compose.h
 * @brief Comparison images: side by side, stacked and timeline; aligned,
 *        cropped to a common field of view, labelled, carrying no metadata.
 *
 * Every later photo is warped onto the first with its alignment, all panels
 * are cropped to the largest rectangle every aligned photo covers (no black
 * wedges, no panel showing more than another) and resampled once.  PNG output
 * is written with libpng and holds only IHDR, sRGB, pHYs, IDAT and IEND;
 * JPEG/WebP go through libvips with every metadata block stripped.  Outputs
 * are written to a temporary file and renamed into place.
 */
#ifndef BEFOREAFTER_COMPOSE_H
#define BEFOREAFTER_COMPOSE_H

#include <stdbool.h>
#include <stdint.h>

#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Arrangement of the panels. */
typedef enum ba_layout {
    BA_LAYOUT_SIDE_BY_SIDE = 0, /**< one row */
    BA_LAYOUT_STACKED,          /**< one column */
    BA_LAYOUT_TIMELINE          /**< a grid in date order */
} ba_layout;

/** What the label under each panel says. */
typedef enum ba_label_style {
    BA_LABEL_NONE = 0, /**< no labels */
    BA_LABEL_STAGE,    /**< the catalogued stage: "Before", "After", "Progress · session 3" */
    BA_LABEL_DATE,     /**< the session date */
    BA_LABEL_FULL      /**< stage, date, and the sessions and time since the first */
} ba_label_style;

/** Most panels in one comparison. */
#define BA_COMPOSE_MAX_PANELS 24

/**
 * Longest side of any output (comparison canvas, the grid before it is
 * placed on the canvas, ghost overlay), in pixels: 16383 is the largest
 * WebP can hold, so one limit serves every output format, and it is over a
 * metre at 300 dpi, more than any print of a comparison needs.
 */
#define BA_COMPOSE_MAX_SIDE 16383
/**
 * Most pixels in any output: 100 megapixels, the default pixel limit of an
 * ingested photo (a comparison never needs more pixels than the photos the
 * library accepts).  It bounds the render's memory to a few hundred MB and
 * its time to seconds, where 20000 x 20000 took 2 GB and 40 s.
 */
#define BA_COMPOSE_MAX_PIXELS 100000000LL
/**
 * Widest gutter between panels, in pixels.  The default is 1 % of the
 * width (at most 164 px at #BA_COMPOSE_MAX_SIDE); 1000 px is six times
 * that.  A fixed number, unlike a fraction of the panel, can be checked
 * before anything is planned and means the same in every layout; what a
 * gutter adds to the output is then bounded by #BA_COMPOSE_MAX_PIXELS.
 */
#define BA_COMPOSE_MAX_GUTTER 1000
/** Most comparability warnings reported. */
#define BA_COMPOSE_MAX_WARNINGS 8

/** How a region is hidden (de-identification). */
typedef enum ba_redact_mode {
    BA_REDACT_BAR = 0, /**< a solid black bar */
    BA_REDACT_BLUR,    /**< a blur strong enough that features cannot be recognised */
    BA_REDACT_BLUR_OUTSIDE /**< everything of the panel but the rectangle blurred that strongly */
} ba_redact_mode;

/** A region to hide, in pixels of the reference (first) photo's master. */
typedef struct ba_redaction {
    double x, y, w, h;   /**< the rectangle */
    ba_redact_mode mode; /**< how */
} ba_redaction;

/** Most redactions per render. */
#define BA_COMPOSE_MAX_REDACTIONS 8

/** How to render. */
typedef struct ba_compose_options {
    ba_layout layout;          /**< default side by side */
    ba_label_style labels;     /**< default full */
    int width;                 /**< output width in px, 0 = from height or default */
    int height;                /**< output height in px, 0 = from width or default */
    int gutter;                /**< px between panels; < 0 = default (1 % of the width) */
    unsigned char background[3]; /**< background and label band colour, sRGB */
    const char *caption;       /**< footer text, or NULL */
    const char *logo;          /**< logo image file, or NULL */
    double logo_opacity;       /**< 0..1, default 0.6 */
    bool align;                /**< warp later photos onto the first (default true) */
    bool strict;               /**< comparability warnings refuse the render */
    bool force;                /**< allow photos of different clients or areas */
    int quality;               /**< JPEG/WebP quality, 0 = 92 */
    /** Regions hidden in every panel (panels are aligned, so one rectangle of
     *  the reference covers the same anatomy in each). */
    ba_redaction redactions[BA_COMPOSE_MAX_REDACTIONS];
    int n_redactions;          /**< used entries of @c redactions */
    /** Show only this rectangle of the reference (x, y, w, h, reference px),
     *  intersected with the common field of view; w <= 0 = the whole field
     *  (de-identification crop-to-area). */
    double view[4];
    bool no_record;            /**< do not record the render in comparisons (exports) */
    /** A later photo with no stored alignment onto the first is aligned from
     *  the masters; store that alignment in the catalog (default true, what
     *  compare does) or use it for this render only (false).  Export never
     *  stores one: it refuses a comparison whose alignment is gone. */
    bool store_alignment;
    /** Text that replaces the stage word ("Before") of the first panel's
     *  label, or NULL; recorded with the render so an export says the same. */
    const char *label_before;
    /** Text that replaces the stage word ("After", "Progress · session 3") of
     *  the last panel's label, or NULL; recorded like @c label_before. */
    const char *label_after;
} ba_compose_options;

/** Fill @p o with the defaults. */
BA_API void ba_compose_options_init(ba_compose_options *o);

/**
 * Check @p o before anything is loaded or rendered: a width or height
 * beyond #BA_COMPOSE_MAX_SIDE or negative, a gutter beyond
 * #BA_COMPOSE_MAX_GUTTER, a quality outside 0..100, a logo opacity that is
 * not a number in 0..1, an unknown layout or label style, a redaction count
 * outside 0..#BA_COMPOSE_MAX_REDACTIONS.  ba_compose_photos() and
 * ba_compose_files() call it (and check the planned output size against
 * #BA_COMPOSE_MAX_SIDE and #BA_COMPOSE_MAX_PIXELS before rendering a pixel);
 * batch callers call it once up front.
 * @return 0, or -1 with BA_ERR_USAGE and a message naming the limit.
 */
BA_API int ba_compose_options_check(const ba_compose_options *o, ba_error *err);

/** Parse "side-by-side", "stacked", "timeline"; -1 when unknown. */
BA_API int ba_layout_parse(const char *name);

/** Parse "none", "stage", "date", "full"; -1 when unknown. */
BA_API int ba_label_style_parse(const char *name);

/**
 * How comparable one panel is with the reference (first) panel, measured on
 * the aligned overlap they share (the common crop, rendered at
 * #BA_COMPARABILITY_SIDE px for the measurement whatever the output size),
 * and what the catalog or EXIF says of the capture.  docs/COMPARE.md gives
 * the thresholds that turn these numbers into warnings, and why.
 */
typedef struct ba_comparability {
    bool measured;          /**< the pixel measures below are set (never for the reference) */
    double delta_l;         /**< mean L* of this panel minus the reference's (CIELAB, D65) */
    double delta_a;         /**< mean a* difference: + is redder, - greener */
    double delta_b;         /**< mean b* difference: + is yellower (warmer), - bluer */
    double cast;            /**< colour cast: hypot(delta_a, delta_b), a chroma shift in ΔE units */
    /** variance of the Laplacian of L* per unit of L* variance, over the
     *  reference's: < 1 is softer, > 1 sharper */
    double sharpness_ratio;
    int flash_fired;        /**< this photo: 1 fired, 0 not, -1 unknown */
    double focal_length_35mm; /**< this photo, mm (35 mm equivalent), 0 unknown */
    char view[16];          /**< this photo's view, "" for plain files */
} ba_comparability;

/** Long side, in px, of the copy of the overlap the measures are made on. */
#define BA_COMPARABILITY_SIDE 512

/** What a render produced. */
typedef struct ba_comparison {
    int64_t id;                 /**< comparisons row, 0 for plain files */
    char sha256[65];            /**< of the output file */
    int width;                  /**< output width */
    int height;                 /**< output height */
    bool aligned;               /**< later photos were warped onto the first */
    int n_photos;               /**< panels */
    int64_t photos[BA_COMPOSE_MAX_PANELS]; /**< photo ids in panel order (library renders) */
    double crop[4];             /**< common field of view in reference px: x, y, w, h */
    double matrices[BA_COMPOSE_MAX_PANELS][2][3]; /**< photo px -> reference px, per panel */
    /** where each panel's pixels lie in the output: x, y, w, h (output px);
     *  reference px (x, y) is shown at x0 + (x - crop x) * w / crop w, ... */
    int panels[BA_COMPOSE_MAX_PANELS][4];
    int n_warnings;             /**< comparability warnings */
    char warnings[BA_COMPOSE_MAX_WARNINGS][256]; /**< one line each */
    /** the same photos were rendered with the same parameters and bytes
     *  before: @c id is that comparison's and nothing new was recorded */
    bool existing;
    /** the label under each panel, as rendered ("" without labels) */
    char labels[BA_COMPOSE_MAX_PANELS][160];
    /** each panel against the reference (entry 0 is the reference itself) */
    ba_comparability comparability[BA_COMPOSE_MAX_PANELS];
} ba_comparison;

/**
 * The panels of @p c as compact JSON text (free it with g_free()): an array
 * of {"photo_id" (null for plain files), "label" (null without labels),
 * "comparability"} in panel order, comparability null for the first panel,
 * else {"delta_l", "delta_a", "delta_b", "cast" (0.1), "sharpness_ratio"
 * (0.01), "flash", "focal_length_35mm", "view"} with null where unknown;
 * what compare --json prints as "panels" (docs/COMPARE.md).
 */
BA_API char *ba_comparison_panels_json(const ba_comparison *c);

/**
 * Render photos @p ids (the first is the reference, the rest in the given
 * order) of @p cat to @p output (.png, .jpg/.jpeg or .webp) and record it in
 * the catalog's comparisons (unless no_record; when the same photos were
 * rendered before with the same parameters into the same bytes, that
 * comparison is returned with @c existing set instead of a second row;
 * a deleted or stale one is never reused).  Missing alignments are
 * computed from the masters already open, and stored when store_alignment.
 * Refused (BA_ERR_REFUSED) when the photos belong to different clients or
 * areas (unless force), cannot be aligned, or — with strict — differ in ways
 * that fake a result; BA_ERR_USAGE when a photo is given twice or the options
 * fail ba_compose_options_check(); BA_ERR_CORRUPT when a master is missing or
 * unreadable (the message names the photo).
 */
BA_API int ba_compose_photos(ba_catalog *cat, const int64_t *ids, int n, const ba_compose_options *opts,
                      const char *output, ba_comparison *out, ba_error *err);

/**
 * Render image files @p paths (decoded with ingest's checks, each once) to
 * @p output; nothing is recorded.  Alignment is computed on the fly from the
 * decoded images.
 */
BA_API int ba_compose_files(const char *const *paths, int n, const ba_compose_options *opts,
                     const char *output, ba_comparison *out, ba_error *err);

/** Which sessions ba_compose_pick() takes. */
typedef enum ba_pick {
    BA_PICK_FIRST_LAST = 0, /**< the first and the last session (a before/after) */
    BA_PICK_FIRST,          /**< the first two sessions */
    BA_PICK_LAST,           /**< the last two sessions */
    BA_PICK_TIMELINE        /**< every session, the earliest @c max of them */
} ba_pick;

/**
 * Choose the photos of a comparison of client @p client's area @p area:
 * one photo per session, the first (lowest id) of each, in session date
 * order, of view @p view (NULL = "frontal"), skipping photos whose master is
 * marked missing or damaged (the session's next photo stands in; a session
 * with none is left out).  Up to @p max (at least 2) ids go to @p ids as
 * @p pick says; @p n_out gets how many.  Fewer than two sessions qualify is
 * not an error: @p n_out is then 0 or 1 and the caller says what it means.
 * @return 0, or -1 with BA_ERR_NOT_FOUND for an unknown client or area,
 *         BA_ERR_USAGE for a bad argument, or a catalog error.
 */
BA_API int ba_compose_pick(ba_catalog *cat, const char *client, const char *area,
                           const char *view, ba_pick pick, int64_t *ids, int max, int *n_out,
                           ba_error *err);

/**
 * Write a capture aid for framing the next session: photo @p id of @p cat
 * (or the file @p path when @p cat is NULL) at reduced @p opacity (0..1) as
 * an RGBA PNG whose long edge is @p long_edge px (0 = 1920), or with
 * @p edges only its edges as opaque lines on a transparent background.
 * Refused (BA_ERR_USAGE) when @p opacity is not in 0..1 or the overlay
 * would exceed #BA_COMPOSE_MAX_SIDE or #BA_COMPOSE_MAX_PIXELS.
 */
BA_API int ba_compose_ghost(ba_catalog *cat, int64_t id, const char *path, double opacity, bool edges,
                     int long_edge, const char *output, ba_error *err);

/**
 * Write photo @p photo_id of @p cat warped onto photo @p reference_id
 * through their stored alignment, in the reference's whole frame with its
 * long edge at most @p long_edge px (0 = #BA_PREVIEW_LARGE; never enlarged),
 * to @p output (.jpg, .png or .webp, outside the library, metadata-free):
 * laid over the reference's own preview of the same size it lines up pixel
 * for pixel, which is what a before/after slider shows.  @p photo_id equal
 * to @p reference_id gives the reference itself at that size.  Refused
 * (BA_ERR_REFUSED) for photos of different clients or areas and when there
 * is no current (non-stale) alignment of the photo onto the reference.
 */
BA_API int ba_compose_aligned(ba_catalog *cat, int64_t photo_id, int64_t reference_id,
                              int long_edge, const char *output, ba_error *err);

/** Long edge of a thumbnail (ba_compose_photo_preview()). */
#define BA_PREVIEW_THUMB 320
/** Long edge of a screen preview. */
#define BA_PREVIEW_LARGE 1600

/**
 * A JPEG of photo @p id for screens, its long edge at most @p long_edge px
 * (never enlarged), kept in the library (LIBRARY/previews/),
 * metadata-free: the #BA_PREVIEW_THUMB one is normally made by ingest, any
 * other (or a missing one) is made here once from the verified master;
 * @p long_edge 0 gives the master itself, after checking its hash.
 * @p *data (free() it) and @p *len receive the bytes, @p etag (may be NULL)
 * an HTTP entity tag that changes whenever the picture can: the master's
 * hash and the size (a thumbnail remade here from the master is the same
 * picture as ingest's, not the same bytes: 43-44 dB PSNR apart).
 */
BA_API int ba_compose_photo_preview(ba_catalog *cat, int64_t id, int long_edge,
                                    unsigned char **data, size_t *len, char *etag,
                                    size_t etag_size, ba_error *err);

/**
 * As ba_compose_photo_preview() for a @p long_edge > 0, but only when that
 * preview has already been made: it never decodes, writes or waits on
 * anything but the catalog's read and one small file, so a server can answer
 * it on its I/O thread.  Returns 0 with the bytes, 1 (and no bytes) when the
 * preview is not made yet (ba_compose_photo_preview() makes it), -1 on
 * error (unknown photo, unreadable file).  With @p data NULL only whether
 * it is made and its @p etag are found (the file is not read): enough to
 * answer "not modified", or to look the bytes up in a cache of the caller's.
 */
BA_API int ba_compose_photo_preview_kept(ba_catalog *cat, int64_t id, int long_edge,
                                         unsigned char **data, size_t *len, char *etag,
                                         size_t etag_size, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
