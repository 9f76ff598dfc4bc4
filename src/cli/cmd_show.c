/* beforeafter show ID: one photo with its capture conditions. */
#include <stdio.h>

#include "cli.h"

static void line(const char *key, const char *value)
{
    cli_say("%-18s %s\n", key, value && *value ? value : "-");
}

static void print_text(const ba_photo *p)
{
    const ba_capture *c = &p->capture;
    char buf[320], master[96];
    ba_catalog_master_relpath(p->master_sha256, master, sizeof master);
    snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, p->id);
    line("photo", buf);
    line("client", p->client);
    char *areas = cli_photo_areas(p);
    line(p->n_areas > 1 ? "areas" : "area", areas);
    g_free(areas);
    if (p->retracted_at[0]) {
        snprintf(buf, sizeof buf, "%s (%s)", p->retracted_at, p->retract_reason);
        line("retracted", buf);
    }
    snprintf(buf, sizeof buf, "%s (session %d)", p->session_date, p->session_number);
    line("session", buf);
    line("treatment", p->treatment);
    line("view", p->view);
    line("stage", p->stage);
    snprintf(buf, sizeof buf, "%d x %d", p->width, p->height);
    line("size", buf);
    line("master", master);
    if (p->master_problem[0])
        line("master problem", p->master_problem);
    line("original name", p->original_name);
    line("original sha256", p->original_sha256);
    line("ingested at", p->ingested_at);
    snprintf(buf, sizeof buf, "%s%s%s", c->captured_at, c->offset[0] ? " " : "", c->offset);
    line("captured at", buf);
    snprintf(buf, sizeof buf, "%s%s%s", c->make, c->make[0] && c->model[0] ? " " : "", c->model);
    line("camera", buf);
    buf[0] = '\0';
    if (c->orientation)
        snprintf(buf, sizeof buf, "%d (applied)", c->orientation);
    line("orientation", buf);
    buf[0] = '\0';
    if (c->focal_length_mm > 0 || c->focal_length_35mm > 0)
        snprintf(buf, sizeof buf, "%.1f mm (35 mm equivalent: %.0f mm)", c->focal_length_mm,
                 c->focal_length_35mm);
    line("focal length", buf);
    buf[0] = '\0';
    if (c->exposure_time_s > 0) {
        if (c->exposure_time_s < 1)
            snprintf(buf, sizeof buf, "1/%.0f s", 1.0 / c->exposure_time_s);
        else
            snprintf(buf, sizeof buf, "%.1f s", c->exposure_time_s);
    }
    line("exposure", buf);
    buf[0] = '\0';
    if (c->f_number > 0)
        snprintf(buf, sizeof buf, "f/%.1f", c->f_number);
    line("aperture", buf);
    buf[0] = '\0';
    if (c->iso > 0)
        snprintf(buf, sizeof buf, "%d", c->iso);
    line("iso", buf);
    line("flash", c->flash_fired < 0 ? NULL : c->flash_fired ? "fired" : "did not fire");
    line("white balance", c->white_balance < 0 ? NULL : c->white_balance ? "manual" : "auto");
}

/* The comparisons that show photo @id, with why one is stale. */
typedef struct uses {
    int64_t id;
    GString *text; /* "5, 7 (stale: photo 3 corrected)" */
    JsonBuilder *b; /* an array being built, or NULL */
} uses;

static int on_comparison(const ba_comparison_record *c, void *ud)
{
    uses *u = ud;
    bool shows = false;
    for (int i = 0; i < c->n_photos && !shows; i++)
        shows = c->photos[i] == u->id;
    if (!shows)
        return 0;
    g_string_append_printf(u->text, "%s%" G_GINT64_FORMAT, u->text->len ? ", " : "", c->id);
    if (c->stale[0])
        g_string_append_printf(u->text, " (stale: %s)", c->stale);
    if (u->b) {
        json_builder_begin_object(u->b);
        json_builder_set_member_name(u->b, "comparison_id");
        json_builder_add_int_value(u->b, c->id);
        cli_json_str(u->b, "stale", c->stale);
        json_builder_end_object(u->b);
    }
    return 0;
}

int cmd_show(ba_catalog *cat, int argc, char **argv)
{
    if (!cli_parse(&argc, &argv, NULL, "ID", "Show one photo and its capture conditions.", NULL))
        return EXIT_USAGE;
    gint64 id = 0;
    if (argc != 2 || !cli_parse_id(argv[1], &id))
        return cli_usage("show", "give one photo id (a positive number)");
    if (!cat)
        return cli_no_library();
    ba_photo p;
    ba_error err;
    int rc = EXIT_OK;
    if (ba_catalog_photo_get(cat, id, &p, &err)) {
        cli_report_error(NULL, &err);
        rc = cli_exit_for(&err, CLI_ABOUT_INPUT);
    } else if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        cli_photo_members(b, &p, TRUE);
        json_builder_set_member_name(b, "comparisons");
        json_builder_begin_array(b);
        uses u = {p.id, g_string_new(NULL), b};
        ba_catalog_comparison_list(cat, p.client, on_comparison, &u, NULL);
        g_string_free(u.text, TRUE);
        json_builder_end_array(b);
        json_builder_end_object(b);
        cli_json_line(b);
    } else if (!g_cli.quiet) {
        print_text(&p);
        uses u = {p.id, g_string_new(NULL), NULL};
        ba_catalog_comparison_list(cat, p.client, on_comparison, &u, NULL);
        line("comparisons", u.text->str);
        g_string_free(u.text, TRUE);
    }
    return rc;
}
