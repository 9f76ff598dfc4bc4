/* Helpers shared by the unit tests. */
#ifndef BA_TESTUTIL_H
#define BA_TESTUTIL_H

#include <beforeafter/beforeafter.h>
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <vips/vips.h>

/* A fresh temporary folder; free with tu_rmtree() + g_free(). */
char *tu_tmpdir(void);

/* Remove @path and everything below it. */
void tu_rmtree(const char *path);

/* Create a library in a fresh temp folder with client C-1; *dir receives the folder. */
ba_catalog *tu_library(char **dir);

/* Number of regular files below @dir (recursively). */
int tu_count_files(const char *dir);

/* A w x h sRGB test scene with structure in both axes (gradients + shapes). */
VipsImage *tu_scene(int w, int h);

/* Write @img to @path with libvips (format from the suffix, e.g. ".jpg[Q=98]"). */
void tu_save(VipsImage *img, const char *path);

/* Read a whole file; *len receives its size. */
unsigned char *tu_read(const char *path, size_t *len);

/* PSNR in dB between two same-sized 8-bit images. */
double tu_psnr(VipsImage *a, VipsImage *b);

/* An ICC profile for Display P3 (P3 primaries, D65, sRGB transfer curve), built with lcms2. */
void *tu_p3_profile(size_t *len);

/* A library with client C-1 plus a folder for inputs, made fresh per test. */
typedef struct tu_fixture {
    char *dir;       /* the library */
    ba_catalog *cat; /* open on it */
    char *work;      /* temp folder for inputs and outputs */
} tu_fixture;

/* cmocka setup: a new tu_fixture in *state. */
int tu_fixture_setup(void **state);

/* cmocka teardown: close and remove everything tu_fixture_setup made. */
int tu_fixture_teardown(void **state);

/* Ingest defaults for client C-1, area cheeks, date 2026-01-02. */
void tu_options(ba_ingest_options *o);

#endif
