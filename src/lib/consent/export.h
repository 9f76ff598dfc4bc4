/* Internal interfaces of the export pipeline (export.c), its destination
 * folder (destination.c), its manifest (manifest.c) and the exports a dead
 * process left unfinished (unfinished.c).  Not installed. */
#ifndef BA_CONSENT_EXPORT_H
#define BA_CONSENT_EXPORT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "beforeafter/compose.h"
#include "beforeafter/consent.h"

#define MANIFEST "export.json"
/* DEST/.ba-export-<pid>-XXXXXX: in-flight renders, on the destination's file
 * system so that placing them is a link; <pid> tells a dead writer's. */
#define TMPDIR_PREFIX ".ba-export-"
#define NOTE_PREFIX "export-"

/* What the de-identification of one panel relies on (deid.c), in
 * reference px, and what was measured on the output (coverage.c). */
typedef struct panel_deid {
    int n_eyes;               /* eye centres known: 0 or 2 */
    double eyes[2][2];
    bool detected;            /* found by the detector (else given) */
    bool face_found;          /* the detector's face box, mapped */
    double face[4];
    double measured;          /* worst measure of the panel (see coverage.c) */
} panel_deid;

/* One comparison on its way out. */
typedef struct item {
    ba_comparison_record rec;
    ba_photo photos[BA_COMPOSE_MAX_PANELS];
    ba_alignment align[BA_COMPOSE_MAX_PANELS]; /* [i] for i > 0 when has_align[i] */
    bool has_align[BA_COMPOSE_MAX_PANELS];
    GPtrArray *clients;       /* distinct client codes (char *) */
    bool refused;
    char reason[512];
    int n;                    /* 1-based position in the export */
    ba_compose_options opts;  /* how it was re-rendered */
    char *caption;            /* owned; the footer text, or NULL */
    char *logo;               /* owned; the recorded logo file, or NULL */
    char *label_before;       /* owned; the recorded --label-before text, or NULL */
    char *label_after;        /* owned; the recorded --label-after text, or NULL */
    ba_comparison out;        /* what the render produced */
    char *tmp;                /* rendered file in the temporary folder */
    char file[64];            /* <export-id>-<n>.png */
    panel_deid deid[BA_COMPOSE_MAX_PANELS]; /* per panel (deid.c, coverage.c) */
    double roi[4];            /* the treatment area (crop-to-area, blur-outside) */
    bool has_roi;
    bool roi_derived;         /* from the area and the detected face (else given) */
    gint64 bytes;             /* size of the rendered file (ex_seal_images()) */
} item;

/* Everything one export carries around. */
typedef struct job {
    ba_catalog *cat;
    const ba_export_options *o;
    ba_consent_scope purpose;
    ba_deidentify deid;
    int label_style;               /* -1 = as recorded */
    char today[BA_DATE_MAX];
    char created_at[BA_STAMP_MAX];
    char *dest;                    /* absolute destination folder */
    char *tmpdir;                  /* DEST/.ba-export-<pid>-XXXXXX */
    char *note;                    /* LIBRARY/tmp/export-<pid>-XXXXXX: names DEST */
    bool created_dest;
    GPtrArray *items;              /* item * */
    ba_redaction regions[BA_COMPOSE_MAX_REDACTIONS];
    int n_regions;
    GHashTable *decisions;         /* client -> decision * */
    GArray *consents;              /* int64_t ids relied on */
    ba_export_key key;             /* the library's signing key (public half) */
    /* store hook state */
    ba_export_record rec;
    GPtrArray *placed;             /* absolute paths moved into dest */
    GPtrArray *strings;            /* owned strings of audit rows */
    GArray *audits;                /* ba_audit_entry: refusals, recorded with the export */
    GArray *oks;                   /* ba_audit_entry: the exported, recorded when done */
    /* output (check_options): size, the format's extension and quality */
    int out_width, out_height;     /* 0 = as recorded */
    const char *ext;               /* "png", "jpg", "webp" */
    int quality;                   /* JPEG/WebP quality, 0 for PNG */
    /* the rules pack (rules.c), its disclosure text when the library's was added */
    int rules;                     /* ba_rules_pack */
    char *disclosure;              /* owned, or NULL */
} job;

typedef struct decision {
    bool allowed;
    int64_t consent_id;
    char reason[512];
} decision;

/* ---- manifest.c ------------------------------------------------------------ */

/* The render options of @it's recorded comparison, with the export's
 * caption, labels and redactions, into it->opts.  Refused (BA_ERR_REFUSED,
 * naming the comparison) when the recorded parameters cannot be read or its
 * logo is no longer the file it was rendered with: an export never renders
 * with defaults what was reviewed with other options. */
int ex_options_from_record(job *j, item *it, ba_error *err);
/* The text of export.json (g_malloc'd). */
char *ex_manifest_text(job *j);

/* ---- deid.c, coverage.c ------------------------------------------------------ */

/* The eyes (given or detected on each panel's master), the treatment area
 * and the regions to hide for @it, into it->deid, it->roi and it->opts
 * (redactions, view).  Refused naming the comparison and the panel when a
 * panel has no eyes to hide or the area cannot be derived. */
int ex_deid_plan(job *j, item *it, ba_error *err);
/* Measure every redaction of @it on its rendered file (it->tmp); refused
 * naming the comparison and the panel when one does not cover its target. */
int ex_coverage_check(job *j, item *it, ba_error *err);
/* The "deidentification" member of @it's manifest entry. */
void ex_deid_manifest(JsonBuilder *b, const job *j, const item *it);

/* ---- destination.c --------------------------------------------------------- */

/* Make the destination and a temporary folder inside it. */
int ex_prepare_destination(job *j, ba_error *err);
/* After the pending record is committed: the images, then the manifest, each
 * moved into the destination without replacing anything. */
int ex_place_all(job *j, ba_error *err);
/* Remove what ex_place_all() placed (@ud is the job). */
void ex_unplace(void *ud);
/* Remove @dir and the files in it (temporary folders hold no subfolders). */
void ex_remove_tree(const char *dir);
/* Temporary folders of exports whose process is gone, in @dest: removed. */
void ex_remove_stale_tmpdirs(const char *dest);

#endif
