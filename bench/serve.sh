#!/bin/bash
# Server benchmark: `beforeafter serve` (HTTPS, sessions, access audit on, as
# always) beside nginx serving the same thumbnail files statically, and
# upload+ingest through the API beside `batch ingest --jobs 2`, in the same run.
#
#   bench/serve.sh [--photos N] [--uploads N] [--size WxH] [--duration S]
#                  [--connections C] [--workdir DIR] [--keep]
#
#   --photos N       photos in the thumbnail library (default 50, 1600x1200)
#   --uploads N      12 MP photos uploaded / batch-ingested (default 24)
#   --size WxH       size of the uploaded photos (default 4000x3000)
#   --duration S     seconds of each wrk run (default 15)
#   --connections C  wrk connections (default 64; 2 wrk threads)
#   --workdir D      inputs and outputs (default bench/.work/serve, gitignored;
#                    generated inputs are cached there between runs)
#   --keep           keep the libraries and logs of the run
#   BA=path          the beforeafter binary (default build/beforeafter)
#
# Inputs: distinct JPEGs made by bench/lib.sh from the public-domain skimage
# astronaut (Q92, sensor-like noise, iPhone-like EXIF).
#
# a) Thumbnails.  A library with N photos (batch ingest), a provider account,
#    `serve` on a free 127.0.0.1 port; every thumbnail made once through
#    GET /api/v1/photos/{id}/image?size=thumb.  Then wrk (bench/serve_thumbs.lua:
#    the ba_session cookie, ids cycled) for S seconds at C connections against
#      a1) beforeafter, keep-alive as wrk does it
#      n1) nginx (private config, non-daemon, same loopback, same self-signed
#          certificate LIBRARY/server/tls-{cert,key}.pem, 2 workers as serve
#          has 2 on this machine, access log on) serving LIBRARY/previews/320/
#          statically, keep-alive
#      n2) nginx with "Connection: close" on every request: one TLS handshake
#          per request, as a1 gets in fact (context)
#    Requests/s counts answered requests; "errors" are wrk's socket errors
#    (connect/read/write/timeout) plus non-2xx answers.  After the run the
#    access log must hold a photo-image row for every answered request.
# b) Uploads.  The same M photos (WxH) into a fresh library: 2 concurrent
#    clients POST /api/v1/photos (multipart, fresh connection each, every
#    answer must be 201) vs `batch ingest manifest.csv --jobs 2` with the same
#    client/area/stage/date; photos/s from the first request to the last answer.
# Targets (issue 14): a1 >= 0.3x n1 requests/s with p99 < 50 ms; b) uploads
# >= 0.8x batch ingest.  Exits non-zero only when a tool fails or is wrong,
# never because a target is missed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GEN_VERSION=1
die() { echo "bench/serve.sh: $*" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

PHOTOS=50 UPLOADS=24 SIZE=4000x3000 DURATION=15 CONNS=64 WORK=$ROOT/bench/.work/serve KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
        --photos) PHOTOS=${2:?}; shift 2 ;;
        --uploads) UPLOADS=${2:?}; shift 2 ;;
        --size) SIZE=${2:?}; shift 2 ;;
        --duration) DURATION=${2:?}; shift 2 ;;
        --connections) CONNS=${2:?}; shift 2 ;;
        --workdir) WORK=${2:?}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
for v in "$PHOTOS" "$UPLOADS" "$DURATION" "$CONNS"; do
    case $v in ''|*[!0-9]*|0) die "counts and durations are positive integers" ;; esac
done
case $SIZE in [0-9]*x[0-9]*) ;; *) die "--size must be WxH" ;; esac
W=${SIZE%x*} H=${SIZE#*x}

BA=${BA:-$ROOT/build/beforeafter}
PY=/usr/bin/python3
for tool in vips vipsheader exiftool wrk nginx curl sqlite3 awk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run scripts/install-deps.sh"
done
[ -x "$BA" ] || die "beforeafter binary '$BA' not found (build it or set BA=...)"
SRC=${BENCH_SOURCE:-/usr/lib/python3/dist-packages/skimage/data/astronaut.png}
[ -r "$SRC" ] || die "no source image $SRC (python3-skimage)"
export VIPS_WARNING=0

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)
THUMB_IN=$WORK/inputs-v$GEN_VERSION-1600x1200
UP_IN=$WORK/inputs-v$GEN_VERSION-${W}x$H
gen_set "$THUMB_IN" 1600 1200 1 "$PHOTOS"
gen_set "$UP_IN" "$W" "$H" 1 "$UPLOADS"

