/* beforeafter compare: side-by-side, stacked and timeline comparisons. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* "panels": each panel's label and its comparability with the first. */
static void panels_json(JsonBuilder *b, const ba_comparison *c)
{
    char *text = ba_comparison_panels_json(c);
    json_builder_set_member_name(b, "panels");
    json_builder_add_value(b, json_from_string(text, NULL));
    g_free(text);
}

static void print_result(const char *output, const ba_comparison *c)
{
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, "comparison");
        json_builder_set_member_name(b, "comparison_id");
        if (c->id)
            json_builder_add_int_value(b, c->id);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "output");
        json_builder_add_string_value(b, output);
        json_builder_set_member_name(b, "width");
        json_builder_add_int_value(b, c->width);
        json_builder_set_member_name(b, "height");
        json_builder_add_int_value(b, c->height);
        json_builder_set_member_name(b, "sha256");
        json_builder_add_string_value(b, c->sha256);
        json_builder_set_member_name(b, "photo_ids"); /* docs/JSON.md: <thing>_ids */
        json_builder_begin_array(b);
        for (int i = 0; c->id && i < c->n_photos; i++)
            json_builder_add_int_value(b, c->photos[i]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "aligned");
        json_builder_add_boolean_value(b, c->aligned);
        json_builder_set_member_name(b, "existing");
        json_builder_add_boolean_value(b, c->existing);
        json_builder_set_member_name(b, "warnings");
        json_builder_begin_array(b);
        for (int i = 0; i < c->n_warnings; i++)
            json_builder_add_string_value(b, c->warnings[i]);
        json_builder_end_array(b);
        panels_json(b, c);
        json_builder_end_object(b);
        cli_json_line(b);
    } else {
        for (int i = 0; i < c->n_warnings && !g_cli.quiet; i++)
            cli_error("warning: %s", c->warnings[i]);
        if (c->id)
            cli_say("%scomparison %" G_GINT64_FORMAT ": %s (%d x %d, %s)\n",
                    c->existing ? "existing " : "", c->id, output, c->width, c->height,
                    c->aligned ? "aligned" : "not aligned");
        else
            cli_say("%s (%d x %d, %s)\n", output, c->width, c->height,
                    c->aligned ? "aligned" : "not aligned");
    }
}

