/**
 * @file parse.h
 * @brief Parsers of the small texts a program takes from its users: colours
 *        and lists of numbers (rectangles, eye positions).
 *
 * Every program embedding the library reads these the same way; the
 * messages name the text and what it should be, never a program's options.
 */
#ifndef BEFOREAFTER_PARSE_H
#define BEFOREAFTER_PARSE_H

#include "beforeafter/api.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most numbers ba_parse_numbers() reads. */
#define BA_PARSE_MAX_NUMBERS 16

/**
 * Parse a colour: "#rrggbb" (hex digits, either case), "white" or "black".
 * On success fills @p rgb and returns 0; else BA_ERR_USAGE, @p rgb
 * untouched.  NULL @p s is an error.
 */
BA_API int ba_parse_colour(const char *s, unsigned char rgb[3], ba_error *err);

/**
 * Parse exactly @p n comma-separated finite numbers ("x,y,w,h" with @p n 4,
 * "x1,y1,x2,y2"): spaces around a number are allowed, nothing else.
 * @p n is 1..BA_PARSE_MAX_NUMBERS.  Returns 0 and fills @p out, else
 * BA_ERR_USAGE (@p out may be partly written).
 */
BA_API int ba_parse_numbers(const char *s, int n, double *out, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