RUN=$WORK/run
rm -rf "$RUN"
mkdir -p "$RUN"
PIDS=()
cleanup() {
    local p
    for p in ${PIDS[@]+"${PIDS[@]}"}; do kill "$p" 2>/dev/null || true; done
    for p in ${PIDS[@]+"${PIDS[@]}"}; do wait "$p" 2>/dev/null || true; done
    if [ "$KEEP" = 0 ]; then rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASS="bench server passphrase"
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

# manifest OUT DIR K : file,client,area,stage,date for the first K photos of DIR
manifest() {
    local i
    {
        echo "file,client,area,stage,date"
        for ((i = 1; i <= $3; i++)); do
            printf '%s/in-%03d.jpg,C-%d,cheeks,before,2025-%02d-%02d\n' "$2" "$i" \
                $((i % 2 + 1)) $((1 + i / 28 % 12)) $((1 + i % 28))
        done
    } >"$1"
}

# new_lib DIR : init, clients C-1 and C-2, provider "bench"
new_lib() {
    "$BA" --library "$1" -q init
    "$BA" --library "$1" -q client add C-1
    "$BA" --library "$1" -q client add C-2
    printf '%s\n' "$PASS" | "$BA" --library "$1" -q user add bench --role provider \
        --password-stdin >/dev/null
}

# start_server LIB LOG : sets SRV_PID and SRV_PORT
start_server() {
    SRV_PORT=$(free_port)
    "$BA" --library "$1" serve --listen "127.0.0.1:$SRV_PORT" >"$2" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    local i
    for ((i = 0; i < 200; i++)); do
        grep -q "listening on" "$2" && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$2" >&2
    die "serve did not start"
}
stop_server() {
    kill -TERM "$SRV_PID"
    local rc=0
    wait "$SRV_PID" || rc=$?
    [ "$rc" = 0 ] || die "serve exited $rc on SIGTERM: $(tail -n 5 "$2")"
}
# login PORT : prints "cookie csrf"
login() {
    local out
    out=$(curl -sk -D "$RUN/login.h" -H 'Content-Type: application/json' \
        -d "{\"username\":\"bench\",\"password\":\"$PASS\"}" "https://127.0.0.1:$1/api/v1/session")
    local cookie csrf
    cookie=$(tr -d '\r' <"$RUN/login.h" | sed -n 's/^[Ss]et-[Cc]ookie: ba_session=\([^;]*\).*/\1/p')
    csrf=$(printf '%s' "$out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
    [ -n "$cookie" ] || die "login failed: $out"
    echo "$cookie $csrf"
}

ba_ver=$("$BA" --version 2>/dev/null | head -n 1 || echo "?")
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
echo "serve benchmark: thumbnails of $PHOTOS photos, wrk -t2 -c$CONNS -d${DURATION}s; uploads of $UPLOADS photos ${W}x$H"
echo "  host: ${cpu:-?}, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; beforeafter: $ba_ver; $(nginx -v 2>&1); $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
echo

# ---- a) thumbnails --------------------------------------------------------------
LIB=$RUN/lib-thumbs
new_lib "$LIB"
manifest "$RUN/thumbs.csv" "$THUMB_IN" "$PHOTOS"
"$BA" --library "$LIB" -q batch ingest "$RUN/thumbs.csv" --jobs 2 >"$RUN/thumbs-ingest.log" 2>&1 ||
    { tail -n 20 "$RUN/thumbs-ingest.log" >&2; die "batch ingest of the thumbnail library failed"; }
start_server "$LIB" "$RUN/serve-thumbs.log"
read -r COOKIE _ < <(login "$SRV_PORT")
: >"$RUN/ba-paths"
: >"$RUN/nginx-paths"
while IFS='|' read -r id sha; do
    code=$(curl -sk -o "$RUN/t.jpg" -w '%{http_code}' -H "Cookie: ba_session=$COOKIE" \
        "https://127.0.0.1:$SRV_PORT/api/v1/photos/$id/image?size=thumb")
    [ "$code" = 200 ] || die "thumbnail of photo $id: HTTP $code"
    f=$LIB/previews/320/${sha:0:2}/$sha.jpg
    [ -f "$f" ] && cmp -s "$f" "$RUN/t.jpg" || die "photo $id: the API's thumbnail is not $f"
    echo "/api/v1/photos/$id/image?size=thumb" >>"$RUN/ba-paths"
    echo "/${sha:0:2}/$sha.jpg" >>"$RUN/nginx-paths"
done < <(sqlite3 "$LIB/catalog.db" 'SELECT id, master_sha256 FROM photos ORDER BY id')
[ "$(wc -l <"$RUN/ba-paths")" = "$PHOTOS" ] || die "expected $PHOTOS photos in the thumbnail library"
thumb_kb=$(du -cb "$LIB"/previews/320/*/*.jpg | tail -n 1 | awk -v n="$PHOTOS" '{printf "%.1f", $1 / n / 1024}')
AUDIT0=$(sqlite3 "$LIB/catalog.db" "SELECT count(*) FROM access_log WHERE action = 'photo-image'")

NGX_PORT=$(free_port)
mkdir -p "$RUN/nginx"
cat >"$RUN/nginx/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 2;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log $RUN/nginx/access.log;
    client_body_temp_path $RUN/nginx/body;
    proxy_temp_path $RUN/nginx/proxy;
    fastcgi_temp_path $RUN/nginx/fastcgi;
    uwsgi_temp_path $RUN/nginx/uwsgi;
    scgi_temp_path $RUN/nginx/scgi;
    types { image/jpeg jpg; }
    server {
        listen 127.0.0.1:$NGX_PORT ssl;
        ssl_certificate $LIB/server/tls-cert.pem;
        ssl_certificate_key $LIB/server/tls-key.pem;
        root $LIB/previews/320;
        location / { try_files \$uri =404; }
    }
}
EOF
nginx -c "$RUN/nginx/nginx.conf" -p "$RUN/nginx" >"$RUN/nginx/stdout.log" 2>&1 &
NGX_PID=$!
PIDS+=("$NGX_PID")
for ((i = 0; i < 100; i++)); do
    curl -sk -o /dev/null "https://127.0.0.1:$NGX_PORT/" && break
    sleep 0.05
done
first=$(head -n 1 "$RUN/nginx-paths")
curl -sk -o "$RUN/n.jpg" "https://127.0.0.1:$NGX_PORT$first"
cmp -s "$RUN/n.jpg" "$LIB/previews/320$first" || die "nginx does not serve $first"

# run_wrk LABEL URL PATHS COOKIE CLOSE : the BENCH line into $RUN/LABEL.res
run_wrk() {
    BENCH_PATHS=$3 BENCH_COOKIE=$4 BENCH_CLOSE=$5 \
        wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency \
        -s "$ROOT/bench/serve_thumbs.lua" "$2" >"$RUN/$1.wrk" 2>&1 ||
        { cat "$RUN/$1.wrk" >&2; die "wrk $1 failed"; }
    grep '^BENCH ' "$RUN/$1.wrk" | tail -n 1 >"$RUN/$1.res"
    [ -s "$RUN/$1.res" ] || { cat "$RUN/$1.wrk" >&2; die "wrk $1: no result line"; }
}
run_wrk a1 "https://127.0.0.1:$SRV_PORT" "$RUN/ba-paths" "$COOKIE" 0
run_wrk n1 "https://127.0.0.1:$NGX_PORT" "$RUN/nginx-paths" "" 0
run_wrk n2 "https://127.0.0.1:$NGX_PORT" "$RUN/nginx-paths" "" 1
kill "$NGX_PID"; wait "$NGX_PID" 2>/dev/null || true
stop_server "$RUN/serve-thumbs.log"
AUDIT1=$(sqlite3 "$LIB/catalog.db" "SELECT count(*) FROM access_log WHERE action = 'photo-image'")
read -r _ a1_req a1_non2xx _ <"$RUN/a1.res"
AUDITED=$((AUDIT1 - AUDIT0))
audit_ok=yes
# every answered 2xx read is audited (a read cut off after the audit may add rows)
[ "$AUDITED" -ge $((a1_req - a1_non2xx)) ] || audit_ok=NO

# ---- b) uploads vs batch ingest ---------------------------------------------------
cat "$UP_IN"/in-*.jpg >/dev/null   # warm page cache
ULIB=$RUN/lib-upload
new_lib "$ULIB"
manifest "$RUN/upload.csv" "$UP_IN" "$UPLOADS"
start_server "$ULIB" "$RUN/serve-upload.log"
read -r COOKIE CSRF < <(login "$SRV_PORT")
$PY - "$SRV_PORT" "$COOKIE" "$CSRF" "$RUN/upload.csv" >"$RUN/upload.res" <<'EOF'
import csv, http.client, json, ssl, sys, threading, time, uuid
port, cookie, csrf, manifest = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
rows = list(csv.DictReader(open(manifest)))
lock, errors, lat = threading.Lock(), [], []
def body_of(r):
    b = uuid.uuid4().hex
    out = b"".join(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" %
                    (b, k, r[k])).encode() for k in ("client", "area", "stage", "date"))
    out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n" % (b, r["file"].rsplit("/", 1)[-1])).encode()
    out += open(r["file"], "rb").read() + ("\r\n--%s--\r\n" % b).encode()
    return out, "multipart/form-data; boundary=" + b
def worker():
    while True:
        with lock:
            if not rows:
                return
            r = rows.pop(0)
        body, ctype = body_of(r)
        t0 = time.monotonic()
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=300)
        c.request("POST", "/api/v1/photos", body=body, headers={
            "Cookie": "ba_session=" + cookie, "X-CSRF-Token": csrf, "Content-Type": ctype})
        resp = c.getresponse(); d = resp.read(); c.close()
        with lock:
            lat.append(time.monotonic() - t0)
            if resp.status != 201:
                errors.append("%s: %d %r" % (r["file"], resp.status, d[:200]))
n = len(rows)
t0 = time.monotonic()
ts = [threading.Thread(target=worker) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
wall = time.monotonic() - t0
for e in errors[:5]:
    print("ERROR " + e, file=sys.stderr)
lat.sort()
print("%d %d %.3f %.0f" % (n, len(errors), wall, 1000 * lat[len(lat) // 2]))
EOF
read -r up_n up_err up_wall up_p50 <"$RUN/upload.res"
stop_server "$RUN/serve-upload.log"
[ "$up_err" = 0 ] || die "$up_err upload(s) not answered 201"
up_rows=$(sqlite3 "$ULIB/catalog.db" 'SELECT count(*) FROM photos')
[ "$up_rows" = "$UPLOADS" ] || die "upload library holds $up_rows photos, want $UPLOADS"

BLIB=$RUN/lib-batch
new_lib "$BLIB"
t0=$(now)
/usr/bin/time -f '%e %U %S' -o "$RUN/batch.time" \
    "$BA" --library "$BLIB" batch ingest "$RUN/upload.csv" --jobs 2 >"$RUN/batch.log" 2>&1 ||
    { tail -n 20 "$RUN/batch.log" >&2; die "batch ingest failed"; }
t1=$(now)
b_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
b_rows=$(sqlite3 "$BLIB/catalog.db" 'SELECT count(*) FROM photos')
[ "$b_rows" = "$UPLOADS" ] || die "batch library holds $b_rows photos, want $UPLOADS"
# the same photos either way: the same masters
cmp -s <(sqlite3 "$ULIB/catalog.db" 'SELECT master_sha256 FROM photos ORDER BY 1') \
    <(sqlite3 "$BLIB/catalog.db" 'SELECT master_sha256 FROM photos ORDER BY 1') ||
    die "the API and batch ingest made different masters"

# ---- the table --------------------------------------------------------------------
# wrk_row LABEL KEY
wrk_row() {
    awk -v l="$1" '{
        dur = $8 / 1e6; err = $3 + $4 + $5 + $6 + $7
        printf "%-52s %10.0f %9.1f %9.1f %9d %8d\n", l, $2 / dur, $9 / 1000, $10 / 1000, $2, err
    }' "$RUN/$2.res"
}
rps() { awk '{printf "%.3f", $2 / ($8 / 1e6)}' "$RUN/$1.res"; }
printf '%-52s %10s %9s %9s %9s %8s\n' "thumbnails (${thumb_kb} KB JPEG each)" "requests/s" "p50 ms" "p99 ms" "answered" "errors"
printf '%-52s %10s %9s %9s %9s %8s\n' "----------------------------------------------------" \
    "----------" "---------" "---------" "---------" "--------"
wrk_row "a1) beforeafter serve, API + session + audit" a1
wrk_row "n1) nginx static, keep-alive" n1
wrk_row "n2) nginx static, Connection: close" n2
read -r _ _ _ a1_conn a1_read a1_write a1_tmo _ <"$RUN/a1.res"
echo "    a1 errors: $a1_non2xx non-2xx, $a1_conn connect, $a1_read read, $a1_write write, $a1_tmo timeout;" \
    "access log: $AUDITED photo-image rows for $a1_req answers (complete: $audit_ok)"
echo
printf '%-52s %10s %9s %9s\n' "uploads ($UPLOADS x ${W}x$H, $(du -cb "$UP_IN"/in-*.jpg | tail -n 1 | awk '{printf "%.0f", $1 / 1048576}') MB)" "photos/s" "wall s" "CPU s"
printf '%-52s %10s %9s %9s\n' "----------------------------------------------------" "----------" "---------" "---------"
awk -v n="$up_n" -v w="$up_wall" -v p="$up_p50" 'BEGIN{printf "%-52s %10.2f %9.2f %9s   (p50 %.1f s per upload)\n", "b1) POST /api/v1/photos, 2 concurrent clients", n / w, w, "-", p / 1000}'
read -r _ b_u b_s <"$RUN/batch.time"
awk -v n="$UPLOADS" -v w="$b_wall" -v c="$(awk -v u="$b_u" -v s="$b_s" 'BEGIN{print u + s}')" \
    'BEGIN{printf "%-52s %10.2f %9.2f %9.2f\n", "b2) batch ingest --jobs 2", n / w, w, c}'
echo

verdict() { awk -v v="$1" -v t="$2" 'BEGIN{print (v >= t) ? "ok" : "MISSED"}'; }
a1=$(rps a1) n1=$(rps n1) n2=$(rps n2)
r1=$(awk -v a="$a1" -v b="$n1" 'BEGIN{printf "%.2f", a / b}')
r2=$(awk -v a="$a1" -v b="$n2" 'BEGIN{printf "%.2f", a / b}')
p99=$(awk '{printf "%.1f", $10 / 1000}' "$RUN/a1.res")
ru=$(awk -v n="$UPLOADS" -v w="$up_wall" -v bw="$b_wall" 'BEGIN{printf "%.2f", (n / w) / (n / bw)}')
printf '%-52s %9s  %-12s %s\n' "target" "measured" "goal" "verdict"
printf '%-52s %9s  %-12s %s\n' "----------------------------------------------------" "---------" "------------" "-------"
printf '%-52s %8sx  %-12s %s\n' "thumbnail requests/s, beforeafter / nginx keep-alive" "$r1" ">= 0.3x" "$(verdict "$r1" 0.3)"
printf '%-52s %6s ms  %-12s %s\n' "thumbnail p99, beforeafter" "$p99" "< 50 ms" \
    "$(awk -v v="$p99" 'BEGIN{print (v < 50) ? "ok" : "MISSED"}')"
errs=$(awk '{print $3 + $4 + $5 + $6 + $7}' "$RUN/a1.res")
printf '%-52s %9s  %-12s %s\n' "thumbnail errors, beforeafter" "$errs" "0" "$([ "$errs" = 0 ] && echo ok || echo MISSED)"
printf '%-52s %8sx  %-12s %s\n' "upload photos/s, API / batch ingest --jobs 2" "$ru" ">= 0.8x" "$(verdict "$ru" 0.8)"
printf '%-52s %8sx\n' "(context) beforeafter / nginx Connection: close" "$r2"
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(nproc) CPUs shared with other work: figures are noisy"
[ "$audit_ok" = yes ] || { echo "bench/serve.sh: the access log misses reads" >&2; exit 1; }
exit 0
