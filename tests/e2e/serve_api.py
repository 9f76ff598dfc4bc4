#!/usr/bin/env python3
"""End-to-end test of `beforeafter serve` (issue 14): a real server on
loopback over HTTPS, real photos, and every refusal checked as carefully as
the successes.  Run by test_serve.sh: serve_api.py BA TMPDIR SAMPLES."""
import atexit
import hashlib
import http.client
import json
import os
import random
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
import time
import uuid

BA, T, SAMPLES = sys.argv[1], sys.argv[2], sys.argv[3]
LIB = os.path.join(T, "lib")
PW = {"ann": "provider passphrase 1", "mia": "marketing passphrase 2",
      "root": "administrator phrase 3"}
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
FAILS = []


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok - " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def ba(*args, stdin=None, rc=0):
    p = subprocess.run([BA, "--library", LIB] + list(args), input=stdin,
                       capture_output=True, text=True)
    if rc is not None and p.returncode != rc:
        fail("beforeafter %s: exit %d, want %d: %s" % (" ".join(args), p.returncode, rc,
                                                       p.stderr))
    return p


RUNNING = []


@atexit.register
def stop_servers():
    """A failed check exits at once: no server it started may outlive it."""
    for proc in RUNNING:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Server:
    def __init__(self, *extra):
        for _ in range(20):
            self.port = random.randint(20000, 60000)
            self.log = open(os.path.join(T, "serve-%d.log" % self.port), "w+")
            self.proc = subprocess.Popen(
                [BA, "--library", LIB, "serve", "--listen", "127.0.0.1:%d" % self.port] +
                list(extra), stdout=self.log, stderr=subprocess.STDOUT)
            RUNNING.append(self.proc)
            for _ in range(100):
                time.sleep(0.05)
                text = open(self.log.name).read()
                if "listening on" in text:
                    self.https = "--insecure-http" not in extra
                    return
                if self.proc.poll() is not None:
                    break
            if "cannot listen" not in open(self.log.name).read():
                fail("serve did not start: " + open(self.log.name).read())
        fail("no free port")

    def text(self):
        return open(self.log.name).read()

    def stop(self):
        self.proc.send_signal(15)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("serve did not stop within 20 s of SIGTERM")


class Client:
    def __init__(self, srv):
        self.srv, self.cookie, self.csrf = srv, None, None

    def conn(self):
        if self.srv.https:
            return http.client.HTTPSConnection("127.0.0.1", self.srv.port, context=CTX,
                                               timeout=30)
        return http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)

    def req(self, method, path, body=None, headers=None, csrf=True, ctype=None):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = "ba_session=" + self.cookie
        if csrf and self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if ctype:
            h["Content-Type"] = ctype
        c = self.conn()
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        r.close()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def json(self, method, path, body=None, **kw):
        s, h, d = self.req(method, path, body, **kw)
        try:
            return s, h, json.loads(d) if d else None
        except ValueError:
            fail("%s %s: not JSON: %r" % (method, path, d[:200]))

    def login(self, user, password=None):
        s, h, j = self.json("POST", "/api/v1/session",
                            {"username": user, "password": password or PW[user]})
        if s == 200:
            cookie = h.get("set-cookie", "")
            self.cookie = cookie.split(";")[0].split("=", 1)[1]
            self.csrf = j["csrf_token"]
            self.set_cookie = cookie
        return s, j


