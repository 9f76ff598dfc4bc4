/* beforeafter detect (ID | FILE): the face box and eye centres the detector
 * finds, so that people and the web app can check them. */
#include <math.h>

#include "cli.h"

/* The JSON of docs/json/detection.json (also the server's answer). */
void cli_detection_json(JsonBuilder *b, gint64 photo_id, const char *file, const ba_detection *d)
{
    json_builder_begin_object(b);
    cli_json_str(b, "kind", "detection");
    if (file) {
        cli_json_str(b, "photo_file", file);
    } else {
        json_builder_set_member_name(b, "photo_id");
        json_builder_add_int_value(b, photo_id);
    }
    json_builder_set_member_name(b, "face");
    if (d->face_found) {
        json_builder_begin_object(b);
        cli_json_real(b, "x", d->face[0], 1);
        cli_json_real(b, "y", d->face[1], 1);
        cli_json_real(b, "w", d->face[2], 1);
        cli_json_real(b, "h", d->face[3], 1);
        cli_json_real(b, "confidence", d->face_confidence, 2);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_set_member_name(b, "eyes");
    json_builder_begin_array(b);
    for (int i = 0; i < d->n_eyes; i++) {
        json_builder_begin_object(b);
        cli_json_real(b, "x", d->eyes[i][0], 1);
        cli_json_real(b, "y", d->eyes[i][1], 1);
        cli_json_real(b, "radius", d->eye_radius[i], 1);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    cli_json_real(b, "eyes_confidence", d->eyes_confidence, 2);
    json_builder_end_object(b);
}

int cmd_detect(ba_catalog *cat, int argc, char **argv)
{
    const GOptionEntry entries[] = {{NULL, 0, 0, 0, NULL, NULL, NULL}};
    if (!cli_parse(&argc, &argv, entries, "(ID | FILE)",
                   "Find the face and the eyes in a photo (its master) or an image file.",
                   "Prints the face box (x, y, width, height) and the eye centres with their\n"
                   "radius, in the photo's full-resolution pixels, and how confident the\n"
                   "detector is (0..1; docs/CLI.md says how it is derived).  Nothing found is\n"
                   "not an error.  A file named like a number can be given as ./17.\n\n"
                   "Exit codes: 0 done (found or not), 1 unreadable image or missing detector\n"
                   "files, 2 usage error or unknown photo, 3 library unusable."))
        return EXIT_USAGE;
    if (argc != 2 || !*argv[1])
        return cli_usage("detect", "give one photo id or image file");
    gint64 id = 0;
    gboolean is_id = cli_parse_id(argv[1], &id);
    if (is_id && !cat)
        return cli_no_library();
    ba_detection d;
    ba_error err;
    int failed = is_id ? ba_detect_photo(cat, id, &d, &err) : ba_detect_file(argv[1], 0, &d, &err);
    if (failed) {
        cli_report_error(NULL, &err);
        return cli_exit_for(&err, CLI_ABOUT_INPUT);
    }
    if (g_cli.json) {
        JsonBuilder *b = json_builder_new();
        cli_detection_json(b, id, is_id ? NULL : argv[1], &d);
        cli_json_line(b);
        return EXIT_OK;
    }
    if (d.face_found)
        cli_say("face %.0f,%.0f %.0fx%.0f (confidence %.2f)\n", d.face[0], d.face[1], d.face[2],
                d.face[3], d.face_confidence);
    else
        cli_say("no face found\n");
    for (int i = 0; i < d.n_eyes; i++)
        cli_say("eye %.1f,%.1f radius %.1f\n", d.eyes[i][0], d.eyes[i][1], d.eye_radius[i]);
    if (d.face_found)
        cli_say("%d eye%s found (confidence %.2f)\n", d.n_eyes, d.n_eyes == 1 ? "" : "s",
                d.eyes_confidence);
    return EXIT_OK;
}
