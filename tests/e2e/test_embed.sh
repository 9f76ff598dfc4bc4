#!/bin/sh
# Embedding (issue 11, items 1-2): the library installed into a temporary
# prefix is a shared libbeforeafter.so with a SONAME plus libbeforeafter.a;
# the .so exports nothing that the installed headers do not declare;
# examples/embed.c compiles against the *installed* library through
# pkg-config (no --static) and runs: it creates a library, ingests a photo
# and lists it.  The static library links the same program too.
set -eu
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$BA")
P=$T/prefix
cmake --install "$BUILD" --prefix "$P" >/dev/null || fail "cmake --install into $P"
pc=$(find "$P" -name beforeafter.pc | head -1)
[ -n "$pc" ] || fail "no beforeafter.pc installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
so=$(find "$P" -name 'libbeforeafter.so.*.*' | head -1)
[ -n "$so" ] || fail "no libbeforeafter.so installed"
[ -n "$(find "$P" -name libbeforeafter.a)" ] || fail "no libbeforeafter.a installed"
soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
case $soname in libbeforeafter.so.[0-9]*) ;; *) fail "SONAME: '$soname'" ;; esac
ok "installed $soname and libbeforeafter.a"

# Only the public API: every exported function is declared in an installed header.
inc=$(pkg-config --variable=includedir beforeafter)/beforeafter
[ -f "$inc/beforeafter.h" ] || fail "headers not installed in $inc"
nm -D --defined-only "$so" | awk '$2 ~ /^[TtWDdBbRr]$/ {print $3}' | sort -u >"$T/exported"
[ "$(nlines "$T/exported")" -gt 50 ] || fail "only $(nlines "$T/exported") exported symbols"
: >"$T/undeclared"
while read -r sym; do
    grep -Eq "(^|[^A-Za-z0-9_])$sym[[:space:]]*\(" "$inc"/*.h || echo "$sym" >>"$T/undeclared"
done <"$T/exported"
[ ! -s "$T/undeclared" ] || fail "exported but in no installed header: $(tr '\n' ' ' <"$T/undeclared")"
if nm -D --defined-only "$so" | grep -Eq ' (al_|ba_output_write|ba_ingest_load|ba_sha256)'; then
    fail "internal symbols exported"
fi
ok "$(nlines "$T/exported") exported symbols, each declared in an installed header"

# The example, against the installed library only.
SAN=""
[ -n "${BA_UNDER_ASAN:-}" ] && SAN="-fsanitize=address,undefined"
CC=${CC:-cc}
# shellcheck disable=SC2046,SC2086
$CC $SAN -std=c11 -Wall -Wextra -Werror -o "$T/embed" "$BA_SOURCE_DIR/examples/embed.c" \
    $(pkg-config --cflags --libs beforeafter) || fail "embed.c does not build with pkg-config"
make_jpeg "$T/photo.jpg" 40 40 320 240
LD_LIBRARY_PATH=$(pkg-config --variable=libdir beforeafter) "$T/embed" "$T/lib" "$T/photo.jpg" \
    >"$T/embed.out" 2>"$T/embed.err" || fail "embed: $(cat "$T/embed.err")"
assert_contains "embed ingests" "$T/embed.out" "ingested"
assert_contains "embed lists" "$T/embed.out" "photo 1 client C-0001 area cheeks session 1 2026-01-15"
assert_eq "the library it made" 1 "$(rows "$T/lib" photos)"
if ldd "$T/embed" | grep -q "libbeforeafter.so"; then :; else fail "embed is not linked to the .so"; fi
ok "examples/embed.c builds with pkg-config against the installed .so and runs"

# Static: the same program from libbeforeafter.a and the private dependencies.
libdir=$(pkg-config --variable=libdir beforeafter)
# shellcheck disable=SC2046,SC2086
$CC $SAN -std=c11 -o "$T/embed-static" "$BA_SOURCE_DIR/examples/embed.c" \
    $(pkg-config --cflags beforeafter) "$libdir/libbeforeafter.a" \
    $(pkg-config --libs --static beforeafter | sed 's/-lbeforeafter//') ||
    fail "embed.c does not link statically"
"$T/embed-static" "$T/lib" "$T/photo.jpg" >"$T/embed.out" 2>"$T/embed.err" ||
    fail "embed-static: $(cat "$T/embed.err")"
assert_contains "static embed sees the duplicate" "$T/embed.out" "duplicate"
ok "the static library links and runs the same program"
