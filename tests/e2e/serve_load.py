#!/usr/bin/env python3
"""Load test of `beforeafter serve` (issue 14, "Load, faults and benchmark"):
8 concurrent uploaders of distinct photos and 32 concurrent readers of
thumbnails over HTTPS on loopback for SECONDS (default 30).  Asserts: every
response 2xx (no duplicate: each file is sent once), every uploaded photo in
the catalog exactly once (by the SHA-256 of the uploaded bytes), every
thumbnail a JPEG of at most 320 px with the ETag of its photo's master, the
access log holding one row per answered read and upload after the clean stop,
`verify` clean, exit 0 on SIGTERM.  Prints the requests/s seen.

    serve_load.py BA TMPDIR PHOTO_DIR [SECONDS]

The helpers (Server, Session, multipart, db, library checks) are shared with
serve_kill.py."""
import atexit
import hashlib
import http.client
import io
import json
import os
import random
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import uuid

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
PASSWORD = "load test passphrase 1"
# Reuse connections (HTTP/1.1 keep-alive).  Off by default: the server closes
# every connection after its first answer without "Connection: close" (it
# accepts connections itself, so its SoupServer has no listener, and libsoup
# keeps a connection alive only when it has one), and a request sent on the
# dead connection fails.  SERVE_KEEPALIVE=1 shows it.
KEEPALIVE = os.environ.get("SERVE_KEEPALIVE") == "1"


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def ok(msg):
    print("ok - " + msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)


def ba(bin_, lib, *args, stdin=None, rc=0):
    p = subprocess.run([bin_, "--library", lib] + list(args), input=stdin,
                       capture_output=True, text=True)
    if rc is not None and p.returncode != rc:
        fail("beforeafter %s: exit %d, want %d: %s%s" % (" ".join(args), p.returncode, rc,
                                                         p.stdout[-800:], p.stderr[-800:]))
    return p


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


SERVERS = []


@atexit.register
def _kill_servers():
    """No server outlives the test, whichever way it ends."""
    for s in SERVERS:
        s.kill()


class Server:
    """`beforeafter serve` on a random 127.0.0.1 port of library @lib."""

    def __init__(self, bin_, lib, logdir, *extra):
        self.bin, self.lib, self.logdir, self.extra = bin_, lib, logdir, extra
        self.proc = None
        SERVERS.append(self)
        self.start()

    def start(self):
        for _ in range(20):
            self.port = random.randint(20000, 60000)
            self.logname = os.path.join(self.logdir, "serve-%d.log" % self.port)
            log = open(self.logname, "w")
            self.proc = subprocess.Popen(
                [self.bin, "--library", self.lib, "serve", "--listen",
                 "127.0.0.1:%d" % self.port] + list(self.extra),
                stdout=log, stderr=subprocess.STDOUT)
            log.close()
            for _ in range(200):
                time.sleep(0.05)
                if "listening on" in self.text():
                    return
                if self.proc.poll() is not None:
                    break
            if "cannot listen" not in self.text():
                self.kill()
                fail("serve did not start: " + self.text())
        fail("no free port")

    def text(self):
        with open(self.logname) as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """SIGTERM; the exit code (fails after 20 s)."""
        self.proc.send_signal(15)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("serve did not stop within 20 s of SIGTERM")


class Session:
    """A signed-in user; each thread makes its own Conn from it."""

    def __init__(self, srv, user, password=PASSWORD):
        self.srv, self.user, self.password = srv, user, password
        self.login()

    def login(self):
        c = Conn(self)
        s, h, d = c.request("POST", "/api/v1/session",
                            json.dumps({"username": self.user,
                                        "password": self.password}).encode(),
                            {"Content-Type": "application/json"}, auth=False)
        c.close()
        check(s == 200, "login %s: %d %r" % (self.user, s, d[:300]))
        self.cookie = h["set-cookie"].split(";")[0].split("=", 1)[1]
        self.csrf = json.loads(d)["csrf_token"]


class Conn:
    """One keep-alive HTTPS connection of a session (one thread's)."""

    def __init__(self, sess, timeout=60):
        self.sess, self.timeout, self.c, self.port = sess, timeout, None, None

    def connect(self):
        """Open the connection now (ConnectionRefusedError when nothing listens)."""
        self.close()
        self.port = self.sess.srv.port
        self.c = http.client.HTTPSConnection("127.0.0.1", self.port, context=CTX,
                                             timeout=self.timeout)
        self.c.connect()

    def close(self):
        if self.c:
            try:
                self.c.close()
            except OSError:
                pass
        self.c = None

    def request(self, method, path, body=None, headers=None, auth=True):
        """(status, lower-case headers, body); raises OSError/HTTPException on a
        broken connection (closed first, the next call reconnects)."""
        if self.c is None or self.port != self.sess.srv.port:
            self.connect()
        h = dict(headers or {})
        if auth:
            h["Cookie"] = "ba_session=" + self.sess.cookie
            if method != "GET":
                h["X-CSRF-Token"] = self.sess.csrf
        try:
            self.c.request(method, path, body=body, headers=h)
            r = self.c.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        hdrs = dict((k.lower(), v) for k, v in r.getheaders())
        if not KEEPALIVE or r.getheader("connection", "").lower() == "close":
            self.close()
        return r.status, hdrs, data


