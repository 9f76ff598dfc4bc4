/* beforeafter export: comparisons out of the library, for one purpose, after the consent check. */
#include <math.h>
#include <string.h>

#include "cli.h"

typedef struct refused_ctx {
    gboolean report; /* with --skip-refused: one result per refused comparison */
} refused_ctx;

static void on_refused(int64_t comparison_id, const char *client, const char *reason, void *ud)
{
    const refused_ctx *r = ud;
    if (!r->report)
        return; /* the export is refused as a whole: one error line says why */
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, "refused");
        json_builder_set_member_name(b, "comparison_id");
        json_builder_add_int_value(b, comparison_id);
        json_builder_set_member_name(b, "client");
        json_builder_add_string_value(b, client);
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, reason);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        cli_error("export: skipped comparison %" G_GINT64_FORMAT ": %s", comparison_id, reason);
    }
}

/* The eyes each exported panel's de-identification used, for --json. */
typedef struct deid_panel {
    int64_t comparison_id, photo_id;
    int panel, n_eyes;
    double eyes[2][2];
    bool detected;
} deid_panel;

static void on_deidentified(int64_t comparison_id, int panel, int64_t photo_id, int n_eyes,
                            const double eyes[2][2], bool detected, void *ud)
{
    deid_panel d = {comparison_id, photo_id, panel, n_eyes, {{0}}, detected};
    memcpy(d.eyes, eyes, sizeof d.eyes);
    g_array_append_val((GArray *)ud, d);
}

static void add_deid_panels(JsonBuilder *b, GArray *panels)
{
    json_builder_set_member_name(b, "panels");
    json_builder_begin_array(b);
    for (guint i = 0; i < panels->len; i++) {
        const deid_panel *d = &g_array_index(panels, deid_panel, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "comparison_id");
        json_builder_add_int_value(b, d->comparison_id);
        json_builder_set_member_name(b, "panel");
        json_builder_add_int_value(b, d->panel);
        json_builder_set_member_name(b, "photo_id");
        json_builder_add_int_value(b, d->photo_id);
        json_builder_set_member_name(b, "eyes");
        json_builder_begin_array(b);
        for (int e = 0; e < d->n_eyes; e++) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "x");
            json_builder_add_double_value(b, round(d->eyes[e][0] * 10) / 10);
            json_builder_set_member_name(b, "y");
            json_builder_add_double_value(b, round(d->eyes[e][1] * 10) / 10);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_set_member_name(b, "eyes_source");
        json_builder_add_string_value(b, d->n_eyes == 0 ? "none found"
                                         : d->detected  ? "detected"
                                                        : "given");
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

typedef struct print_ctx {
    const ba_export_result *r;
    GArray *panels;
} print_ctx;

static int print_export(const ba_export_record *e, const ba_export_item *items, int n, void *ud)
{
    const print_ctx *pc = ud;
    const ba_export_result *r = pc->r;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, "export");
        json_builder_set_member_name(b, "export_id");
        json_builder_add_int_value(b, e->id);
        json_builder_set_member_name(b, "purpose");
        json_builder_add_string_value(b, e->purpose);
        json_builder_set_member_name(b, "date");
        json_builder_add_string_value(b, r->date);
        json_builder_set_member_name(b, "destination");
        json_builder_add_string_value(b, e->destination);
        json_builder_set_member_name(b, "deidentification");
        json_builder_add_string_value(b, e->deidentification);
        json_builder_set_member_name(b, "files");
        json_builder_begin_array(b);
        for (int i = 0; i < n; i++)
            json_builder_add_string_value(b, items[i].file);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "comparison_ids"); /* docs/JSON.md: <thing>_ids */
        json_builder_begin_array(b);
        for (int i = 0; i < n; i++)
            json_builder_add_int_value(b, items[i].comparison_id);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "manifest");
        json_builder_add_string_value(b, "export.json");
        json_builder_set_member_name(b, "signature");
        json_builder_add_string_value(b, "export.json.sig");
        json_builder_set_member_name(b, "refused");
        json_builder_add_int_value(b, r->n_refused);
        add_deid_panels(b, pc->panels);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        cli_say("export %" G_GINT64_FORMAT ": %d image(s) for %s use to %s (de-identification "
                "%s)\n",
                e->id, n, e->purpose, e->destination, e->deidentification);
        for (int i = 0; i < n; i++)
            cli_say("  %s  comparison %" G_GINT64_FORMAT "  sha256 %s\n", items[i].file,
                    items[i].comparison_id, items[i].sha256);
        cli_say("  export.json\n  export.json.sig\n");
    }
    return 0;
}

