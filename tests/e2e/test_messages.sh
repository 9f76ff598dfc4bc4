#!/bin/sh
# Library messages name values and fields, never a program's flags or
# commands (issue 11, item 5): an application embedding libbeforeafter would
# show its users options of a program they do not have.  What the caller
# could do travels as a hint (ba_hint), which the CLI words with its flags.
#
# - no string literal in src/lib names a CLI flag (--word) or a command
#   ('beforeafter ...'), comments aside;
# - the CLI still says what to do: the hint in the same one stderr line and
#   in the "error" of --json lines.
set -eu
. "$(dirname "$0")/lib.sh"

# Every string literal of the library's C sources, comments stripped, with
# the file and line it is on.  A short allow-list for literals that are not
# flags (none today: SQL comments are "-- text", which the pattern skips).
/usr/bin/python3 - "$BA_SOURCE_DIR/src/lib" >"$T/hits" <<'PY'
import os, re, sys
ALLOW = set()  # ("file", "literal") pairs that are not flags
flag = re.compile(r"(?<![-\w])--[a-z]")
command = re.compile(r"'beforeafter ")
token = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
for root, _, files in os.walk(sys.argv[1]):
    for name in sorted(files):
        if not name.endswith((".c", ".h", ".cc", ".cpp")):
            continue
        path = os.path.join(root, name)
        text = open(path, encoding="utf-8", errors="replace").read()
        for m in token.finditer(text):
            lit = m.group(0)
            if not lit.startswith('"'):
                continue
            if (flag.search(lit) or command.search(lit)) and (name, lit) not in ALLOW:
                line = text.count("\n", 0, m.start()) + 1
                print(f"{os.path.relpath(path, sys.argv[1])}:{line}: {lit}")
PY
if [ -s "$T/hits" ]; then
    fail "library messages name CLI flags or commands:
$(cat "$T/hits")"
fi
ok "no string literal in src/lib names a CLI flag or command"

# The CLI words the hints: the date, the library to create.
F=$T/f
mkdir -p "$F"
L=$T/lib
make_jpeg "$F/nodate.jpg" 10 20 320 240
ba --library "$L" init
ba --library "$L" client add C-1
run_ba --library "$L" ingest --client C-1 --area cheeks "$F/nodate.jpg"
expect_rc "ingest without a date" 1
assert_eq "ingest without a date: one line" 1 "$(nlines "$T/err")"
assert_contains "no date: the library's words" "$T/err" "no session date"
assert_contains "no date: the CLI's hint" "$T/err" "--date YYYY-MM-DD"
run_ba --library "$L" --json ingest --client C-1 --area cheeks "$F/nodate.jpg"
expect_rc "ingest --json without a date" 1
grep '"status":"error"' "$T/out" | grep -q -- '--date' ||
    fail "--json: the error should carry the hint: $(cat "$T/out")"
ok "a refused ingest without a date says --date on stderr and in --json"

run_ba --library "$T/nolib" list
expect_rc "list without a library" 3
assert_eq "no library: one line" 1 "$(nlines "$T/err")"
assert_contains "no library: the hint names init" "$T/err" "--library $T/nolib init"
ok "a missing library: the hint says how to create one"