def multipart(fields, path):
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" %
                   (boundary, k, v)).encode())
    with open(path, "rb") as f:
        data = f.read()
    out.write(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
               "Content-Type: image/jpeg\r\n\r\n" % (boundary, os.path.basename(path))).encode())
    out.write(data)
    out.write(("\r\n--%s--\r\n" % boundary).encode())
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


def db(lib, sql, args=()):
    con = sqlite3.connect(os.path.join(lib, "catalog.db"), timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def setup_library(bin_, lib, clients, users):
    """init, clients, and users [(name, role)] with PASSWORD."""
    ba(bin_, lib, "init")
    for c in clients:
        ba(bin_, lib, "client", "add", c)
    for u, role in users:
        ba(bin_, lib, "user", "add", u, "--role", role, "--password-stdin",
           stdin=PASSWORD + "\n")


def check_masters(lib):
    """Every photo row's master exists and hashes to master_sha256; every file
    under masters/ is some row's master.  Returns the number of rows."""
    rows = db(lib, "SELECT id, master_sha256 FROM photos")
    want = set()
    for pid, sha in rows:
        rel = os.path.join("masters", sha[:2], sha + ".jpg")
        path = os.path.join(lib, rel)
        check(os.path.isfile(path), "photo %d: master %s missing" % (pid, rel))
        got = sha256_file(path)
        check(got == sha, "photo %d: master %s hashes to %s" % (pid, rel, got))
        want.add(os.path.normpath(path))
    stray = []
    for d, _, files in os.walk(os.path.join(lib, "masters")):
        for f in files:
            p = os.path.normpath(os.path.join(d, f))
            if p not in want:
                stray.append(os.path.relpath(p, lib))
    check(not stray, "files under masters/ that no photo row names: %s" % stray[:10])
    return len(rows)


def check_originals(lib, sent):
    """Each {sha256: path} in @sent in the catalog exactly once."""
    counts = dict(db(lib, "SELECT original_sha256, count(*) FROM photos "
                     "GROUP BY original_sha256"))
    missing = [p for s, p in sent.items() if counts.get(s, 0) == 0]
    twice = [(p, counts[s]) for s, p in sent.items() if counts.get(s, 0) > 1]
    check(not missing, "%d uploaded photo(s) not in the catalog: %s" %
          (len(missing), missing[:5]))
    check(not twice, "photo(s) in the catalog more than once: %s" % twice[:5])


# ---- the load test -------------------------------------------------------------------

UPLOADERS, READERS = 8, 32


def main():
    bin_, tmp, photo_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
    lib = os.path.join(tmp, "lib")
    files = sorted(os.path.join(photo_dir, f) for f in os.listdir(photo_dir)
                   if f.lower().endswith(".jpg"))
    check(len(files) >= UPLOADERS * 2, "only %d photos in %s" % (len(files), photo_dir))
    hashes = {}
    for f in files:
        s = sha256_file(f)
        check(s not in hashes, "%s and %s are the same file" % (f, hashes.get(s)))
        hashes[s] = f
    clients = ["C-%d" % (k + 1) for k in range(UPLOADERS)]
    setup_library(bin_, lib, clients, [("ann", "provider"), ("rita", "provider")])
    srv = Server(bin_, lib, tmp)
    up_sess, rd_sess = Session(srv, "ann"), Session(srv, "rita")
    lock = threading.Lock()
    photos = {}   # photo id -> master sha256, as uploads answered
    sent = {}     # original sha256 -> file, for every upload answered 201
    errors = []
    counts = {"upload": 0, "read": 0, "read_bytes": 0}
    lat = {"upload": [], "read": []}

    def err(what):
        with lock:
            errors.append(what)

    def upload(conn, path, client, n):
        day = "2025-%02d-%02d" % (1 + n // 28 % 12, 1 + n % 28)
        body, ctype = multipart({"client": client, "area": "cheeks",
                                 "stage": "before", "date": day}, path)
        t0 = time.monotonic()
        try:
            s, h, d = conn.request("POST", "/api/v1/photos", body, {"Content-Type": ctype})
        except (OSError, http.client.HTTPException) as e:
            err("POST /api/v1/photos %s: %r" % (os.path.basename(path), e))
            return
        dt = time.monotonic() - t0
        try:
            j = json.loads(d)
        except ValueError:
            j = {}
        if s != 201 or j.get("status") != "ingested":
            err("POST /api/v1/photos %s (%s, %s): %d %r" %
                (os.path.basename(path), client, day, s, d[:300]))
            return
        with lock:
            photos[j["photo_id"]] = j["master_sha256"]
            sent[hashlib.sha256(open(path, "rb").read()).hexdigest()] = path
            counts["upload"] += 1
            lat["upload"].append(dt)

    # Two photos before the clock starts, so that readers have something to read.
    seed = Conn(up_sess)
    for n, path in enumerate(files[:2]):
        upload(seed, path, clients[0], 900 + n)
    seed.close()
    check(not errors and len(photos) == 2, "seed uploads: %s" % errors)
    rest = files[2:]
    queues = [rest[k::UPLOADERS] for k in range(UPLOADERS)]
    t_start = time.monotonic()
    deadline = t_start + seconds
    up_done = [None] * UPLOADERS

    def uploader(k):
        conn = Conn(up_sess)
        for n, path in enumerate(queues[k]):   # all of them, even past the deadline
            upload(conn, path, clients[k], k * 50 + n)
        conn.close()
        up_done[k] = time.monotonic() - t_start

    def reader(k):
        conn = Conn(rd_sess)
        rnd = random.Random(k)
        while time.monotonic() < deadline or not all(up_done):
            with lock:
                pid, sha = rnd.choice(list(photos.items()))
            path = "/api/v1/photos/%d/image?size=thumb" % pid
            t0 = time.monotonic()
            try:
                s, h, d = conn.request("GET", path)
            except (OSError, http.client.HTTPException) as e:
                err("GET %s: %r" % (path, e))
                continue
            dt = time.monotonic() - t0
            etag = '"%s-320"' % sha
            if s != 200 or h.get("content-type") != "image/jpeg" or d[:2] != b"\xff\xd8" \
                    or h.get("etag") != etag:
                err("GET %s: %d %s etag %s (want %s) %r" %
                    (path, s, h.get("content-type"), h.get("etag"), etag, d[:200]))
                continue
            with lock:
                counts["read"] += 1
                counts["read_bytes"] += len(d)
                lat["read"].append(dt)
        conn.close()

    threads = [threading.Thread(target=uploader, args=(k,)) for k in range(UPLOADERS)]
    check(all(queues), "fewer photos than uploaders")
    threads += [threading.Thread(target=reader, args=(k,)) for k in range(READERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    check(not any(t.is_alive() for t in threads), "client threads still running")
    wall = time.monotonic() - t_start
    if errors:
        srv.kill()
        fail("%d error(s) under load, first: %s" % (len(errors), "\n  ".join(errors[:8])))

    def pct(v, q):
        v = sorted(v)
        return 1000 * v[min(len(v) - 1, int(q * len(v)))] if v else 0

    total = counts["upload"] + counts["read"]
    print("load: %.1f s, %d uploaders + %d readers: %d uploads (%.1f/s, all done after %.1f s; "
          "p50 %.0f ms, p99 %.0f ms), %d thumbnail reads (%.0f/s, p50 %.0f ms, p99 %.0f ms); "
          "%.0f requests/s in all, 0 errors" %
          (wall, UPLOADERS, READERS, counts["upload"], counts["upload"] / wall,
           max(x or 0 for x in up_done), pct(lat["upload"], .5), pct(lat["upload"], .99),
           counts["read"], counts["read"] / wall, pct(lat["read"], .5), pct(lat["read"], .99),
           total / wall), flush=True)
    check(counts["upload"] == len(files), "%d of %d photos uploaded" %
          (counts["upload"], len(files)))
    check(counts["read"] >= READERS, "only %d reads" % counts["read"])
    ok("%d uploads and %d thumbnail reads, every answer 2xx (201 ingested; 200 JPEG with the "
       "master's ETag)" % (counts["upload"], counts["read"]))

    rc = srv.stop()
    check(rc == 0, "serve exited %d on SIGTERM: %s" % (rc, srv.text()[-1500:]))
    ok("serve exits 0 on SIGTERM after the load")

    check_originals(lib, sent)
    nrows = check_masters(lib)
    check(nrows == len(files), "%d photo rows for %d uploads" % (nrows, len(files)))
    ok("every uploaded photo in the catalog exactly once (%d rows by original SHA-256), each "
       "master present and hashing right, no stray masters" % nrows)

    thumbs = db(lib, "SELECT count(*) FROM access_log WHERE actor = 'rita' AND "
                "action = 'photo-image'")[0][0]
    ups = db(lib, "SELECT count(*) FROM access_log WHERE actor = 'ann' AND "
             "action = 'photo-upload'")[0][0]
    check(thumbs == counts["read"], "access log: %d photo-image rows for %d reads" %
          (thumbs, counts["read"]))
    check(ups == counts["upload"], "access log: %d photo-upload rows for %d uploads" %
          (ups, counts["upload"]))
    ok("access log: one row per read (%d) and per upload (%d), none lost at the stop" %
       (thumbs, ups))

    left = [f for f in os.listdir(os.path.join(lib, "tmp"))]
    check(not left, "LIBRARY/tmp not empty after a clean stop: %s" % left[:10])
    p = ba(bin_, lib, "verify", rc=None)
    check(p.returncode == 0, "verify after the load: exit %d: %s%s" %
          (p.returncode, p.stdout[-1500:], p.stderr[-800:]))
    ok("verify clean; LIBRARY/tmp empty")


if __name__ == "__main__":
    main()