def multipart(fields, file_path):
    boundary = uuid.uuid4().hex
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" %
                (boundary, k, v)).encode()
    with open(file_path, "rb") as f:
        data = f.read()
    out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n" % (boundary, os.path.basename(file_path))).encode()
    out += data + ("\r\n--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


ROUTES = [("POST", "/api/v1/clients"), ("GET", "/api/v1/clients"), ("GET", "/api/v1/me"),
          ("DELETE", "/api/v1/session"), ("GET", "/api/v1/clients/C-1"),
          ("GET", "/api/v1/clients/C-1/consents"), ("GET", "/api/v1/photos"),
          ("POST", "/api/v1/photos"), ("GET", "/api/v1/photos/1"),
          ("GET", "/api/v1/photos/1/image"), ("GET", "/api/v1/comparisons"),
          ("GET", "/api/v1/comparisons/1/image"), ("GET", "/api/v1/audit")]

SECURITY = {"content-security-policy": "default-src 'self'; img-src 'self' blob: data:; "
            "media-src 'self' blob:; frame-ancestors 'none'",
            "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def security_headers(h, what, https=True):
    for k, v in SECURITY.items():
        check(h.get(k) == v, "%s: header %s is %r" % (what, k, h.get(k)))
    if https:
        check("max-age=" in h.get("strict-transport-security", ""), what + ": no HSTS")


def db(sql):
    con = sqlite3.connect(os.path.join(LIB, "catalog.db"))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def main():
    ba("init")
    ba("client", "add", "C-1")
    ba("client", "add", "C-2")
    for user, role in (("ann", "provider"), ("mia", "marketing"), ("root", "admin")):
        ba("user", "add", user, "--role", role, "--password-stdin", stdin=PW[user] + "\n")
    before = os.path.join(SAMPLES, "before-cheeks.jpg")
    after = os.path.join(SAMPLES, "after-cheeks.jpg")

    # Plain HTTP only on loopback.
    p = subprocess.run([BA, "--library", LIB, "serve", "--insecure-http", "--listen",
                        "0.0.0.0:18080"], capture_output=True, text=True, timeout=20)
    check(p.returncode == 2 and "loopback" in p.stderr,
          "insecure-http on 0.0.0.0: exit %d %s" % (p.returncode, p.stderr))
    ok("plain HTTP refused off loopback")

    srv = Server("--max-upload-mb", "2", "--idle-timeout", "3")
    # The self-signed certificate: made in the library, 0600, fingerprint printed.
    key = os.path.join(LIB, "server", "tls-key.pem")
    cert = os.path.join(LIB, "server", "tls-cert.pem")
    for f in (key, cert):
        check(stat.S_IMODE(os.stat(f).st_mode) == 0o600, f + " is not 0600")
    fp = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"],
                        capture_output=True, text=True).stdout.strip().split("=", 1)[1]
    check(fp in srv.text(), "fingerprint %s not printed: %s" % (fp, srv.text()))
    ok("self-signed certificate 0600, fingerprint printed")
    p = subprocess.run([BA, "--library", LIB, "serve", "--print-fingerprint"],
                       capture_output=True, text=True, timeout=20)
    check(p.returncode == 0 and p.stdout.strip() == fp,
          "serve --print-fingerprint: exit %d %r, want %s" % (p.returncode, p.stdout, fp))
    ok("serve --print-fingerprint prints the same fingerprint")

    # Its I/O loops share the port (SO_REUSEPORT) among themselves only: a
    # second server on the same address is refused, never silently sharing.
    p = subprocess.run([BA, "--library", LIB, "serve", "--listen", "127.0.0.1:%d" % srv.port],
                       capture_output=True, text=True, timeout=20)
    check(p.returncode == 1 and "cannot listen" in p.stderr and "in use" in p.stderr,
          "a second server on the port: exit %d %s" % (p.returncode, p.stderr))
    ok("a second server on the same port is refused")

    anon = Client(srv)
    for method, path in ROUTES:
        s, h, j = anon.json(method, path, {} if method != "GET" else None)
        check(s == 401, "%s %s without a session: %d" % (method, path, s))
        check(j["error"]["code"] == "unauthorized", "401 body: %r" % j)
        security_headers(h, "%s %s" % (method, path))
        check(h.get("cache-control") == "no-store", path + ": JSON not no-store")
    ok("every route answers 401 without a session, with the security headers")

    # Wrong password and unknown user: the same answer.
    s1, j1 = Client(srv).login("ann", "not the password at all")
    s2, j2 = Client(srv).login("nobody", "not the password at all")
    check(s1 == s2 == 401 and j1 == j2, "refusals differ: %d %r / %d %r" % (s1, j1, s2, j2))
    ok("unknown user and wrong password answer alike")

    prov = Client(srv)
    s, j = prov.login("ann")
    check(s == 200 and j["role"] == "provider", "provider login: %d %r" % (s, j))
    for attr in ("HttpOnly", "Secure", "SameSite=Strict"):
        check(attr in prov.set_cookie, "cookie lacks " + attr + ": " + prov.set_cookie)
    check(len(prov.cookie) == 64, "token is not 256 bits of hex")
    check(db("SELECT count(*) FROM web_sessions WHERE token_hash = '%s'" % prov.cookie)[0][0]
          == 0, "the token itself is stored")
    ok("login: cookie HttpOnly Secure SameSite=Strict, token stored hashed")

    # CSRF: every non-GET needs the session's token.
    s, h, j = prov.json("POST", "/api/v1/clients", {"client": "C-3"}, csrf=False)
    check(s == 403 and j["error"]["code"] == "csrf", "no CSRF header: %d %r" % (s, j))
    s, h, j = prov.json("POST", "/api/v1/clients", {"client": "C-3"},
                        headers={"X-CSRF-Token": "0" * 64}, csrf=False)
    check(s == 403, "wrong CSRF header: %d" % s)
    check(db("SELECT count(*) FROM clients WHERE code='C-3'")[0][0] == 0, "C-3 added anyway")
    s, h, j = prov.json("POST", "/api/v1/clients", {"client": "C-3", "name": "Zoë"})
    check(s == 201 and j["client"] == "C-3", "add client: %d %r" % (s, j))
    s, h, j = prov.json("POST", "/api/v1/clients", {"client": "c-3"})
    check(s == 409, "same code in another case: %d %r" % (s, j))
    ok("CSRF enforced; client add 201, duplicate 409")

    # Uploads go through ingest: 201, duplicate 200, refusals as the CLI's.
    body, ctype = multipart({"client": "C-1", "area": "cheeks", "stage": "before",
                             "date": "2026-01-05"}, before)
    s, h, j = prov.json("POST", "/api/v1/photos", body, ctype=ctype)
    check(s == 201 and j["status"] == "ingested" and j["client"] == "C-1", "upload: %d %r" %
          (s, j))
    p1 = j["photo_id"]
    s, h, j = prov.json("POST", "/api/v1/photos", body, ctype=ctype)
    check(s == 200 and j["status"] == "duplicate" and j["photo_id"] == p1,
          "duplicate upload: %d %r" % (s, j))
    body2, ctype2 = multipart({"client": "C-1", "area": "cheeks", "stage": "after",
                               "date": "2026-02-16"}, after)
    s, h, j = prov.json("POST", "/api/v1/photos", body2, ctype=ctype2)
    check(s == 201, "second upload: %d %r" % (s, j))
    p2 = j["photo_id"]
    bad, bctype = multipart({"client": "C-9", "area": "cheeks"}, before)
    s, h, j = prov.json("POST", "/api/v1/photos", bad, ctype=bctype)
    check(s == 404, "upload for an unknown client: %d %r" % (s, j))
    future, fctype = multipart({"client": "C-2", "area": "cheeks", "date": "2099-01-01"},
                               after)
    s, h, j = prov.json("POST", "/api/v1/photos", future, ctype=fctype)
    check(s == 400, "future date: %d %r" % (s, j))
    check(db("SELECT count(*) FROM photos")[0][0] == 2, "photo rows after uploads")
    check(not [f for f in os.listdir(os.path.join(LIB, "tmp")) if f.startswith("upload")],
          "upload temporary files left behind")
    ok("uploads: 201, duplicate 200, unknown client 404, future date 400, no temp left")

    # Body limits: Content-Length over the limit answered before the body.
    c = prov.conn()
    c.putrequest("POST", "/api/v1/photos")
    c.putheader("Cookie", "ba_session=" + prov.cookie)
    c.putheader("X-CSRF-Token", prov.csrf)
    c.putheader("Content-Type", "multipart/form-data; boundary=x")
    c.putheader("Content-Length", str(50 * 1024 * 1024))
    c.endheaders()
    t0 = time.time()
    r = c.getresponse()
    check(r.status == 413, "Content-Length over the limit: %d" % r.status)
    r.read()
    c.close()
    check(time.time() - t0 < 5, "413 was not answered before the body")
    # ... and a chunked body that passes it.
    c = prov.conn()
    c.putrequest("POST", "/api/v1/photos")
    c.putheader("Cookie", "ba_session=" + prov.cookie)
    c.putheader("X-CSRF-Token", prov.csrf)
    c.putheader("Content-Type", "multipart/form-data; boundary=x")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    chunk = b"x" * 65536
    try:
        for _ in range(48):  # 3 MiB > 2 MiB
            c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        c.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        pass  # cut off at the limit: the answer is waiting to be read
    try:
        r = c.getresponse()
        status = r.status
        try:
            r.read()
        except (http.client.IncompleteRead, ConnectionResetError, ssl.SSLError):
            pass  # the connection was closed while we were still sending
    except (http.client.RemoteDisconnected, ConnectionResetError, ssl.SSLError) as e:
        status = "no answer (%s)" % e
    c.close()
    check(status == 413, "chunked body over the limit: %d" % status)
    ok("413 from Content-Length before the body, and for a chunked body over the limit")

    # Thumbnails: <= 320 px, no metadata, ETag + private caching, 304.
    s, h, data = prov.req("GET", "/api/v1/photos/%d/image?size=thumb" % p1)
    check(s == 200 and h.get("content-type") == "image/jpeg", "thumb: %d" % s)
    check(h.get("cache-control", "").startswith("private"), "thumb cache-control: %r" %
          h.get("cache-control"))
    etag = h.get("etag")
    check(etag, "thumb without ETag")
    thumb = os.path.join(T, "thumb.jpg")
    open(thumb, "wb").write(data)
    size = subprocess.run(["identify", "-format", "%w %h", thumb], capture_output=True,
                          text=True).stdout.split()
    check(max(int(size[0]), int(size[1])) <= 320, "thumb is %s" % size)
    tags = subprocess.run(["exiftool", "-a", "-G1", "-s", thumb], capture_output=True,
                          text=True).stdout
    for bad in ("EXIF", "XMP", "IPTC", "ICC", "GPS", "Comment", "Make", "Model"):
        check("[" + bad not in tags and bad + ":" not in tags.replace("File:", ""),
              "thumb carries %s: %s" % (bad, tags))
    s, h, data = prov.req("GET", "/api/v1/photos/%d/image?size=thumb" % p1,
                          headers={"If-None-Match": etag})
    check(s == 304, "If-None-Match: %d" % s)
    s, h, data = prov.req("GET", "/api/v1/photos/%d/image?size=preview" % p1)
    check(s == 200, "preview: %d" % s)
    # The uploads' thumbnails were made at ingest, the preview on this request.
    kept = [f for r_, d_, fs in os.walk(os.path.join(LIB, "previews")) for f in fs]
    thumbs = [f for r_, d_, fs in os.walk(os.path.join(LIB, "previews", "320")) for f in fs]
    check(len(kept) == 3 and len(thumbs) == 2, "previews kept in the library: %r" % kept)
    s, h, data = prov.req("GET", "/api/v1/photos/%d/image?size=huge" % p1)
    check(s == 400, "size=huge: %d" % s)
    s, h, data = prov.req("GET", "/api/v1/photos/999/image?size=thumb")
    check(s == 404, "unknown photo image: %d" % s)
    s, h, data = prov.req("GET", "/api/v1/photos/../../catalog.db")
    check(s in (400, 404), "a path as an id: %d" % s)
    ok("thumbnails <= 320 px, metadata-free, ETag/304, previews kept once")

    # A made thumbnail is answered on the I/O loop, which never writes: a
    # session due to be marked used still is (that request goes to a worker),
    # bytes kept in memory are the file's, and a thumbnail gone from
    # previews/ is made again.
    th = hashlib.blake2b(prov.cookie.encode(), digest_size=32).hexdigest()
    con = sqlite3.connect(os.path.join(LIB, "catalog.db"))
    with con:
        con.execute("UPDATE web_sessions SET last_seen_unix = last_seen_unix - 600"
                    " WHERE token_hash = ?", (th,))
    con.close()
    stale = db("SELECT last_seen_unix FROM web_sessions WHERE token_hash = '%s'" % th)[0][0]
    for pid in (p1, p2):
        sha = db("SELECT master_sha256 FROM photos WHERE id = %d" % pid)[0][0]
        kept_file = os.path.join(LIB, "previews", "320", sha[:2], sha + ".jpg")
        if pid == p2 and os.path.exists(kept_file):
            os.unlink(kept_file)
        for _ in range(2):
            s, h, data = prov.req("GET", "/api/v1/photos/%d/image?size=thumb" % pid)
            check(s == 200 and os.path.exists(kept_file) and
                  open(kept_file, "rb").read() == data,
                  "photo %d: thumbnail %d is not the kept file's bytes" % (pid, s))
        if pid == p1:  # (p2's, made again on a worker, would mark it anyway)
            seen = db("SELECT last_seen_unix FROM web_sessions WHERE token_hash = '%s'" %
                      th)[0][0]
            check(seen >= stale + 590, "a made thumbnail's read did not mark the session used"
                  " (%d -> %d)" % (stale, seen))
    ok("made thumbnails: the session marked used, the file's bytes, a removed one made again")

    # Marketing: a client without consent does not exist for them.
    mkt = Client(srv)
    s, j = mkt.login("mia")
    check(s == 200 and j["role"] == "marketing", "marketing login")
    s, h, j = mkt.json("GET", "/api/v1/clients")
    check(s == 200 and j["clients"] == [], "marketing sees clients without consent: %r" % j)
    for path in ("/api/v1/clients/C-1", "/api/v1/photos/%d" % p1,
                 "/api/v1/photos/%d/image?size=thumb" % p1, "/api/v1/clients/C-1/consents",
                 "/api/v1/photos?client=C-1", "/api/v1/comparisons?client=C-1"):
        s, h, j = mkt.json("GET", path)
        check(s == 404, "marketing GET %s without consent: %d" % (path, s))
    s, h, j = mkt.json("GET", "/api/v1/clients/C-404")
    s2, h2, j2 = mkt.json("GET", "/api/v1/clients/C-1")
    check(j == j2, "hidden and absent clients answer differently: %r %r" % (j, j2))
    s, h, j = mkt.json("POST", "/api/v1/photos", body, ctype=ctype)
    check(s == 403, "marketing upload: %d" % s)
    s, h, j = mkt.json("POST", "/api/v1/clients", {"client": "C-7"})
    check(s == 403, "marketing client add: %d" % s)
    s, h, j = mkt.json("GET", "/api/v1/audit")
    check(s == 403, "marketing audit: %d" % s)
    s, h, j = prov.json("GET", "/api/v1/audit")
    check(s == 403, "provider audit: %d" % s)
    ok("marketing: no consent -> 404 everywhere (as for an absent client); 403 for actions")

    # After consent and a comparison, marketing sees the client, the
    # comparison and the photos shown in it — and nothing else of it.
    form = os.path.join(T, "form.pdf")
    open(form, "wb").write(b"%PDF-1.4\n% signed consent\n")
    ba("consent", "grant", "C-1", "--scope", "marketing", "--granted", "2026-01-01",
       "--evidence", form)
    third, tctype = multipart({"client": "C-1", "area": "forehead", "date": "2026-02-16"},
                              os.path.join(SAMPLES, "progress-cheeks.png"))
    s, h, j = prov.json("POST", "/api/v1/photos", third, ctype=tctype)
    check(s == 201, "third upload: %d %r" % (s, j))
    p3 = j["photo_id"]
    out = os.path.join(T, "cmp.png")
    ba("compare", str(p1), str(p2), "--no-align", "-o", out)
    s, h, j = mkt.json("GET", "/api/v1/clients")
    check([c_["client"] for c_ in j["clients"]] == ["C-1"], "marketing list: %r" % j)
    s, h, j = mkt.json("GET", "/api/v1/comparisons")
    check(s == 200 and len(j["comparisons"]) == 1, "marketing comparisons: %r" % j)
    cid = j["comparisons"][0]["comparison_id"]
    s, h, data = mkt.req("GET", "/api/v1/comparisons/%d/image" % cid)
    check(s == 200 and data == open(out, "rb").read(), "comparison image: %d" % s)
    s, h, data = mkt.req("GET", "/api/v1/photos/%d/image?size=thumb" % p1)
    check(s == 200, "marketing, photo in a comparison: %d" % s)
    s, h, data = mkt.req("GET", "/api/v1/photos/%d/image?size=thumb" % p3)
    check(s == 404, "marketing, photo in no comparison: %d" % s)
    s, h, j = mkt.json("GET", "/api/v1/clients/C-1")
    shown = [p_["photo_id"] for se in j["sessions"] for p_ in se["photos"]]
    check(sorted(shown) == sorted([p1, p2]), "marketing record shows %r" % shown)
    ok("marketing with consent: client, comparison, its photos; other photos 404")

    # Image work through the API: align, ghost, compare (once).
    s, h, j = prov.json("POST", "/api/v1/alignments", {"photo": p2, "reference": p1})
    check(s == 201 and j["kind"] == "alignment" and 0 <= j["score"] <= 1,
          "align: %d %r" % (s, j))
    s, h, j = mkt.json("POST", "/api/v1/alignments", {"photo": p2, "reference": p1})
    check(s == 403, "marketing align: %d" % s)
    s, h, data = prov.req("GET", "/api/v1/photos/%d/ghost?edges=1" % p1)
    check(s == 200 and h.get("content-type") == "image/png", "ghost: %d %r" % (s, h))
    ghost = os.path.join(T, "ghost.png")
    open(ghost, "wb").write(data)
    info = subprocess.run(["identify", "-format", "%[channels] %w", ghost], capture_output=True,
                          text=True).stdout
    check("a" in info.split()[0], "ghost has no alpha: %s" % info)
    s, h, data = mkt.req("GET", "/api/v1/photos/%d/ghost" % p1)
    check(s == 403, "marketing ghost: %d" % s)
    s, h, j = prov.json("POST", "/api/v1/comparisons", {"photos": [p1, p2], "labels": "full"})
    check(s == 201 and j["comparison_id"] > cid, "compare: %d %r" % (s, j))
    c2 = j["comparison_id"]
    s, h, j = prov.json("POST", "/api/v1/comparisons", {"photos": [p1, p2], "labels": "full"})
    check(s == 200 and j["existing"] and j["comparison_id"] == c2, "compare again: %d %r" % (s, j))
    s, h, j = mkt.json("POST", "/api/v1/comparisons", {"photos": [p1, p2]})
    check(s == 403, "marketing compare: %d" % s)
    s, h, j = prov.json("POST", "/api/v1/comparisons", {"photos": [p1]})
    check(s == 400, "compare one photo: %d" % s)
    ok("align 201 with a score, ghost PNG with alpha, compare 201 then 200 existing; "
       "marketing 403")

    # Exports: the role's purposes, files served only as exported.
    s, h, j = prov.json("POST", "/api/v1/exports", {"comparisons": [cid], "purpose": "marketing"})
    check(s == 403, "provider marketing export: %d %r" % (s, j))
    s, h, j = mkt.json("POST", "/api/v1/exports", {"comparisons": [cid], "purpose": "education"})
    check(s == 403, "marketing education export: %d %r" % (s, j))
    s, h, j = mkt.json("POST", "/api/v1/exports", {"comparisons": [cid], "purpose": "marketing"})
    check(s == 201 and j["export"]["files"], "marketing export: %d %r" % (s, j))
    eid, files = j["export_id"], j["export"]["files"]
    s, h, data = mkt.req("GET", "/api/v1/exports/%d/files/%s" % (eid, files[0]))
    check(s == 200 and h.get("content-type", "").startswith("image/"), "export file: %d" % s)
    exported = os.path.join(T, "exported" + os.path.splitext(files[0])[1])
    open(exported, "wb").write(data)
    tags = subprocess.run(["exiftool", "-a", "-G1", "-s", "-EXIF:all", "-XMP:all", "-IPTC:all",
                           "-ICC_Profile:all", "-GPS:all", exported], capture_output=True,
                          text=True).stdout.strip()
    check(tags == "", "exported file carries metadata: %s" % tags)
    s, h, data = mkt.req("GET", "/api/v1/exports/%d/files/export.json" % eid)
    check(s == 200 and json.loads(data), "manifest: %d" % s)
    for bad in ("..%2F..%2Fcatalog.db", "nothing.png"):
        s, h, data = mkt.req("GET", "/api/v1/exports/%d/files/%s" % (eid, bad))
        check(s in (400, 404), "export file %s: %d" % (bad, s))
    check(not os.path.commonpath([LIB, os.path.realpath(LIB + "-exports")]) == LIB,
          "exports inside the library")
    ok("exports: roles' purposes enforced, files served as exported, metadata-free")
    # The export options of the CLI: a preset in JPEG; bad sizes refused.
    s, h, j = mkt.json("POST", "/api/v1/exports", {"comparisons": [cid], "purpose": "marketing",
                                                   "preset": "square", "format": "jpg"})
    check(s == 201, "square JPEG export: %d %r" % (s, j))
    sq_eid = j["export_id"]
    name = [f for f in j["export"]["files"] if f.endswith(".jpg")]
    check(name, "no .jpg in the square export: %r" % j)
    s, h, data = mkt.req("GET", "/api/v1/exports/%d/files/%s" % (j["export_id"], name[0]))
    sq = os.path.join(T, "square.jpg")
    open(sq, "wb").write(data)
    size = subprocess.run(["identify", "-format", "%w %h %m", sq], capture_output=True,
                          text=True).stdout.split()
    check(size == ["1080", "1080", "JPEG"], "square export is %r" % size)
    for bad in ({"width": -5}, {"width": "wide"}, {"roi": [1, 2]}, {"preset": "poster"}):
        body = dict({"comparisons": [cid], "purpose": "marketing"}, **bad)
        s, h, j = mkt.json("POST", "/api/v1/exports", body)
        check(s == 400, "export with %r: %d %r" % (bad, s, j))
    ok("exports through the API take the preset and format; bad sizes answer 400")

    # Consents through the API: grant with the signed form, revoke lists take-downs.
    form = os.path.join(T, "form2.pdf")
    open(form, "wb").write(b"%PDF-1.4\n% education consent\n")
    boundary = uuid.uuid4().hex
    body = b""
    for k, v in (("scope", "education"), ("granted", "2026-01-01")):
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" %
                 (boundary, k, v)).encode()
    body += ("--%s\r\nContent-Disposition: form-data; name=\"form\"; filename=\"form2.pdf\"\r\n"
             "Content-Type: application/pdf\r\n\r\n" % boundary).encode() + open(form, "rb").read()
    body += ("\r\n--%s--\r\n" % boundary).encode()
    ctype_f = "multipart/form-data; boundary=" + boundary
    s, h, j = mkt.json("POST", "/api/v1/clients/C-2/consents", body, ctype=ctype_f)
    check(s in (403, 404), "marketing consent grant: %d" % s)
    s, h, j = prov.json("POST", "/api/v1/clients/C-2/consents", body, ctype=ctype_f)
    check(s == 201 and j["scope"] == "education" and j["evidence_sha256"],
          "consent grant: %d %r" % (s, j))
    s, h, j = prov.json("GET", "/api/v1/clients/C-1/consents")
    mc = [k for k in j["consents"] if k["scope"] == "marketing"][0]["consent_id"]
    s, h, j = mkt.json("POST", "/api/v1/consents/%d/revoke" % mc)
    check(s == 403, "marketing revoke: %d" % s)
    s, h, j = prov.json("POST", "/api/v1/consents/%d/revoke" % mc)
    check(s == 200 and j["revoked"] == 1 and
          [e["export_id"] for e in j["takedown"]] == [eid, sq_eid],
          "revoke: %d %r" % (s, j))
    s, h, j = mkt.json("GET", "/api/v1/clients")
    check(j["clients"] == [], "marketing after revocation: %r" % j)
    s, h, data = mkt.req("GET", "/api/v1/comparisons/%d/image" % cid)
    check(s == 404, "comparison after revocation: %d" % s)
    ok("consent grant (signed form) 201; revoke lists the export to take down; marketing "
       "loses the client at once")

    # Corrections (issue 12) through the API, audited as the user.
    s, h, j = prov.json("POST", "/api/v1/photos/%d" % p3,
                        {"areas": "forehead,cheeks", "stage": "progress"})
    check(s == 200 and j["changed"] and sorted(j["areas"]) == ["cheeks", "forehead"]
          and j["stage"] == "progress", "photo set: %d %r" % (s, j))
    s, h, j = prov.json("POST", "/api/v1/photos/%d" % p3, {"stage": "sideways"})
    check(s == 400, "photo set, bad stage: %d" % s)
    s, h, j = mkt.json("POST", "/api/v1/photos/%d" % p3, {"stage": "after"})
    check(s in (401, 403), "marketing photo set: %d" % s)
    s, h, j = prov.json("POST", "/api/v1/photos/%d/retract" % p3, {"reason": "wrong client"})
    check(s == 200 and j["retracted_at"], "retract: %d %r" % (s, j))
    s, h, j = prov.json("GET", "/api/v1/photos?client=C-1")
    check(p3 not in [x["photo_id"] for x in j["photos"]], "retracted photo still listed")
    s, h, j = prov.json("POST", "/api/v1/photos/%d/restore" % p3)
    check(s == 200 and not j["retracted_at"], "restore: %d %r" % (s, j))
    s, h, j = prov.json("POST", "/api/v1/clients/C-3", {"name": "Zoë Ünal"})
    check(s == 200 and j["name"] == "Zoë Ünal", "client set: %d %r" % (s, j))
    s, h, j = prov.json("GET", "/api/v1/clients/C-1")
    sid = j["sessions"][0]["session_id"]
    s, h, j = prov.json("POST", "/api/v1/sessions/%d" % sid, {"treatment": "microneedling"})
    check(s == 200 and j["treatment"] == "microneedling", "session set: %d %r" % (s, j))
    s, h, j = prov.json("DELETE", "/api/v1/comparisons/%d" % c2)
    check(s == 200 and j["status"] == "deleted", "comparison delete: %d %r" % (s, j))
    s, h, d = prov.req("GET", "/api/v1/comparisons/%d/image" % c2)
    check(s == 404, "deleted comparison's image: %d" % s)
    actors = db("SELECT DISTINCT actor FROM audit_log WHERE action IN ('photo-set', "
                "'photo-retract', 'photo-restore', 'client-set', 'session-set', "
                "'comparison-delete')")
    check(actors == [("ann",)], "corrections audited as %r" % actors)
    ok("corrections through the API: photo set/retract/restore, client and session set, "
       "comparison delete; audited as the user")

    # Admin reads the audit and the access log.
    adm = Client(srv)
    check(adm.login("root")[0] == 200, "admin login")
    time.sleep(1.5)  # the access log is flushed within a second
    s, h, j = adm.json("GET", "/api/v1/audit?user=mia")
    check(s == 200, "admin audit: %d" % s)
    actions = {a["action"] for a in j["access"]}
    check({"client-list", "comparison-image", "photo-image"} <= actions,
          "access log of mia: %r" % actions)
    check(all(a["user"] == "mia" for a in j["access"]), "user filter")
    uploads = db("SELECT actor FROM access_log WHERE action = 'photo-upload'")
    check(uploads and all(a[0] == "ann" for a in uploads), "upload access rows: %r" % uploads)
    adds = db("SELECT actor FROM audit_log WHERE action = 'client-add' AND client = 'C-3'")
    check(adds == [("ann",)] or not db("SELECT 1 FROM audit_log WHERE action = 'client-add'"),
          "client add audited as %r" % adds)
    ok("admin audit: access log per user within a second; uploads audited as the user")

    # Throttling: 5 failures lock the name, even for the right password.
    thr = Client(srv)
    for _ in range(5):
        check(thr.login("mia", "wrong wrong wrong")[0] == 401, "failure answered 401")
    s, j = thr.login("mia")
    check(s == 429, "sixth attempt with the right password: %d %r" % (s, j))
    ok("login throttled after 5 failures (429, even with the right password)")

    # Logout and disable end sessions at once.
    s, h, j = prov.json("DELETE", "/api/v1/session")
    check(s == 200, "logout: %d" % s)
    s, h, j = prov.json("GET", "/api/v1/me")
    check(s == 401, "after logout: %d" % s)
    check(mkt.json("GET", "/api/v1/me")[0] == 200, "marketing still signed in")
    ba("user", "disable", "mia")
    check(mkt.json("GET", "/api/v1/me")[0] == 401, "after user disable")
    ok("logout and user disable end sessions at once")

    # A connection that says nothing is dropped (idle timeout 3 s here).
    raw = socket.create_connection(("127.0.0.1", srv.port))
    tls = CTX.wrap_socket(raw, server_hostname="localhost")
    tls.send(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n")  # never finished
    tls.settimeout(15)
    t0 = time.time()
    try:
        got = tls.recv(100)
    except (ssl.SSLError, ConnectionResetError, socket.timeout):
        got = b""
    check(time.time() - t0 < 12, "slow request not dropped (%.1f s)" % (time.time() - t0))
    check(b"200" not in got, "slow request answered: %r" % got)
    tls.close()
    ok("a silent request is dropped after the idle timeout")

    rc = srv.stop()
    check(rc == 0, "serve exit code after SIGTERM: %d" % rc)
    check("stopped" in srv.text(), "no clean stop in the log")
    n = db("SELECT count(*) FROM access_log")[0][0]
    check(n >= 10, "access log rows: %d" % n)
    ok("SIGTERM: exit 0, access log flushed (%d rows)" % n)
    lines = [json.loads(l) for l in
             ba("--json", "audit", "--access", "--user", "MIA").stdout.splitlines()]
    check(lines and all(l["user"] == "mia" and l["kind"] == "access" for l in lines),
          "audit --access --user: %r" % lines[:3])
    check(any(l["action"] == "denied" and l["result"] == "not-found" for l in lines),
          "the refusals are in the access log too")
    lines = [json.loads(l) for l in
             ba("--json", "audit", "--access", "--client", "C-1").stdout.splitlines()]
    check(lines and all(l["client"] == "C-1" for l in lines), "audit --access --client")
    ok("audit --access [--user] [--client] lists the access log (refusals included)")

    # Plain HTTP on loopback works and sends no HSTS.
    srv = Server("--insecure-http")
    c = Client(srv)
    s, h, j = c.json("GET", "/api/v1/me")
    check(s == 401 and "strict-transport-security" not in h, "insecure-http: %d %r" % (s, h))
    security_headers(h, "insecure-http", https=False)
    check(srv.stop() == 0, "insecure-http stop")
    ok("--insecure-http on loopback: served, no HSTS")

    p = subprocess.run([BA, "--library", LIB, "verify"], capture_output=True, text=True)
    check(p.returncode == 0, "verify after serving: %s %s" % (p.stdout, p.stderr))
    ok("verify clean after serving")

    # Erasing a client takes the server's previews of their photos too.
    shas = [r[0] for r in db("SELECT master_sha256 FROM photos p JOIN sessions s ON "
                             "s.id = p.session_id JOIN clients c ON c.id = s.client_id "
                             "WHERE c.code = 'C-1'")]
    previews = [f for r_, d_, fs in os.walk(os.path.join(LIB, "previews")) for f in fs]
    check(any(f[:64] in shas for f in previews), "no previews of C-1 to erase: %r" % previews)
    ba("client", "erase", "C-1", "--confirm", "C-1")
    left = [f for r_, d_, fs in os.walk(os.path.join(LIB, "previews")) for f in fs
            if f[:64] in shas]
    check(not left, "previews of an erased client remain: %r" % left)
    ok("client erase removes the server's previews of the client's photos")


def role_matrix():
    """Every cell of the role table in docs/API-HTTP.md, on a fresh library."""
    global LIB
    LIB = os.path.join(T, "lib2")
    doc = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                            "API-HTTP.md")).read()
    table = doc.split("<!-- role-matrix -->")[1].split("<!-- /role-matrix -->")[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in table.strip().splitlines()[2:]]
    check(len(rows) >= 15, "role table too short: %d rows" % len(rows))
    ba("init")
    for code in ("CON", "OTH"):
        ba("client", "add", code)
    for user, role in (("root", "admin"), ("ann", "provider"), ("mia", "marketing")):
        ba("user", "add", user, "--role", role, "--password-stdin", stdin=PW[user] + "\n")
    photos, comparisons = {}, {}
    for code, dx in (("CON", 0), ("OTH", 40)):
        ids = []
        for k, (stage, date) in enumerate((("before", "2026-01-05"), ("after", "2026-02-16"))):
            f = os.path.join(T, "m-%s-%d.jpg" % (code, k))
            subprocess.run(["convert", os.path.join(SAMPLES, "before-cheeks.jpg"), "-crop",
                            "500x600+%d+%d" % (dx + 20 * k, 10 * k), f], check=True)
            out = ba("--json", "ingest", "--client", code, "--area", "cheeks", "--stage", stage,
                     "--date", date, f).stdout
            ids.append(json.loads(out.splitlines()[0])["photo_id"])
        photos[code] = ids
        out = ba("--json", "compare", str(ids[0]), str(ids[1]), "--no-align", "-o",
                 os.path.join(T, "m-%s.png" % code)).stdout
        comparisons[code] = json.loads(out.splitlines()[-1])["comparison_id"]
    form = os.path.join(T, "m-form.pdf")
    open(form, "wb").write(b"%PDF-1.4\n% consent\n")
    ba("consent", "grant", "CON", "--scope", "marketing", "--granted", "2026-01-01",
       "--evidence", form)
    exports = {}
    for code, purpose in (("CON", "marketing"), ("OTH", "clinical")):
        ba("export", str(comparisons[code]), "--purpose", purpose, "--to",
           os.path.join(T, "m-exp-" + code))
        eid, name = db("SELECT export_id, file FROM export_items ORDER BY export_id DESC "
                       "LIMIT 1")[0]
        exports[code] = (eid, name)
    srv = Server()
    counter = [0]

    def unique():
        counter[0] += 1
        return counter[0]

    columns = [("admin", "root", "CON"), ("provider", "ann", "CON"),
               ("marketing, consented", "mia", "CON"), ("marketing, other", "mia", "OTH")]
    clients = {}
    for _, user, _ in columns:
        if user not in clients:
            clients[user] = Client(srv)
            check(clients[user].login(user)[0] == 200, "login " + user)
    checked = 0
    for row in rows:
        method, path = row[0], row[1]
        for col, (label, user, code) in enumerate(columns):
            want = int(row[2 + col])
            p1, p2 = photos[code]
            eid, fname = exports[code]
            url = (path.replace("{client}", code).replace("{photo}", str(p1))
                   .replace("{comparison}", str(comparisons[code]))
                   .replace("{export}", str(eid)).replace("{file}", fname))
            body, ctype = None, None
            if method == "POST" and path == "/api/v1/clients":
                body = {"client": "N-%d" % unique()}
            elif path == "/api/v1/clients/{client}/consents" and method == "POST":
                b = uuid.uuid4().hex
                body = ("--%s\r\nContent-Disposition: form-data; name=\"scope\"\r\n\r\n"
                        "education\r\n--%s--\r\n" % (b, b)).encode()
                ctype = "multipart/form-data; boundary=" + b
            elif path == "/api/v1/photos" and method == "POST":
                f = os.path.join(T, "u-%d.jpg" % unique())
                subprocess.run(["convert", os.path.join(SAMPLES, "after-cheeks.jpg"), "-crop",
                                "400x400+%d+0" % (3 * counter[0]), f], check=True)
                body, ctype = multipart({"client": code, "area": "cheeks",
                                         "date": "2026-03-01"}, f)
            elif path == "/api/v1/photos/{photo}" and method == "POST":
                body = {"view": "frontal"}  # as it is: answers 200, changed false
            elif path == "/api/v1/alignments":
                body = {"photo": p2, "reference": p1}
            elif path == "/api/v1/comparisons" and method == "POST":
                body = {"photos": [p1, p2], "align": False, "width": 400 + unique()}
            elif path == "/api/v1/exports":
                body = {"comparisons": [comparisons[code]], "purpose": "marketing"}
            s_, h_, d_ = clients[user].req(method, url, body, ctype=ctype)
            if s_ != want:
                fail("%s %s as %s: %d, the table says %d: %s" % (method, url, label, s_, want,
                                                                 d_[:200]))
            checked += 1
    check(srv.stop() == 0, "matrix server stop")
    ok("role table of docs/API-HTTP.md: %d cells as documented" % checked)


main()
role_matrix()
