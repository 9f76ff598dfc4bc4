#!/bin/sh
# No output path of any command may resolve into a library (issue 10, item 1
# and the first half of item 3): --report, compare -o, ghost -o, batch
# compare --out and export --to are refused with exit 2 and one line when
# they name — directly, through "..", through a symbolic link, or through a
# folder still to be created — a file or folder inside a library (the one in
# use or any other).  The catalog, masters and renders stay byte for byte.
# A report replaces an existing file only whole, through a temporary file.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
O=$T/other-lib
F=$T/in
mkdir -p "$F" "$T/dst"
new_library "$L" A B
new_library "$O" X
B() { "$BA" --library "$L" "$@"; }
for i in 1 2 3 4; do vips gaussnoise "$F/n$i.png" 320 240 --mean $((100 + i * 10)); done
B -q ingest --client A --area cheeks --stage before --date 2026-01-01 "$F/n1.png"
B -q ingest --client A --area cheeks --stage after --date 2026-02-01 "$F/n2.png"
B -q ingest --client B --area cheeks --stage before --date 2026-01-02 "$F/n3.png"
B -q ingest --client B --area cheeks --stage after --date 2026-02-02 "$F/n4.png"
B -q compare 1 2 --no-align -o "$T/dst/c1.png"
printf 'file,client,area,stage,date\n%s,A,forehead,before,2026-03-01\n' "$F/n1.png" >"$T/m.csv"
sha1=$(sqlite3 "$L/catalog.db" "SELECT master_sha256 FROM photos WHERE id = 1")
master1=$L/masters/$(echo "$sha1" | cut -c1-2)/$sha1.jpg
render1=$L/$(sqlite3 "$L/catalog.db" "SELECT render FROM comparisons WHERE id = 1")

snapshot() {
    (cd "$1" && find . -path ./tmp -prune -o -type f ! -name 'catalog.db*' -print0 |
        sort -z | xargs -0 sha256sum)
    sqlite3 "$1/catalog.db" .dump | sha256sum
}
before=$(snapshot "$L")
other_before=$(snapshot "$O")

ln -s "$L/catalog.db" "$T/link-to-catalog.jsonl"
ln -s "$L/masters" "$T/link-to-masters"
ln -s "$L" "$T/link-to-lib"

# refused WHAT ARGS...: exit 2, one stderr line naming the library, nothing changed.
refused() {
    what=$1
    shift
    run_ba "$@"
    expect_rc "$what" 2
    assert_eq "$what: stderr lines" 1 "$(nlines "$T/err")"
    assert_contains "$what" "$T/err" "inside the beforeafter library"
    assert_eq "$what: library unchanged" "$before" "$(snapshot "$L")"
    assert_eq "$what: other library unchanged" "$other_before" "$(snapshot "$O")"
}

refused "report onto the catalog" --library "$L" batch ingest "$T/m.csv" --report "$L/catalog.db"
refused "report via .." --library "$L" batch ingest "$T/m.csv" --report "$L/masters/../catalog.db"
refused "report via a symlink to the catalog" --library "$L" batch ingest "$T/m.csv" \
    --report "$T/link-to-catalog.jsonl"
refused "report in a new folder inside" --library "$L" batch ingest "$T/m.csv" \
    --report "$L/tmp/new/dir/r.jsonl"
refused "report into another library" --library "$L" batch ingest "$T/m.csv" \
    --report "$O/r.jsonl"
refused "batch compare report" --library "$L" batch compare --out "$T/bc" --report "$L/r.jsonl"
refused "compare -o over a master" --library "$L" compare 1 2 --no-align -o "$master1"
refused "compare -o over a render" --library "$L" compare 1 2 --no-align -o "$render1"
refused "compare -o through a linked folder" --library "$L" compare 1 2 --no-align \
    -o "$T/link-to-masters/x.jpg"
refused "compare of files -o into a library" compare "$F/n1.png" "$F/n2.png" --no-align \
    -o "$T/link-to-lib/x.png"
refused "ghost -o" --library "$L" ghost 1 -o "$L/ghost.png"
refused "batch compare --out the renders" --library "$L" batch compare --out "$L/renders"
refused "batch compare --out via a link" --library "$L" batch compare --out "$T/link-to-lib/r"
refused "export --to the library" --library "$L" export 1 --purpose clinical --to "$L"
refused "export --to inside" --library "$L" export 1 --purpose clinical --to "$L/exp"
refused "export --to another library" --library "$L" export 1 --purpose clinical --to "$O/exp"
ok "every output path into a library is refused; nothing changed"

# The master and the catalog are intact, and still usable.
assert_eq "master 1 hash" "$sha1" "$(sha256sum "$master1" | cut -d' ' -f1)"
B -q verify
ok "verify passes after the refusals"

# Outside, the same commands work; a report replaces an older file whole.
echo "an older report" >"$T/dst/r.jsonl"
B -q batch ingest "$T/m.csv" --report "$T/dst/r.jsonl"
assert_eq "report lines" 1 "$(nlines "$T/dst/r.jsonl")"
assert_not_contains "old report replaced" "$T/dst/r.jsonl" "an older report"
[ -z "$(find "$T/dst" -name '.r.jsonl.tmp-*')" ] || fail "temporary report left behind"
B -q compare 1 2 --no-align -o "$T/dst/ok.png"
B -q ghost 1 -o "$T/dst/ghost.png"
B -q export 1 --purpose clinical --to "$T/dst/exp"
[ -s "$T/dst/exp/export.json" ] || fail "export outside the library wrote nothing"
ok "outputs outside the library are written"