int cmd_compare(ba_catalog *cat, int argc, char **argv)
{
    char *output = NULL, *layout = NULL, *labels = NULL, *caption = NULL, *logo = NULL,
         *background = NULL, *client = NULL, *area = NULL, *view = NULL, *label_before = NULL,
         *label_after = NULL;
    /* CLI_UNSET tells "--width 0" (refused) from no --width (automatic). */
    int width = CLI_UNSET, height = CLI_UNSET, gutter = CLI_UNSET, quality = CLI_UNSET;
    double logo_opacity = 0.6;
    gboolean no_align = FALSE, strict = FALSE, force = FALSE, first = FALSE, last = FALSE;
    const GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
         "Output file (.png, .jpg, .webp); - writes PNG to standard output", "FILE"},
        {"layout", 0, 0, G_OPTION_ARG_STRING, &layout, "side-by-side (default), stacked, timeline",
         "LAYOUT"},
        {"label-style", 0, 0, G_OPTION_ARG_STRING, &labels, "none, stage, date, full (default)",
         "STYLE"},
        {"width", 0, 0, G_OPTION_ARG_INT, &width, "Output width in pixels", "PX"},
        {"height", 0, 0, G_OPTION_ARG_INT, &height, "Output height in pixels", "PX"},
        {"gutter", 0, 0, G_OPTION_ARG_INT, &gutter, "Pixels between panels", "PX"},
        {"background", 0, 0, G_OPTION_ARG_STRING, &background, "#RRGGBB, white or black",
         "COLOUR"},
        {"caption", 0, 0, G_OPTION_ARG_STRING, &caption, "Footer text", "TEXT"},
        {"label-before", 0, 0, G_OPTION_ARG_STRING, &label_before,
         "Text instead of the first panel's stage word", "TEXT"},
        {"label-after", 0, 0, G_OPTION_ARG_STRING, &label_after,
         "Text instead of the last panel's stage word", "TEXT"},
        {"logo", 0, 0, G_OPTION_ARG_FILENAME, &logo, "Logo image for the bottom-right corner",
         "FILE"},
        {"logo-opacity", 0, 0, G_OPTION_ARG_DOUBLE, &logo_opacity, "0..1 (default 0.6)", "X"},
        {"quality", 0, 0, G_OPTION_ARG_INT, &quality, "JPEG/WebP quality (default 92)", "Q"},
        {"no-align", 0, 0, G_OPTION_ARG_NONE, &no_align, "Do not warp later photos", NULL},
        {"strict", 0, 0, G_OPTION_ARG_NONE, &strict, "Refuse photos that are not comparable",
         NULL},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Allow different clients or areas", NULL},
        {"client", 0, 0, G_OPTION_ARG_STRING, &client, "Pick photos of this client", "CODE"},
        {"area", 0, 0, G_OPTION_ARG_STRING, &area, "... and this area", "AREA"},
        {"view", 0, 0, G_OPTION_ARG_STRING, &view, "... and this view", "VIEW"},
        {"first", 0, 0, G_OPTION_ARG_NONE, &first, "... the first session", NULL},
        {"last", 0, 0, G_OPTION_ARG_NONE, &last, "... the last session", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    if (!cli_parse(&argc, &argv, entries,
                   "(ID ID... | FILE FILE... | --client C --area A [--first --last]) -o OUT",
                   "Render a comparison: later photos aligned onto the first, cropped to the\n"
                   "field of view they all share, labelled, with no metadata in the output.",
                   "Exit codes: 0 done, 1 refused or failed, 2 usage error, 3 library unusable.")) {
        rc = EXIT_USAGE;
        goto out;
    }
    ba_compose_options o;
    ba_compose_options_init(&o);
    int lay = ba_layout_parse(layout ? layout : "side-by-side");
    int lab = ba_label_style_parse(labels ? labels : "full");
    if (lay < 0 || lab < 0) {
        rc = cli_usage("compare", lay < 0 ? "unknown --layout '%s' (side-by-side, stacked, timeline)"
                                          : "unknown --label-style '%s' (none, stage, date, full)",
                       lay < 0 ? layout : labels);
        goto out;
    }
    if (!output) {
        rc = cli_usage("compare", "-o OUTPUT is required");
        goto out;
    }
    /* The upper bounds are the library's (BA_COMPOSE_MAX_*): it names them. */
    const char *bad = (width != CLI_UNSET && width < 1)       ? "--width must be 1 or more"
                      : (height != CLI_UNSET && height < 1)   ? "--height must be 1 or more"
                      : (gutter != CLI_UNSET && gutter < 0)   ? "--gutter must be 0 or more"
                      : (quality != CLI_UNSET && (quality < 1 || quality > 100))
                          ? "--quality must be 1..100"
                      : !cli_fraction_ok(logo_opacity) ? "--logo-opacity must be a number in 0..1"
                                                       : NULL;
    if (bad) {
        rc = cli_usage("compare", "%s", bad);
        goto out;
    }
    if (background && ba_parse_colour(background, o.background, NULL)) {
        rc = cli_usage("compare", "--background '%s' is not #RRGGBB, white or black", background);
        goto out;
    }
    o.layout = (ba_layout)lay;
    o.labels = (ba_label_style)lab;
    o.width = width == CLI_UNSET ? 0 : width;
    o.height = height == CLI_UNSET ? 0 : height;
    o.gutter = gutter == CLI_UNSET ? -1 : gutter;
    o.caption = caption;
    o.label_before = label_before;
    o.label_after = label_after;
    o.logo = logo;
    o.logo_opacity = logo_opacity;
    o.align = !no_align;
    o.strict = strict;
    o.force = force;
    o.quality = quality == CLI_UNSET ? 0 : quality;
    ba_comparison c;
    ba_error err;
    gboolean all_ids = argc > 1;
    for (int i = 1; i < argc; i++) {
        gint64 id;
        if (!cli_parse_id(argv[i], &id))
            all_ids = FALSE;
        else
            g_array_append_val(ids, id);
    }
    if (argc > 1 && !all_ids && !client) {
        /* Plain files: no library needed. */
        if (ids->len) {
            rc = cli_usage("compare", "give photo ids or files, not both");
            goto out;
        }
        cli_stdout_file fso = {.fd = -1};
        gboolean file_stdout = strcmp(output, "-") == 0;
        if (file_stdout && cli_stdout_open(&fso, "png")) {
            rc = EXIT_PARTIAL;
            goto out;
        }
        if (ba_compose_files((const char *const *)argv + 1, argc - 1, &o,
                             file_stdout ? fso.path : output, &c, &err)) {
            cli_report_error(NULL, &err);
            rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
            if (file_stdout)
                cli_stdout_close(&fso, FALSE);
            goto out;
        }
        print_result(output, &c);
        if (file_stdout && cli_stdout_close(&fso, TRUE))
            rc = EXIT_PARTIAL;
        goto out;
    }
    if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    if (client) {
        if (argc > 1) {
            rc = cli_usage("compare", "give photo ids or --client/--area, not both");
            goto out;
        }
        if (!area) {
            rc = cli_usage("compare", "--client needs --area");
            goto out;
        }
        /* The first photo of each session, as batch compare picks it. */
        ba_pick pick = first && !last                                   ? BA_PICK_FIRST
                       : last && !first                                 ? BA_PICK_LAST
                       : first || last || o.layout != BA_LAYOUT_TIMELINE ? BA_PICK_FIRST_LAST
                                                                         : BA_PICK_TIMELINE;
        int64_t picked[BA_COMPOSE_MAX_PANELS];
        int n = 0;
        if (ba_compose_pick(cat, client, area, view, pick, picked, BA_COMPOSE_MAX_PANELS, &n,
                            &err)) {
            cli_report_error("compare", &err);
            rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
            goto out;
        }
        if (n < 2) {
            cli_error("compare: client %s has %d session(s) with a %s photo of %s; a comparison "
                      "needs two",
                      client, n, view ? view : "frontal", area);
            rc = EXIT_PARTIAL;
            goto out;
        }
        g_array_append_vals(ids, picked, (guint)n);
    }
    if (ids->len < 2) {
        rc = cli_usage("compare", "give at least two photo ids or files, or --client and --area");
        goto out;
    }
    /* -o -: PNG on standard output, messages (and --json) on stderr. */
    cli_stdout_file so = {.fd = -1};
    gboolean to_stdout = strcmp(output, "-") == 0;
    if (to_stdout && cli_stdout_open(&so, "png")) {
        rc = EXIT_PARTIAL;
        goto out;
    }
    gint64 t0 = g_get_monotonic_time();
    if (ba_compose_photos(cat, (const int64_t *)ids->data, (int)ids->len, &o,
                          to_stdout ? so.path : output, &c, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        if (to_stdout)
            cli_stdout_close(&so, FALSE);
        goto out;
    }
    if (g_cli.verbose)
        fprintf(stderr, "compare: rendered in %.2f s\n",
                (double)(g_get_monotonic_time() - t0) / 1e6);
    print_result(output, &c);
    if (to_stdout && cli_stdout_close(&so, TRUE))
        rc = EXIT_PARTIAL;
out:
    g_array_free(ids, TRUE);
    g_free(output);
    g_free(layout);
    g_free(labels);
    g_free(caption);
    g_free(label_before);
    g_free(label_after);
    g_free(logo);
    g_free(background);
    g_free(client);
    g_free(area);
    g_free(view);
    return rc;
}
