/**
 * @file api.h
 * @brief BA_API marks the functions libbeforeafter exports.
 *
 * The library is built with hidden visibility: only functions declared with
 * BA_API in the installed headers are in the shared library's dynamic symbol
 * table, so nothing internal can be linked against (or collide with an
 * embedding program's own symbols).
 */
#ifndef BEFOREAFTER_API_H
#define BEFOREAFTER_API_H

#if defined(__GNUC__) || defined(__clang__)
#define BA_API __attribute__((visibility("default")))
#else
#define BA_API
#endif

#endif