int cmd_export(ba_catalog *cat, int argc, char **argv)
{
    const char *sub = cli_export_sub(argc, argv);
    if (sub)
        return cmd_export_sub(cat, sub, argc, argv);
    char *client = NULL, *area = NULL, *purpose = NULL, *to = NULL, *deid = NULL, *eyes = NULL,
         *face = NULL, *caption = NULL, *labels = NULL, *roi = NULL;
    char *format = NULL, *preset = NULL, *rules = NULL;
    int width = 0, height = 0;
    gboolean skip = FALSE;
    const GOptionEntry entries[] = {
        {"client", 0, 0, G_OPTION_ARG_STRING, &client, "Every comparison of this client", "CODE"},
        {"area", 0, 0, G_OPTION_ARG_STRING, &area, "... of this area only", "AREA"},
        {"purpose", 0, 0, G_OPTION_ARG_STRING, &purpose, "clinical, education or marketing",
         "PURPOSE"},
        {"to", 0, 0, G_OPTION_ARG_FILENAME, &to, "Destination folder (created if missing)", "DIR"},
        {"deidentify", 0, 0, G_OPTION_ARG_STRING, &deid,
         "eyes, half-letterbox, blur-face, crop-to-area or blur-outside", "MODE"},
        {"eyes", 0, 0, G_OPTION_ARG_STRING, &eyes,
         "The two eye centres in the reference photo's master pixels (default: detected)",
         "X1,Y1,X2,Y2"},
        {"roi", 0, 0, G_OPTION_ARG_STRING, &roi,
         "Treatment area, reference master pixels (crop-to-area, blur-outside; default: from "
         "the area and the face)",
         "X,Y,W,H"},
        {"face", 0, 0, G_OPTION_ARG_STRING, &face,
         "Face box to blur, reference master pixels (blur-face)", "X,Y,W,H"},
        {"caption", 0, 0, G_OPTION_ARG_STRING, &caption,
         "Disclosure caption: footer of each image and in export.json", "TEXT"},
        {"label-style", 0, 0, G_OPTION_ARG_STRING, &labels,
         "none, stage, date, full (default: as the comparison)", "STYLE"},
        {"skip-refused", 0, 0, G_OPTION_ARG_NONE, &skip,
         "Export the rest when some comparisons are refused", NULL},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format,
         "png (default), jpg (quality 90) or webp (quality 85)", "FORMAT"},
        {"preset", 0, 0, G_OPTION_ARG_STRING, &preset,
         "square (1080x1080), portrait (1080x1350) or story (1080x1920), filled", "PRESET"},
        {"width", 0, 0, G_OPTION_ARG_INT, &width, "Output width in px (default: as compared)",
         "W"},
        {"height", 0, 0, G_OPTION_ARG_INT, &height, "Output height in px (needs --width)", "H"},
        {"rules", 0, 0, G_OPTION_ARG_STRING, &rules,
         "Advertising rules: uk, au, us or none (default: the library's 'rules' setting)",
         "PACK"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    GArray *panels = g_array_new(FALSE, FALSE, sizeof(deid_panel));
    if (!cli_parse(&argc, &argv, entries,
                   "(ID... | --client C [--area A]) --purpose P --to DIR [--deidentify MODE ...] "
                   "| verify DIR | key",
                   "Export comparisons for clinical, education or marketing use.  Refused, with\n"
                   "nothing written, when a client shown lacks an active consent for the purpose.\n"
                   "Files are named <export-id>-<n>.<png|jpg|webp> (no client code or name), carry no\n"
                   "metadata, and come with an export.json manifest (provenance, no personal data)\n"
                   "signed with the library's key (export.json.sig).  'export verify DIR' checks\n"
                   "an export; 'export key' shows the key.",
                   "Exit codes: 0 done, 1 refused (or some refused with --skip-refused) or failed,\n"
                   "2 usage error, 3 library unusable.")) {
        rc = EXIT_USAGE;
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        gint64 id;
        if (!cli_parse_id(argv[i], &id)) {
            rc = cli_usage("export", "'%s' is not a comparison id", argv[i]);
            goto out;
        }
        g_array_append_val(ids, id);
    }
    if (!purpose || !to) {
        rc = cli_usage("export", "--purpose and --to are required");
        goto out;
    }
    if (ids->len && client) {
        rc = cli_usage("export", "give comparison ids or --client, not both");
        goto out;
    }
    if (!ids->len && !client) {
        rc = cli_usage("export", "give comparison ids or --client");
        goto out;
    }
    if (area && !client) {
        rc = cli_usage("export", "--area needs --client");
        goto out;
    }
    double eyes_v[4], face_v[4], roi_v[4];
    if (roi && ba_parse_numbers(roi, 4, roi_v, NULL)) {
        rc = cli_usage("export", "--roi '%s' is not X,Y,W,H", roi);
        goto out;
    }
    if (eyes && ba_parse_numbers(eyes, 4, eyes_v, NULL)) {
        rc = cli_usage("export", "--eyes '%s' is not X1,Y1,X2,Y2", eyes);
        goto out;
    }
    if (face && ba_parse_numbers(face, 4, face_v, NULL)) {
        rc = cli_usage("export", "--face '%s' is not X,Y,W,H", face);
        goto out;
    }
    if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    refused_ctx rctx = {.report = skip};
    ba_export_options o;
    ba_consent_export_options_init(&o);
    o.comparisons = (const int64_t *)ids->data;
    o.n_comparisons = (int)ids->len;
    o.client = client;
    o.area = area;
    o.purpose = purpose;
    o.destination = to;
    o.deidentify = deid;
    o.eyes = eyes ? eyes_v : NULL;
    o.face = face ? face_v : NULL;
    o.roi = roi ? roi_v : NULL;
    o.deidentified.fn = on_deidentified;
    o.deidentified.ud = panels;
    o.caption = caption;
    o.label_style = labels;
    o.skip_refused = skip;
    o.format = format;
    o.preset = preset;
    o.width = width;
    o.height = height;
    o.rules = rules;
    o.refused = on_refused;
    o.ud = &rctx;
    ba_export_result r;
    ba_error err;
    if (ba_consent_export(cat, &o, &r, &err)) {
        cli_report_error("export", &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }
    ba_export_filter f = {.export_id = r.export_id};
    print_ctx pc = {&r, panels};
    if (ba_catalog_export_list(cat, &f, print_export, &pc, &err)) {
        cli_report_error("export", &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }
    if (r.n_refused)
        rc = EXIT_PARTIAL;
out:
    g_array_free(ids, TRUE);
    g_array_free(panels, TRUE);
    g_free(roi);
    g_free(client);
    g_free(area);
    g_free(purpose);
    g_free(to);
    g_free(deid);
    g_free(eyes);
    g_free(face);
    g_free(caption);
    g_free(labels);
    g_free(format);
    g_free(preset);
    g_free(rules);
    return rc;
}
