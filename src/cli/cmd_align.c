/* beforeafter align PHOTO --to REFERENCE: align a photo onto a reference
 * photo (photo ids in the library, or two image files). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static char *opt_to;
static char *opt_points;
static char *opt_roi;
static int opt_work_size = CLI_UNSET;

static const GOptionEntry ENTRIES[] = {
    {"to", 0, 0, G_OPTION_ARG_FILENAME, &opt_to, "The reference photo (id or file) to align onto",
     "REFERENCE"},
    {"points", 0, 0, G_OPTION_ARG_STRING, &opt_points,
     "Landmark pairs instead of automatic alignment: reference points, a colon, photo points",
     "\"RX,RY RX,RY : PX,PY PX,PY\""},
    {"roi", 0, 0, G_OPTION_ARG_STRING, &opt_roi,
     "Only the treatment area of the reference counts (full-resolution pixels), or the face "
     "found on it", "X,Y,W,H|face"},
    {"work-size", 0, 0, G_OPTION_ARG_INT, &opt_work_size,
     "Long edge of the feature working copy in px (default 560)", "PX"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char DESCRIPTION[] =
    "PHOTO and REFERENCE are photo ids of the library (the result is stored and\n"
    "replaces an earlier one) or two image files (nothing is stored; no library\n"
    "needed).  A file named like a number can be given as ./17.\n\n"
    "The matrix maps a pixel of PHOTO (x right, y down, pixel centres at integers,\n"
    "full resolution) to REFERENCE.  Score 0..1: 0.5 and above means trust it.\n"
    "Photos that cannot be aligned honestly are refused (exit code 1) with the\n"
    "reason; give landmark points with --points for those.\n\n"
    "--roi face aligns on the face detected on REFERENCE (its box grown by 15 percent);\n"
    "a reference without a face found is refused.  The method then ends in\n"
    "\"+face-roi\".\n\n"
    "Exit codes: 0 aligned, 1 refused or unreadable image, 2 usage error or\n"
    "unknown photo, 3 library unusable.";

static void add_subject(JsonBuilder *b, const char *name, gboolean ids, gint64 id, const char *path)
{
    /* docs/JSON.md: ids are numbers named <thing>_id; files <thing>_file. */
    char *member = g_strconcat(name, ids ? "_id" : "_file", NULL);
    json_builder_set_member_name(b, member);
    g_free(member);
    if (ids)
        json_builder_add_int_value(b, id);
    else
        json_builder_add_string_value(b, path);
}

static void print_json(const ba_alignment *a, gboolean ids, gint64 pid, gint64 rid,
                       const char *ppath, const char *rpath)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    cli_json_str(b, "kind", "alignment");
    add_subject(b, "reference", ids, rid, rpath);
    add_subject(b, "photo", ids, pid, ppath);
    json_builder_set_member_name(b, "matrix");
    json_builder_begin_array(b);
    for (int r = 0; r < 2; r++) {
        json_builder_begin_array(b);
        for (int c = 0; c < 3; c++) {
            /* Rounded as docs/JSON.md says: the linear part to 1e-6, the
             * translation (pixels) as tx and ty. */
            double scale = c < 2 ? 1e6 : 1e3;
            json_builder_add_double_value(b, round(a->matrix[r][c] * scale) / scale);
        }
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
    cli_json_real(b, "scale", a->scale, 4);
    cli_json_real(b, "angle_deg", a->angle_deg, 2);
    cli_json_real(b, "tx", a->tx, 3);
    cli_json_real(b, "ty", a->ty, 3);
    json_builder_set_member_name(b, "inliers");
    json_builder_add_int_value(b, a->inliers);
    cli_json_real(b, "score", a->score, 3);
    json_builder_set_member_name(b, "method");
    json_builder_add_string_value(b, a->method);
    if (g_str_has_suffix(a->method, "+face-roi"))
        cli_json_str(b, "roi", "face");
    json_builder_end_object(b);
    cli_json_line(b);
}

int cmd_align(ba_catalog *cat, int argc, char **argv)
{
    int rc = EXIT_OK;
    double *points = NULL;
    if (!cli_parse(&argc, &argv, ENTRIES, "PHOTO --to REFERENCE",
                   "Align a photo onto a reference photo.", DESCRIPTION)) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (argc != 2 || !opt_to || !*opt_to || !*argv[1]) {
        rc = cli_usage("align", "give one photo and --to REFERENCE (photo ids or image files)");
        goto out;
    }
    const char *photo = argv[1], *reference = opt_to;
    gint64 pid = 0, rid = 0;
    gboolean p_is_id = cli_parse_id(photo, &pid), r_is_id = cli_parse_id(reference, &rid);
    if (p_is_id != r_is_id) {
        rc = cli_usage("align", "give two photo ids or two image files, not one of each ('%s', '%s')",
                       photo, reference);
        goto out;
    }
    ba_align_options o;
    ba_align_options_init(&o);
    ba_align_details details;
    o.details = &details;
    ba_error err;
    if (opt_work_size != CLI_UNSET) {
        if (opt_work_size < 64 || opt_work_size > 8192) {
            rc = cli_usage("align", "--work-size %d is outside 64..8192", opt_work_size);
            goto out;
        }
        o.work_size = opt_work_size;
    }
    if (opt_points) {
        if (ba_align_parse_points(opt_points, &points, &o.n_points, &err)) {
            rc = cli_usage("align", "%s", err.message);
            goto out;
        }
        o.points = points;
    }
    if (g_strcmp0(opt_roi, "face") == 0)
        o.face_roi = BA_ALIGN_FACE_REQUIRED;
    else if (opt_roi && ba_align_parse_roi(opt_roi, o.roi, &err)) {
        rc = cli_usage("align", "%s", err.message);
        goto out;
    }
    ba_alignment a;
    int failed;
    if (p_is_id) {
        if (!cat) {
            rc = cli_no_library();
            goto out;
        }
        failed = ba_align_photos(cat, pid, rid, &o, &a, &err);
    } else {
        failed = ba_align_files(reference, photo, &o, &a, &err);
    }
    if (g_cli.verbose)
        fprintf(stderr,
                "beforeafter: align: %d/%d keypoints (%dx%d working copy), %d matches, %d "
                "inliers, NCC %.3f, overlap %.2f, refinement moved %.2f px, %.3f s\n",
                details.keypoints_photo, details.keypoints_reference, details.work_width,
                details.work_height, details.matches, details.inliers, details.ncc,
                details.overlap, details.drift_px, details.seconds);
    if (failed) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }
    if (g_cli.json) {
        print_json(&a, p_is_id, pid, rid, photo, reference);
    } else {
        char who[64] = "";
        if (p_is_id)
            g_snprintf(who, sizeof who, "photo %" G_GINT64_FORMAT " onto photo %" G_GINT64_FORMAT
                       ": ", pid, rid);
        const char *trust = ba_align_trust_advice(ba_align_trust_of(a.score));
        cli_say("%sscale %.4f, rotation %+.2f deg, shift %+.1f, %+.1f px; %d inliers, score %.2f "
                "(%s), %s%s\n",
                who, a.scale, a.angle_deg, a.tx, a.ty, a.inliers, a.score, trust, a.method,
                p_is_id ? ", stored" : "");
    }
out:
    g_free(points);
    g_free(opt_to);
    g_free(opt_points);
    g_free(opt_roi);
    opt_to = opt_points = opt_roi = NULL;
    opt_work_size = CLI_UNSET;
    return rc;
}
