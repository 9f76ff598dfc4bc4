#!/usr/bin/env python3
"""Faults of `beforeafter serve` (issue 14): `kill -9` the server KILLS times
(default 5) while 4 clients upload distinct photos, restarting it on the same
library each time.  Every upload answered 2xx must be in the catalog after
the last restart (by the SHA-256 of the uploaded bytes = photos.original_sha256);
an upload without an answer may be absent or present, never half: every photo
row's master exists and hashes to master_sha256, no file under masters/ is
without its row, LIBRARY/tmp holds no file of a killed server after one more
upload (and nothing after a clean stop), and `verify` is clean.

    serve_kill.py BA TMPDIR PHOTO_DIR [KILLS]"""
import hashlib
import http.client
import json
import os
import random
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_load import (Conn, Server, Session, ba, check, check_masters,  # noqa: E402
                        check_originals, db, fail, multipart, ok, setup_library)

UPLOADERS = 4


def main():
    bin_, tmp, photo_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    kills = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    lib = os.path.join(tmp, "lib")
    files = sorted(os.path.join(photo_dir, f) for f in os.listdir(photo_dir)
                   if f.lower().endswith(".jpg"))
    last_file, files = files[-1], files[:-1]   # the one more upload at the end
    clients = ["C-%d" % (k + 1) for k in range(UPLOADERS)]
    setup_library(bin_, lib, clients, [("ann", "provider")])
    srv = Server(bin_, lib, tmp)
    sess = Session(srv, "ann")
    lock = threading.Lock()
    acked = {}      # original sha256 -> file, answered 2xx
    unknown = {}    # sent, no answer (the server died)
    errors = []
    relogins = [0]
    up = threading.Event()     # set while a server is listening
    up.set()
    stop = threading.Event()
    queue = list(enumerate(files))
    killed_pids = []

    def uploader(k):
        conn = Conn(sess, timeout=30)
        while not stop.is_set():
            with lock:
                if not queue:
                    return
                n, path = queue.pop(0)
            data = open(path, "rb").read()
            sha = hashlib.sha256(data).hexdigest()
            day = "2025-%02d-%02d" % (1 + n // 28 % 12, 1 + n % 28)
            body, ctype = multipart({"client": clients[k], "area": "cheeks",
                                     "stage": "before", "date": day}, path)
            while True:   # until the request is sent (nothing listens during a restart)
                up.wait(30)
                try:
                    conn.connect()
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                s, h, d = conn.request("POST", "/api/v1/photos", body, {"Content-Type": ctype})
            except (OSError, http.client.HTTPException):
                with lock:
                    unknown[sha] = path   # sent; the answer died with the server
                continue
            if s == 401:   # the session should survive a restart; sign in again if not
                with lock:
                    relogins[0] += 1
                    queue.insert(0, (n, path))
                sess.login()
                continue
            try:
                j = json.loads(d)
            except ValueError:
                j = {}
            if s == 201 and j.get("status") == "ingested":
                with lock:
                    acked[sha] = path
            else:
                with lock:
                    errors.append("POST /api/v1/photos %s: %d %r" %
                                  (os.path.basename(path), s, d[:300]))

    threads = [threading.Thread(target=uploader, args=(k,)) for k in range(UPLOADERS)]
    for t in threads:
        t.start()
    rnd = random.Random(int(os.environ.get("KILL_SEED", "0")) or None)
    for i in range(kills):
        # let some uploads through, then kill in the middle of others
        target = len(acked) + 2
        t0 = time.monotonic()
        while len(acked) < target and time.monotonic() - t0 < 15 and queue:
            time.sleep(0.05)
        time.sleep(rnd.uniform(0.0, 0.6))
        up.clear()
        killed_pids.append(srv.proc.pid)
        srv.kill()
        time.sleep(0.2)
        srv.start()
        up.set()
        print("kill -9 %d/%d: %d uploads answered so far, %d without an answer" %
              (i + 1, kills, len(acked), len(unknown)), flush=True)
    # a little more after the last restart, then stop the clients
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2 and queue:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    check(not any(t.is_alive() for t in threads), "uploaders still running")
    if errors:
        fail("%d upload(s) refused: %s" % (len(errors), "\n  ".join(errors[:8])))
    check(len(acked) >= kills, "only %d uploads answered across %d kills" % (len(acked), kills))
    check(relogins[0] == 0, "the session was lost at a restart (%d 401s)" % relogins[0])
    ok("%d kill -9 during uploads: %d uploads answered 201, %d cut off, none refused" %
       (kills, len(acked), len(unknown)))

    # One more write on the last server: its tmp/ must hold nothing of the dead ones.
    conn = Conn(sess)
    body, ctype = multipart({"client": clients[0], "area": "cheeks", "stage": "after",
                             "date": "2025-12-30"}, last_file)
    s, h, d = conn.request("POST", "/api/v1/photos", body, {"Content-Type": ctype})
    check(s == 201, "the upload after the last restart: %d %r" % (s, d[:300]))
    acked[hashlib.sha256(open(last_file, "rb").read()).hexdigest()] = last_file
    tmpdir = os.path.join(lib, "tmp")
    dead = [f for f in os.listdir(tmpdir)
            if re.match(r"[a-z]+-(\d+)[@-]", f) and
            int(re.match(r"[a-z]+-(\d+)[@-]", f).group(1)) in killed_pids]
    check(not dead, "LIBRARY/tmp still holds files of killed servers: %s" % dead[:10])
    ok("after one more upload LIBRARY/tmp holds no file of the %d killed servers" % kills)

    rc = srv.stop()
    check(rc == 0, "serve exited %d on SIGTERM: %s" % (rc, srv.text()[-1500:]))
    left = os.listdir(tmpdir)
    check(not left, "LIBRARY/tmp not empty after the clean stop: %s" % left[:10])

    check_originals(lib, acked)
    named = set(r[0] for r in db(lib, "SELECT master_sha256 FROM photos"))
    orphans = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(lib, "masters"))
               for f in fs if f[:-4] not in named]
    if orphans:
        p = ba(bin_, lib, "verify", rc=None)
        fail("%d master(s) no photo row names after the kills (a kill between the master's "
             "rename and the catalog commit, ingest's fault point after-master-rename; "
             "nothing removes them on restart, verify exit %d: %s): %s" %
             (len(orphans), p.returncode, (p.stdout + p.stderr).strip()[-600:],
              [os.path.relpath(o, lib) for o in orphans[:5]]))
    nrows = check_masters(lib)
    present = set(r[0] for r in db(lib, "SELECT original_sha256 FROM photos"))
    stray = present - set(acked) - set(unknown)
    check(not stray, "photo rows for uploads never sent: %s" % list(stray)[:5])
    cut_in = len(set(unknown) & present)
    ok("every acknowledged upload present (%d); %d of %d cut-off uploads present, complete; "
       "%d rows, each master hashing right, no stray masters" %
       (len(acked), cut_in, len(unknown), nrows))
    p = ba(bin_, lib, "verify", rc=None)
    check(p.returncode == 0, "verify after the kills: exit %d: %s%s" %
          (p.returncode, p.stdout[-1500:], p.stderr[-800:]))
    ok("verify clean; LIBRARY/tmp empty after the clean stop")


if __name__ == "__main__":
    main()
