/* JSON form of a photo, shared by list and show. */
#include "cli.h"

/* @v rounded to @decimals (docs/JSON.md); null when unknown (0). */
static void member_real(JsonBuilder *b, const char *name, double v, int decimals)
{
    if (v > 0) {
        cli_json_real(b, name, v, decimals);
        return;
    }
    json_builder_set_member_name(b, name);
    json_builder_add_null_value(b);
}

static void member_int(JsonBuilder *b, const char *name, gint64 v, gint64 unknown)
{
    json_builder_set_member_name(b, name);
    if (v != unknown)
        json_builder_add_int_value(b, v);
    else
        json_builder_add_null_value(b);
}

char *cli_photo_areas(const ba_photo *p)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < p->n_areas; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", p->areas[i]);
    return g_string_free(s, FALSE);
}

void cli_photo_members(JsonBuilder *b, const ba_photo *p, gboolean full)
{
    char master[96];
    ba_catalog_master_relpath(p->master_sha256, master, sizeof master);
    cli_json_str(b, "kind", "photo");
    member_int(b, "photo_id", p->id, -1);
    cli_json_str(b, "client", p->client);
    cli_json_str(b, "area", p->area);
    json_builder_set_member_name(b, "areas");
    json_builder_begin_array(b);
    for (int i = 0; i < p->n_areas; i++)
        json_builder_add_string_value(b, p->areas[i]);
    json_builder_end_array(b);
    cli_json_str(b, "session_date", p->session_date);
    member_int(b, "session_number", p->session_number, -1);
    cli_json_str(b, "treatment", p->treatment);
    cli_json_str(b, "view", p->view);
    cli_json_str(b, "stage", p->stage);
    member_int(b, "width", p->width, -1);
    member_int(b, "height", p->height, -1);
    cli_json_str(b, "captured_at", p->capture.captured_at);
    cli_json_str(b, "camera_make", p->capture.make);
    cli_json_str(b, "camera_model", p->capture.model);
    cli_json_str(b, "master", master);
    cli_json_str(b, "original_name", p->original_name);
    cli_json_str(b, "ingested_at", p->ingested_at);
    cli_json_str(b, "retracted_at", p->retracted_at);
    cli_json_str(b, "retract_reason", p->retract_reason);
    if (!full)
        return;
    const ba_capture *c = &p->capture;
    cli_json_str(b, "master_sha256", p->master_sha256);
    cli_json_str(b, "master_problem", p->master_problem);
    cli_json_str(b, "original_sha256", p->original_sha256);
    cli_json_str(b, "capture_offset", c->offset);
    member_int(b, "orientation", c->orientation, 0);
    member_real(b, "focal_length_mm", c->focal_length_mm, 1);
    member_real(b, "focal_length_35mm", c->focal_length_35mm, 1);
    member_real(b, "exposure_time_s", c->exposure_time_s, 6); /* 1/8000 s = 0.000125 */
    member_real(b, "f_number", c->f_number, 1);
    member_int(b, "iso", c->iso, 0);
    json_builder_set_member_name(b, "flash_fired");
    if (c->flash_fired < 0)
        json_builder_add_null_value(b);
    else
        json_builder_add_boolean_value(b, c->flash_fired == 1);
    cli_json_str(b, "white_balance", c->white_balance == 0   ? "auto"
                                   : c->white_balance == 1 ? "manual"
                                                           : NULL);
}
