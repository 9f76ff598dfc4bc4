/* beforeafter list: photos, filtered. */
#include <stdio.h>

#include "cli.h"

static int print_photo(const ba_photo *p, void *ud)
{
    int *count = ud;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_photo_members(b, p, FALSE);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet) {
        if (*count == 0)
            printf("%6s  %-12s %-12s %-10s %3s  %-8s %-8s %11s  %s\n", "ID", "CLIENT", "AREA",
                   "DATE", "#", "VIEW", "STAGE", "SIZE", "FILE");
        char size[32];
        snprintf(size, sizeof size, "%dx%d", p->width, p->height);
        char *areas = cli_photo_areas(p);
        cli_say("%6" G_GINT64_FORMAT "  %-12s %-12s %-10s %3d  %-8s %-8s %11s  %s%s\n", p->id,
                p->client, areas, p->session_date, p->session_number, p->view, p->stage, size,
                p->original_name, p->retracted_at[0] ? "  (retracted)" : "");
        g_free(areas);
    }
    (*count)++;
    return 0;
}

static int print_comparison(const ba_comparison_record *c, void *ud)
{
    int *count = ud;
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, "comparison");
        json_builder_set_member_name(b, "comparison_id");
        json_builder_add_int_value(b, c->id);
        cli_json_str(b, "client", c->client);
        json_builder_set_member_name(b, "areas");
        json_builder_begin_array(b);
        char **areas = g_strsplit(c->areas, ",", -1);
        for (int i = 0; areas[i]; i++)
            if (*areas[i])
                json_builder_add_string_value(b, areas[i]);
        g_strfreev(areas);
        json_builder_end_array(b);
        cli_json_str(b, "stale", c->stale);
        json_builder_set_member_name(b, "layout");
        json_builder_add_string_value(b, c->layout);
        json_builder_set_member_name(b, "photo_ids"); /* docs/JSON.md: <thing>_ids */
        json_builder_begin_array(b);
        for (int i = 0; i < c->n_photos; i++)
            json_builder_add_int_value(b, c->photos[i]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "render");
        json_builder_add_string_value(b, c->render);
        json_builder_set_member_name(b, "output");
        json_builder_add_string_value(b, c->output);
        json_builder_set_member_name(b, "sha256");
        json_builder_add_string_value(b, c->sha256);
        json_builder_set_member_name(b, "width");
        json_builder_add_int_value(b, c->width);
        json_builder_set_member_name(b, "height");
        json_builder_add_int_value(b, c->height);
        json_builder_set_member_name(b, "aligned");
        json_builder_add_boolean_value(b, c->aligned);
        json_builder_set_member_name(b, "parameters");
        JsonNode *params = json_from_string(c->parameters, NULL);
        if (params)
            json_builder_add_value(b, params);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "created_at");
        json_builder_add_string_value(b, c->created_at);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet) {
        if (*count == 0)
            printf("%6s  %-12s %-20s %-12s %-14s %11s  %-20s  %s\n", "ID", "CLIENT", "AREAS",
                   "LAYOUT", "PHOTOS", "SIZE", "CREATED", "OUTPUT");
        GString *ids = g_string_new(NULL);
        for (int i = 0; i < c->n_photos; i++)
            g_string_append_printf(ids, "%s%" G_GINT64_FORMAT, i ? "," : "", c->photos[i]);
        char size[32];
        snprintf(size, sizeof size, "%dx%d", c->width, c->height);
        char *output = cli_escape(c->output);
        cli_say("%6" G_GINT64_FORMAT "  %-12s %-20s %-12s %-14s %11s  %-20s  %s%s\n", c->id,
                c->client, c->areas[0] ? c->areas : "-", c->layout, ids->str, size,
                c->created_at, output, c->stale[0] ? "  (stale)" : "");
        g_free(output);
        g_string_free(ids, TRUE);
    }
    (*count)++;
    return 0;
}

int cmd_list(ba_catalog *cat, int argc, char **argv)
{
    char *client = NULL, *area = NULL, *from = NULL, *to = NULL, *stage = NULL;
    gboolean comparisons = FALSE, retracted = FALSE, all = FALSE;
    const GOptionEntry entries[] = {
        {"comparisons", 0, 0, G_OPTION_ARG_NONE, &comparisons,
         "List rendered comparisons instead of photos", NULL},
        {"client", 0, 0, G_OPTION_ARG_STRING, &client, "Only this client", "CODE"},
        {"area", 0, 0, G_OPTION_ARG_STRING, &area, "Only this area", "AREA"},
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "Sessions on or after", "YYYY-MM-DD"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "Sessions on or before", "YYYY-MM-DD"},
        {"stage", 0, 0, G_OPTION_ARG_STRING, &stage, "Only this stage", "STAGE"},
        {"retracted", 0, 0, G_OPTION_ARG_NONE, &retracted, "Only retracted photos", NULL},
        {"all", 0, 0, G_OPTION_ARG_NONE, &all, "Current and retracted photos", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    ba_error err;
    if (!cli_parse(&argc, &argv, entries, "[--client C] [--area A] [--from D] [--to D] [--stage S]",
                   "List the photos in the library.", NULL)) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (argc > 1) {
        rc = cli_usage("list", "unexpected argument '%s'", argv[1]);
        goto out;
    }
    if ((from && ba_date_check(from, &err)) || (to && ba_date_check(to, &err))) {
        rc = cli_usage("list", "%s", err.message);
        goto out;
    }
    if (stage && !ba_stage_valid(stage)) {
        rc = cli_usage("list", "--stage '%s' is not one of before, after, progress", stage);
        goto out;
    }
    if (!cat) {
        rc = cli_no_library();
        goto out;
    }
    /* A filter naming what does not exist is a mistake, not an empty result. */
    ba_client c;
    if ((client && ba_catalog_client_get(cat, client, &c, &err)) ||
        (area && ba_catalog_area_check(cat, area, &err))) {
        cli_report_error("list", &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        goto out;
    }
    ba_photo_filter f = {client, area, from, to, stage,
                         all ? BA_PHOTOS_ALL : retracted ? BA_PHOTOS_RETRACTED : BA_PHOTOS_CURRENT};
    int count = 0;
    if (comparisons) {
        if (ba_catalog_comparison_list(cat, client, print_comparison, &count, &err)) {
            cli_report_error(NULL, &err);
            rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
        }
    } else if (ba_catalog_photo_list(cat, &f, print_photo, &count, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
    }
out:
    g_free(client);
    g_free(area);
    g_free(from);
    g_free(to);
    g_free(stage);
    return rc;
}
